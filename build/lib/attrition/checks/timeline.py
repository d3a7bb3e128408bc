"""Validation of when rows are dated: nothing after the load date, no far-off months.

- Rows that record something observed (a month-end balance, a transaction, a contact)
  cannot be dated after the data was loaded: each such row is a problem (rule
  ``future_date``) naming table, column, row keys and value.
- Trailing months far beyond the rest (:mod:`attrition.coverage`) are a warning
  (rule ``outlying_month``): the data loads, but the default as-of and the training
  landmarks stop at the last month covered properly.
- A monthly table the features read (``rm_monthly``, ``product_returns``) that ends
  before ``monthly_balances`` is a warning (rule ``ends_early``): for RMs an as-of after
  the end of ``rm_monthly`` is refused (:meth:`attrition.contracts.BankData.check_as_of`).

Called by :func:`attrition.validation.validate_tables`: :func:`check_timeline` for each
table it checks, then :func:`check_table_ends` across them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Protocol

import numpy as np
import pandas as pd

from attrition.contracts import ENTITY_MONTHLY_TABLES, RM, Table
from attrition.coverage import MonthCoverage, month_coverage
from attrition.errors import Problem

# Columns dating an observation; a value after the load date cannot be true.
OBSERVED_COLUMNS: dict[str, tuple[str, ...]] = {
    "monthly_balances": ("month",),
    "rm_monthly": ("month",),
    "product_returns": ("month",),
    "transactions": ("date",),
    "interactions": ("date",),
}
# Monthly tables whose trailing months are checked for being far beyond the rest.
MONTHLY_TABLES = ("monthly_balances", "rm_monthly")
# Monthly tables that features read at the as-of besides monthly_balances: what they feed.
FEATURE_MONTHLY_TABLES = {
    "rm_monthly": "RM features (hr)",
    "product_returns": "client features from product returns (portfolio_return)",
}


class TableCheck(Protocol):
    """What these checks need of :class:`attrition.validation._TableCheck`."""

    table: Table
    typed: dict[str, pd.Series]
    warnings: list[Problem]

    def add(
        self,
        column: str | None,
        rule: str,
        expected: str,
        mask: np.ndarray,
        *,
        value_col: str | None = None,
        warn: bool = False,
    ) -> int: ...


def check_timeline(check: TableCheck, today: dt.date) -> None:
    """Add ``future_date`` problems and ``outlying_month`` warnings for one table."""
    name = check.table.name
    future = np.zeros(0, dtype=bool)
    for col in OBSERVED_COLUMNS.get(name, ()):
        if col not in check.typed:
            continue
        future = _check_future(check, col, today)
    if name in MONTHLY_TABLES and "month" in check.typed:
        months = check.typed["month"]
        keep = ~future if len(future) else np.ones(len(months), dtype=bool)
        _check_trailing(check, months, keep)


def _check_future(check: TableCheck, col: str, today: dt.date) -> np.ndarray:
    values = check.typed[col]
    if isinstance(values.dtype, pd.PeriodDtype):
        load_month = pd.Period(today, freq="M")
        late = (values > load_month).fillna(False).to_numpy(dtype=bool)
        expected = f"a month up to {load_month}, the month the data is loaded"
    else:
        late = (values > pd.Timestamp(today)).fillna(False).to_numpy(dtype=bool)
        expected = f"a date on or before {today:%Y-%m-%d}, the day the data is loaded"
    check.add(
        col,
        "future_date",
        expected + " (a row cannot record what has not happened yet; fix its date)",
        late,
        value_col=None if col in check.table.key else col,  # a key is shown anyway
    )
    return late


def _check_trailing(check: TableCheck, months: pd.Series, keep: np.ndarray) -> None:
    cov = month_coverage(months[keep])
    if cov is None or not cov.outliers:
        return
    far = keep & months.isin([m for m, _ in cov.outliers]).to_numpy(dtype=bool)
    after = "the default as-of and the training landmarks stop at " + str(cov.last)
    if check.table.name != "monthly_balances":
        after = "features use months up to the last month of balances"
    check.add(
        "month",
        "outlying_month",
        f"months that continue the rest of the data, but {cov.why()}; {after} "
        "(load the missing rows, or drop these)",
        far,
        warn=True,
    )


def check_table_ends(checks: Mapping[str, TableCheck]) -> None:
    """Warn (rule ``ends_early``) for each monthly table the features read that ends
    before the last month ``monthly_balances`` covers properly."""
    end = _coverage(checks.get("monthly_balances"))
    if end is None:
        return
    for name, feeds in FEATURE_MONTHLY_TABLES.items():
        check = checks.get(name)
        cov = _coverage(check)
        if check is None or cov is None or cov.last >= end.last:
            continue
        short = (end.last - cov.last).n
        then = (
            f"so RMs cannot be scored, nor their features built, at an as-of after {cov.last}"
            if name in ENTITY_MONTHLY_TABLES[RM]
            else f"so at an as-of after {cov.last} they read no {name} rows"
        )
        check.warnings.append(
            Problem(
                name,
                "month",
                "ends_early",
                f"months up to {end.last}, the last month of monthly_balances; {name} covers "
                f"{cov.span}, {short} month{'s' if short != 1 else ''} short. {feeds} read "
                f"{name} at the as-of, {then} (load the missing rows)",
            )
        )


def _coverage(check: TableCheck | None) -> MonthCoverage | None:
    if check is None or "month" not in check.typed:
        return None
    return month_coverage(check.typed["month"])
