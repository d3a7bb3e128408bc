"""Point-in-time views of the tables and a per-call cache of the panels built from them.

:class:`PanelContext` is the one place that reads :class:`~attrition.contracts.BankData`
for the feature engine. It cuts every table at the grid's last month-end first:
rows dated later are dropped, and future facts held in static columns (an
``exit_date``, ``closed_date`` or ``end_date`` after the cut) are blanked, so they
look exactly like "still employed / still open / still held".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from attrition.contracts import BankData
from attrition.features.grid import MonthGrid, day_ordinals, entity_codes, month_ordinals
from attrition.features.registry import SOURCES, MissingSourceError

# The column that dates each row: rows after the cut are dropped.
ROW_TIME: dict[str, str] = {
    "clients": "open_date",
    "rms": "hire_date",
    "monthly_balances": "month",
    "transactions": "date",
    "holdings": "start_date",
    "product_returns": "month",
    "interactions": "date",
    "assignments": "start_date",
    "rm_monthly": "month",
    "campaigns": "date",
}

# Static columns that may hold a fact from after the cut, and the columns that go
# with them: both are blanked when the fact is later than the cut.
FUTURE_FACTS: dict[str, dict[str, tuple[str, ...]]] = {
    "clients": {"closed_date": ()},
    "rms": {"exit_date": ("exit_type",)},
    "holdings": {"end_date": ()},
    "assignments": {"end_date": ()},
}

ENTITY_TABLES: dict[str, tuple[str, str]] = {
    "client": ("clients", "client_id"),
    "rm": ("rms", "rm_id"),
}


def point_in_time(df: pd.DataFrame, table: str, grid: MonthGrid) -> pd.DataFrame:
    """``df`` as it was known at the grid's last month-end (see the module docstring)."""
    col = ROW_TIME.get(table)
    if col is not None and col in df.columns and len(df):
        if isinstance(df[col].dtype, pd.PeriodDtype):
            keep = month_ordinals(df[col]) <= grid.stop
        else:
            keep = day_ordinals(df[col]) <= grid.last_day
        if not keep.all():
            df = df.loc[keep]
    facts = {c: extra for c, extra in FUTURE_FACTS.get(table, {}).items() if c in df.columns}
    if facts and len(df):
        df = df.copy(deep=False)
        for fact, extra in facts.items():
            later = day_ordinals(df[fact]) > grid.last_day
            later &= df[fact].notna().to_numpy()
            if later.any():
                for c in (fact, *extra):
                    if c in df.columns:
                        df[c] = df[c].mask(later)
    return df


@dataclass(frozen=True)
class Shared:
    """What a partition of clients takes from the whole run, so that it computes what
    the whole bank would.

    Attributes
    ----------
    levels : mapping
        ``"table.column"`` → the sorted values of a category or peer-group column over
        the whole bank (codes and categories are then the same in every partition).
    panels : mapping
        ``(entity, name)`` → a panel summed over every partition (an RM's book).
    medians : mapping
        Feature name → ``[groups × months]`` peer medians over every partition.
    """

    levels: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    panels: Mapping[tuple[str, str], np.ndarray] = field(default_factory=dict)
    medians: Mapping[str, np.ndarray] = field(default_factory=dict)


class PanelContext:
    """Tables cut at the grid's end, entity indexes, and the panels built so far.

    Parameters
    ----------
    data : BankData
        The typed tables (the whole bank, or one partition of its clients with every
        RM).
    grid : MonthGrid
        The months every panel covers; its last month is the latest as-of.
    shared : Shared, optional
        What a partition takes from the whole run (see :class:`Shared`).
    """

    def __init__(self, data: BankData, grid: MonthGrid, shared: Shared | None = None) -> None:
        self.data = data
        self.grid = grid
        self.shared = shared or Shared()
        self._views: dict[str, pd.DataFrame] = {}
        self._panels: dict[tuple[str, str], np.ndarray] = {}
        self._built: set[int] = set()
        self._memo: dict[str, Any] = {}
        self.index: dict[str, pd.Index] = {}
        for entity, (table, id_col) in ENTITY_TABLES.items():
            self.index[entity] = pd.Index(self.table(table)[id_col], name=id_col)

    def has(self, table: str) -> bool:
        """Whether the data holds ``table``."""
        return table in self.data

    def table(self, name: str) -> pd.DataFrame:
        """The point-in-time view of a table (raises ``MissingSourceError`` if absent)."""
        if name not in self._views:
            if name not in self.data:
                raise MissingSourceError(name)
            self._views[name] = point_in_time(self.data[name], name, self.grid)
        return self._views[name]

    def codes(self, entity: str, ids: pd.Series) -> np.ndarray:
        """Row positions of ``ids`` in the entity's panels (-1 for unknown ids)."""
        return entity_codes(self.index[entity], ids)

    def shape(self, entity: str) -> tuple[int, int]:
        """Panel shape ``(entities, months)`` for ``entity``."""
        return (len(self.index[entity]), self.grid.n)

    def memo(self, key: str, make: Callable[[], Any]) -> Any:
        """Compute ``make()`` once per context (owner codes and other shared arrays)."""
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]

    def levels(self, table: str, column: str) -> tuple[str, ...]:
        """Sorted values of a category or peer-group column: the run's when shared, else
        those of this context's point-in-time table."""
        key = f"{table}.{column}"
        if key in self.shared.levels:
            return self.shared.levels[key]
        values = self.table(table)[column].astype("string").dropna().unique()
        return tuple(sorted(values))

    def available(self, entity: str, name: str) -> bool:
        """Whether panel ``name`` can be built (its tables are present)."""
        if (entity, name) in self.shared.panels:
            return True
        src = SOURCES.get((entity, name))
        return src is not None and all(self.has(t) for t in src.tables)

    def panel(self, entity: str, name: str) -> np.ndarray:
        """Panel ``name`` for ``entity`` (built once, then cached).

        Raises
        ------
        MissingSourceError
            The source's tables or optional columns are absent.
        """
        key = (entity, name)
        if key in self.shared.panels:
            return self.shared.panels[key]
        if key not in self._panels:
            src = SOURCES.get(key)
            if src is None:
                raise MissingSourceError(f"{entity}.{name}")
            missing = [t for t in src.tables if not self.has(t)]
            if missing:
                raise MissingSourceError(", ".join(missing))
            if id(src) in self._built:
                raise MissingSourceError(f"{entity}.{name}")
            self._built.add(id(src))
            for out, arr in src.build(self).items():
                self._panels[(entity, out)] = arr
            if key not in self._panels:
                raise MissingSourceError(f"{entity}.{name}")
        return self._panels[key]
