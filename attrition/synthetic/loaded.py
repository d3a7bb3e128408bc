"""The bank's tables as they stood at the end of a month: what a bank would have loaded.

A benchmark that scores "at the data's last month" and checks the months after needs
the bank twice: as loaded on that day (nothing after it) and as it went on (the
outcomes). :func:`as_loaded_at` cuts a generated bank's tables at the end of a month
by the contract's own dates:

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

import pandas as pd

from attrition.contracts import BankData

# per table: the column a row starts at (dropped when later than the cut) and the
# columns that end it (emptied when later than the cut)
_STARTS = {
    "rms": "hire_date",
    "clients": "open_date",
    "monthly_balances": "month",
    "transactions": "date",
    "holdings": "start_date",
    "product_returns": "month",
    "interactions": "date",
    "assignments": "start_date",
    "rm_monthly": "month",
    "campaigns": "date",
}
_ENDS = {
    "rms": ("exit_date", "exit_type"),
    "clients": ("closed_date",),
    "holdings": ("end_date",),
    "assignments": ("end_date",),
}


def as_loaded_at(data: BankData, month: str | pd.Period) -> BankData:
    """``data`` as its tables stood at the end of ``month`` (see the module doc)."""
    cut = pd.Period(month, freq="M")
    end = cut.to_timestamp(how="end").normalize()
    tables: dict[str, pd.DataFrame] = {}
    for name, frame in data.tables.items():
        start = _STARTS.get(name)
        f = frame
        if start is not None and start in f.columns:
            when = f[start]
            late = (when > cut) if isinstance(when.dtype, pd.PeriodDtype) else (when > end)
            f = f[~late.fillna(False).to_numpy(bool)]
        ends = [c for c in _ENDS.get(name, ()) if c in f.columns]
        if ends:
            f = f.copy()
            later = (f[ends[0]] > end).fillna(False).to_numpy(bool)
            for c in ends:
                f.loc[later, c] = None
        tables[name] = f.reset_index(drop=True)
    clients = tables["clients"]
    known = set(clients["client_id"])
    employed = set(tables["rms"]["rm_id"])
    for name in ("monthly_balances", "transactions", "holdings", "interactions", "assignments"):
        if name in tables:
            t = tables[name]
            keep = t["client_id"].isin(known)
            if "rm_id" in t.columns:
                # the generator lets a replacement RM serve a few days before their
                # hire date; loaded before that date, the bank has no such RM
                keep &= t["rm_id"].isin(employed) | t["rm_id"].isna()
            tables[name] = t[keep.to_numpy(bool)].reset_index(drop=True)
    for name in ("rm_monthly", "campaigns"):
        if name in tables and "rm_id" in tables[name].columns:
            t = tables[name]
            keep = t["rm_id"].isin(employed) | t["rm_id"].isna()
            tables[name] = t[keep.to_numpy(bool)].reset_index(drop=True)
    if "assignments" in tables:
        a = tables["assignments"]
        open_now = a[a["end_date"].isna()].drop_duplicates("client_id", keep="last")
        current = open_now.set_index("client_id")["rm_id"]
        rm = current.reindex(clients["client_id"]).to_numpy()
        tables["clients"] = clients.assign(rm_id=pd.array(rm, dtype=clients["rm_id"].dtype))
    return BankData(tables, source=f"{data.source} as loaded at {cut}")
