"""Which months a table's month column covers properly, and which trailing months it does not.

The rule (the data's range, and so the default as-of of ``score`` and the end of the
training landmarks): walk back from the latest month that has rows. A trailing month is
*far beyond the rest*, and not covered properly, when

- it holds fewer than :data:`SPARSE_SHARE` of the typical (median) monthly row count,
- it holds fewer than :data:`DROP_SHARE` of the median of the :data:`RECENT_MONTHS`
  months with rows before it (a partly loaded month), or
- :data:`GAP_MONTHS` or more empty months separate it from the month with rows before it.

The walk stops at the first month that is none of these; that month is the last one the data
covers properly. The first month with rows always starts the range.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from attrition.errors import ConfigError

SPARSE_SHARE = 0.1
DROP_SHARE = 0.5
RECENT_MONTHS = 3
GAP_MONTHS = 3


@dataclass(frozen=True)
class MonthCoverage:
    """The months a month column covers properly, and the outlying months after them.

    Attributes
    ----------
    first, last : the first month with rows, and the last month covered properly.
    latest : the latest month with any row (``last`` unless there are outliers).
    outliers : ``(month, rows)`` of every month after ``last`` that has rows.
    typical_rows : the median row count of the months with rows.
    recent_rows : the median row count of the :data:`RECENT_MONTHS` months up to ``last``.
    """

    first: pd.Period
    last: pd.Period
    latest: pd.Period
    outliers: tuple[tuple[pd.Period, int], ...]
    typical_rows: int
    recent_rows: int = 0

    @property
    def span(self) -> str:
        """``"YYYY-MM..YYYY-MM"``: the months covered properly."""
        return f"{self.first}..{self.last}"

    def why(self) -> str:
        """Why the outlying months are not covered properly ("" when there are none)."""
        if not self.outliers:
            return ""
        shown = ", ".join(
            f"{m} holds {n:,} row{'s' if n != 1 else ''}" for m, n in self.outliers[:5]
        )
        more = f" and {len(self.outliers) - 5} more months" if len(self.outliers) > 5 else ""
        recent = ""
        if self.recent_rows and self.recent_rows != self.typical_rows:
            recent = f" ({self.recent_rows:,} in its last {RECENT_MONTHS} months)"
        return (
            f"{shown}{more}, after the data covers {self.span} with a typical "
            f"{self.typical_rows:,} rows a month{recent}"
        )

    def check(self, months: Iterable[pd.Period], *, what: str = "as-of") -> None:
        """Refuse months outside :attr:`span` with a ConfigError naming the range."""
        outside = sorted({p for p in months if p < self.first or p > self.last})
        if not outside:
            return
        early = [str(p) for p in outside if p < self.first][:5]
        late = [str(p) for p in outside if p > self.last][:5]
        sides = []
        if early:
            sides.append(
                f"{', '.join(early)} is before the first month with balance data ({self.first}), "
                "so features would need history the data does not have"
            )
        if late:
            reason = f"; {self.why()}" if self.outliers else ""
            sides.append(
                f"{', '.join(late)} is after the last month with balance data ({self.last}{reason})"
            )
        raise ConfigError(
            f"{what} {' and '.join(sides)}. monthly_balances covers {self.span}; "
            f"pick a month from {self.first} to {self.last}"
        )


def month_counts(months: pd.Series) -> pd.Series:
    """Rows per month of a ``period[M]`` column: int64, indexed by the months that have
    rows, in order. Counts of parts of a table add up to the table's (see
    :func:`coverage_of_counts`)."""
    ordinals = pd.PeriodIndex(months.dropna(), freq="M").asi8
    values, counts = np.unique(ordinals, return_counts=True)
    index = pd.PeriodIndex.from_ordinals(values, freq="M")
    return pd.Series(counts.astype(np.int64), index=index, name="rows")


def month_coverage(months: pd.Series) -> MonthCoverage | None:
    """The coverage of a ``period[M]`` column (see the module docstring); None when empty."""
    return coverage_of_counts(month_counts(months))


def coverage_of_counts(counts: pd.Series) -> MonthCoverage | None:
    """The coverage of a column given its rows per month (:func:`month_counts`, or the
    sum of those of its parts); None when no month has rows."""
    counts = counts[counts > 0].sort_index()
    if not len(counts):
        return None
    ordinals = pd.PeriodIndex(counts.index, freq="M").asi8
    low = int(ordinals[0])
    present = ordinals - low
    rows = counts.to_numpy(dtype=np.int64)
    typical = float(np.median(rows))
    end = len(present) - 1
    while end > 0:
        sparse = rows[end] < SPARSE_SHARE * typical
        partial = rows[end] < DROP_SHARE * _recent(rows, end)
        gap = present[end] - present[end - 1] - 1 >= GAP_MONTHS
        if not (sparse or partial or gap):
            break
        end -= 1

    def month(i: int) -> pd.Period:
        return pd.Period(ordinal=low + int(present[i]), freq="M")

    return MonthCoverage(
        first=month(0),
        last=month(end),
        latest=month(len(present) - 1),
        outliers=tuple((month(i), int(rows[i])) for i in range(end + 1, len(present))),
        typical_rows=round(typical),
        recent_rows=round(_recent(rows, end + 1)),
    )


def _recent(rows: np.ndarray, end: int) -> float:
    """The median row count of the months with rows just before position ``end``."""
    return float(np.median(rows[max(0, end - RECENT_MONTHS) : end]))


def check_table_end(
    tcov: MonthCoverage | None,
    table: str,
    entity: str,
    months: list[pd.Period],
    cov: MonthCoverage,
    what: str,
) -> None:
    """Refuse ``months`` after the last month ``table`` covers (``tcov``), for the
    features of ``entity`` that read it; ``cov`` is the balances' coverage."""
    if tcov is None:
        return
    late = sorted({p for p in months if p > tcov.last})
    if not late:
        return
    shown = ", ".join(str(p) for p in late[:5])
    why = f"; {tcov.why()}" if tcov.outliers else ""
    raise ConfigError(
        f"{what} {shown} is after the last month of {table} ({tcov.last}{why}): "
        f"{'RM' if entity == 'rm' else entity} features read {table} at the as-of, "
        f"so they would be built from missing data. {table} covers {tcov.span} and "
        f"monthly_balances {cov.span}; pick a month from {cov.first} to {tcov.last}, or "
        f"load the missing {table} rows"
    )
