"""The month grid and integer codes: the coordinates every panel lives in.

A panel is a 2-D ``float64`` array ``[entities × months]``. Rows follow an entity
index (the ids of the ``clients`` or ``rms`` table); columns follow a
:class:`MonthGrid`, a run of consecutive calendar months. Months are handled as
integer *ordinals* (months since 1970-01, the same numbers as ``Period.ordinal``)
and days as day ordinals (days since 1970-01-01), so that pivoting a long table into
a panel is integer arithmetic plus one scatter.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

NEVER = np.int64(2**40)
"""Ordinal standing for an empty end date: a month (or day) that never comes."""


def month_ordinals(values: pd.Series, *, missing: np.int64 = NEVER) -> np.ndarray:
    """Month ordinals (months since 1970-01) of a date or month column.

    Parameters
    ----------
    values : pandas.Series
        ``datetime64[ns]`` dates or ``period[M]`` months.
    missing : int
        Ordinal given to empty cells (default: :data:`NEVER`).

    Returns
    -------
    numpy.ndarray of int64, shape (len(values),)
    """
    if isinstance(values.dtype, pd.PeriodDtype):
        out = np.asarray(values.array.asi8, dtype=np.int64).copy()
        out[values.isna().to_numpy()] = missing
        return out
    arr = values.to_numpy(dtype="datetime64[ns]")
    out = arr.astype("datetime64[M]").astype(np.int64)
    out[np.isnat(arr)] = missing
    return out


def day_ordinals(values: pd.Series, *, missing: np.int64 = NEVER) -> np.ndarray:
    """Day ordinals (days since 1970-01-01) of a date column; empty cells get ``missing``."""
    arr = values.to_numpy(dtype="datetime64[ns]")
    out = arr.astype("datetime64[D]").astype(np.int64)
    out[np.isnat(arr)] = missing
    return out


def month_end_day(ordinals: np.ndarray | int) -> np.ndarray:
    """Day ordinal of the last day of each month ordinal."""
    nxt = (np.asarray(ordinals, dtype=np.int64) + 1).astype("datetime64[M]")
    return nxt.astype("datetime64[D]").astype(np.int64) - 1


def to_period(ordinals: np.ndarray | int) -> pd.PeriodIndex:
    """Month ordinals as a ``period[M]`` index."""
    arr = np.atleast_1d(np.asarray(ordinals, dtype=np.int64))
    return pd.PeriodIndex.from_ordinals(arr, freq="M")


@dataclass(frozen=True)
class MonthGrid:
    """Consecutive months ``start .. stop`` (ordinals, both included): a panel's columns."""

    start: int
    stop: int

    @property
    def n(self) -> int:
        """Number of months (panel columns)."""
        return self.stop - self.start + 1

    @cached_property
    def ordinals(self) -> np.ndarray:
        """Month ordinal of each column."""
        return np.arange(self.start, self.stop + 1, dtype=np.int64)

    @cached_property
    def end_days(self) -> np.ndarray:
        """Day ordinal of each column's month-end: the point-in-time cut of that column."""
        return month_end_day(self.ordinals)

    @property
    def last_day(self) -> int:
        """Day ordinal of the grid's last month-end (nothing after it may be read)."""
        return int(self.end_days[-1])

    @property
    def months(self) -> pd.PeriodIndex:
        """The columns as a ``period[M]`` index."""
        return to_period(self.ordinals)

    def col(self, ordinals: np.ndarray) -> np.ndarray:
        """Column positions of month ordinals (may fall outside ``0 .. n-1``)."""
        return np.asarray(ordinals, dtype=np.int64) - self.start


def entity_codes(index: pd.Index, ids: pd.Series) -> np.ndarray:
    """Row positions of ``ids`` in ``index`` (``-1`` for ids the index does not hold)."""
    return index.get_indexer(ids.astype(index.dtype)).astype(np.int64)
