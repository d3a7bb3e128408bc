"""Registry of panel sources: which builder makes which named panel, from which tables.

A *source* is a named panel (``aum``, ``external_out``, ``rm_book_size``...) for one
entity (``client`` or ``rm``). Builders register the panels they make with
:func:`register`; a feature spec names its source, and the engine asks the
:class:`~attrition.features.context.PanelContext` for it. A source whose tables are
absent from the data is *unavailable*, and the features built on it are skipped.

Some RM panels are sums over clients (a book's size and AUM, the contacts an RM made).
Over partitions of clients each partition holds only part of a book, so such a source
is registered with :func:`register_sums`: ``sums(ctx)`` gives additive per-RM arrays
from the clients in ``ctx``, ``finish(sums)`` turns the totals into panels. Summing the
partitions' ``sums`` and finishing once gives what ``finish(sums(whole bank))`` gives.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from attrition.features.context import PanelContext

Builder = Callable[["PanelContext"], dict[str, np.ndarray]]
Finish = Callable[[dict[str, np.ndarray]], dict[str, np.ndarray]]


class MissingSourceError(LookupError):
    """A panel cannot be built from this data (a table or optional column is absent)."""


@dataclass(frozen=True)
class SourceDef:
    """A builder, the entity its panels are for, their names and the tables it needs."""

    entity: str
    outputs: tuple[str, ...]
    tables: tuple[str, ...]
    build: Builder
    sums: Builder | None = None  # additive over partitions of clients (see module doc)
    finish: Finish | None = None


SOURCES: dict[tuple[str, str], SourceDef] = {}
"""``(entity, panel name)`` → the source that builds it."""


def register(entity: str, *outputs: str, tables: tuple[str, ...]) -> Callable[[Builder], Builder]:
    """Register ``build`` as the maker of ``outputs`` for ``entity``.

    ``build(ctx)`` returns a dict of panels; it may leave out an output whose optional
    column is absent (the feature is then skipped).
    """

    def deco(build: Builder) -> Builder:
        _add(SourceDef(entity, outputs, tables, build))
        return build

    return deco


def register_sums(
    entity: str, *outputs: str, tables: tuple[str, ...], finish: Finish
) -> Callable[[Builder], Builder]:
    """Register ``sums`` (additive arrays from the clients of a context) and ``finish``
    (panels from their totals) as the maker of ``outputs`` (see the module doc)."""

    def deco(sums: Builder) -> Builder:
        _add(SourceDef(entity, outputs, tables, lambda ctx: finish(sums(ctx)), sums, finish))
        return sums

    return deco


def _add(src: SourceDef) -> None:
    for name in src.outputs:
        if (src.entity, name) in SOURCES:
            raise RuntimeError(f"source {src.entity}.{name} is registered twice")
        SOURCES[(src.entity, name)] = src


def summed_sources(entity: str) -> list[SourceDef]:
    """The sources of ``entity`` made from sums over clients, once each."""
    seen: dict[int, SourceDef] = {}
    for (ent, _), src in SOURCES.items():
        if ent == entity and src.sums is not None:
            seen.setdefault(id(src), src)
    return list(seen.values())


def known_sources(entity: str) -> list[str]:
    """Names of the panels registered for ``entity``."""
    return sorted(name for ent, name in SOURCES if ent == entity)
