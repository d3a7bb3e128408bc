"""The bank's tables as they stood at the end of a month: what a bank would have loaded.

A benchmark that scores "at the data's last month" and checks the months after needs
the bank twice: as loaded on that day (nothing after it) and as it went on (the
outcomes). :func:`as_loaded_at` cuts a generated bank's tables at the end of a month
by the contract's own dates, with the feature engine's point-in-time cut
(:func:`attrition.features.context.point_in_time`):

- rows that start after the cut (a client opened, an RM hired, a holding, an
  assignment, a transaction, a contact, a campaign, a month) are not there yet;
- dates that end after the cut (an RM's exit, a client's closing, a holding's or an
  assignment's end) are not known yet: empty, as for anyone still active (an exit's
  type with it); a holding's maturity date is known from the start and stays;
- each client's ``rm_id`` is the RM of the assignment open at the cut (the contract's
  "current RM" on that day);
- rows of an RM not yet hired at the cut are not there (the generator lets a
  replacement serve a few days before their hire date).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from attrition.contracts import BankData
from attrition.features.context import point_in_time
from attrition.features.grid import MonthGrid


def as_loaded_at(data: BankData, month: str | pd.Period) -> BankData:
    """``data`` as its tables stood at the end of ``month`` (see the module doc).

    Raises
    ------
    ValueError
        When ``month`` is not a month (``YYYY-MM``) or lies outside the months the
        data's balances cover.
    """
    written = isinstance(month, str) and re.fullmatch(r"\d{4}-\d{2}", month.strip())
    if not (written or isinstance(month, pd.Period)):
        # pandas would read "June" as June of year 1
        raise ValueError(f"as_loaded_at: month must be YYYY-MM, got {month!r}")
    cut = pd.Period(month, freq="M")
    if not data.first_month <= cut <= data.last_month:
        raise ValueError(
            f"as_loaded_at: month {cut} lies outside the data's months "
            f"{data.first_month}..{data.last_month}"
        )
    # the feature engine's own point-in-time cut, at the month's end
    grid = MonthGrid(cut.ordinal, cut.ordinal)
    tables = {
        name: point_in_time(frame, name, grid).reset_index(drop=True)
        for name, frame in data.tables.items()
    }
    clients = tables["clients"]
    known = set(clients["client_id"])
    employed = set(tables["rms"]["rm_id"])
    for name, t in tables.items():
        if name in ("branches", "rms", "clients"):
            continue
        keep = np.ones(len(t), dtype=bool)
        if "client_id" in t.columns:
            keep &= (t["client_id"].isin(known) | t["client_id"].isna()).to_numpy(bool)
        if "rm_id" in t.columns:
            # the generator lets a replacement RM serve a few days before their hire
            # date; loaded before that date, the bank has no such RM
            keep &= (t["rm_id"].isin(employed) | t["rm_id"].isna()).to_numpy(bool)
        tables[name] = t[keep].reset_index(drop=True)
    if "assignments" in tables:
        a = tables["assignments"]
        open_now = a[a["end_date"].isna()].drop_duplicates("client_id", keep="last")
        current = open_now.set_index("client_id")["rm_id"]
        rm = current.reindex(clients["client_id"]).to_numpy()
        tables["clients"] = clients.assign(rm_id=pd.array(rm, dtype=clients["rm_id"].dtype))
    return BankData(tables, source=f"{data.source} as loaded at {cut}")
