"""Registry of panel sources: which builder makes which named panel, from which tables.

A *source* is a named panel (``aum``, ``external_out``, ``rm_book_size``...) for one
entity (``client`` or ``rm``). Builders register the panels they make with
:func:`register`; a feature spec names its source, and the engine asks the
:class:`~attrition.features.context.PanelContext` for it. A source whose tables are
absent from the data is *unavailable*, and the features built on it are skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from attrition.features.context import PanelContext

Builder = Callable[["PanelContext"], dict[str, np.ndarray]]


class MissingSourceError(LookupError):
    """A panel cannot be built from this data (a table or optional column is absent)."""


@dataclass(frozen=True)
class SourceDef:
    """A builder, the entity its panels are for, their names and the tables it needs."""

    entity: str
    outputs: tuple[str, ...]
    tables: tuple[str, ...]
    build: Builder


SOURCES: dict[tuple[str, str], SourceDef] = {}
"""``(entity, panel name)`` → the source that builds it."""


def register(entity: str, *outputs: str, tables: tuple[str, ...]) -> Callable[[Builder], Builder]:
    """Register ``build`` as the maker of ``outputs`` for ``entity``.

    ``build(ctx)`` returns a dict of panels; it may leave out an output whose optional
    column is absent (the feature is then skipped).
    """

    def deco(build: Builder) -> Builder:
        src = SourceDef(entity, outputs, tables, build)
        for name in outputs:
            if (entity, name) in SOURCES:
                raise RuntimeError(f"source {entity}.{name} is registered twice")
            SOURCES[(entity, name)] = src
        return build

    return deco


def known_sources(entity: str) -> list[str]:
    """Names of the panels registered for ``entity``."""
    return sorted(name for ent, name in SOURCES if ent == entity)
