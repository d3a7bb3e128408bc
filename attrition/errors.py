"""Exceptions and warnings raised by the library.

Every error is an :class:`AttritionError` and also a built-in ``ValueError`` (or
``TypeError``) so that callers' existing ``except`` clauses keep working.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


class AttritionError(Exception):
    """Base class of every error this library raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One broken rule of the data contract, with where it is broken.

    Attributes
    ----------
    table, column : where the rule is broken (``column`` is ``None`` for table-level rules).
    rule : short machine-readable name of the rule (``"foreign_key"``, ``"not_negative"``...).
    expected : what the contract expects, in plain words.
    count : how many rows break it.
    examples : up to five offending row keys, rendered as text.
    """

    table: str
    column: str | None
    rule: str
    expected: str
    count: int = 0
    examples: tuple[str, ...] = field(default_factory=tuple)

    def __str__(self) -> str:
        where = f"{self.table}.{self.column}" if self.column else self.table
        rows = ""
        if self.count:
            noun = "row" if self.count == 1 else "rows"
            rows = f": {self.count} {noun}"
            if self.examples:
                rows += f" (first: {', '.join(self.examples)})"
        return f"{where} [{self.rule}]{rows}; expected {self.expected}"


class DataContractError(AttritionError, ValueError):
    """The input breaks the data contract. ``problems`` lists every broken rule at once."""

    def __init__(self, problems: Sequence[Problem], *, source: str | None = None) -> None:
        self.problems = tuple(problems)
        self.source = source
        head = f"{len(self.problems)} data contract problem(s)"
        if source:
            head += f" in {source}"
        super().__init__(head + ":\n" + "\n".join(f"  - {p}" for p in self.problems))


class SourceError(AttritionError, ValueError):
    """A source cannot be read at all (missing directory, unreachable database, bad URL)."""


class ConfigError(AttritionError, ValueError):
    """A configuration value is missing or not one of the allowed values."""


class WhatIfError(AttritionError, ValueError):
    """A what-if question that cannot be answered: ``problems`` maps each named feature
    to what is wrong with it (not actionable, not read by the model, out of range)."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = dict(problems)
        super().__init__(
            "what-if: " + "; ".join(f"{name}: {why}" for name, why in self.problems.items())
        )


class OutputError(AttritionError, ValueError):
    """An output cannot be written where asked (a folder for a file, a folder that holds
    files the product did not write, no permission)."""


class DataQualityWarning(UserWarning):
    """Data is usable but suspicious (e.g. rows referring to unknown clients are ignored)."""
