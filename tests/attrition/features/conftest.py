"""Tiny hand-made banks for the feature engine tests.

``make_bank`` builds a typed :class:`BankData` from a few rows per table, filling the
required tables with a minimal default; ``random_bank`` draws a small bank holding
every contract table, for the point-in-time property test; ``perturb_after``
rewrites everything dated after an as-of month.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pytest

from attrition.contracts import TABLES, BankData

Rows = Sequence[dict[str, Any]] | pd.DataFrame


def typed(table: str, rows: Rows) -> pd.DataFrame:
    """A contract-typed frame of ``table`` from row dicts (columns as the contract lists)."""
    df = pd.DataFrame(rows) if not isinstance(rows, pd.DataFrame) else rows.copy()
    spec = TABLES[table]
    cols = [c for c in spec.columns if c.name in df.columns or not c.optional]
    out = {}
    for c in cols:
        s = df[c.name] if c.name in df.columns else pd.Series([None] * len(df))
        if c.dtype == "str":
            out[c.name] = s.astype("string")
        elif c.dtype == "date":
            out[c.name] = pd.to_datetime(s).astype("datetime64[ns]")
        elif c.dtype == "month":
            out[c.name] = (
                pd.PeriodIndex(s.astype(str), freq="M") if len(s) else s.astype("period[M]")
            )
        elif c.dtype == "float":
            out[c.name] = pd.to_numeric(s).astype("float64")
        elif c.dtype == "int":
            out[c.name] = pd.array(s.tolist(), dtype="Int64")
        else:
            out[c.name] = pd.array([None if v is None else bool(v) for v in s], dtype="boolean")
    return pd.DataFrame(out, index=pd.RangeIndex(len(df)))


def _make_bank(**tables: Rows) -> BankData:
    """A bank from the given tables; ``branches``/``rms``/``clients`` get defaults."""
    tables.setdefault("branches", [{"branch_id": "B1", "name": "Main"}])
    tables.setdefault(
        "rms",
        [
            {
                "rm_id": "R1",
                "branch_id": "B1",
                "hire_date": "2015-01-01",
                "exit_date": None,
                "exit_type": None,
            }
        ],
    )
    tables.setdefault(
        "clients",
        [
            {
                "client_id": "C1",
                "branch_id": "B1",
                "rm_id": "R1",
                "segment": "mass",
                "open_date": "2020-01-01",
            }
        ],
    )
    return BankData({name: typed(name, rows) for name, rows in tables.items()}, source="test")


def monthly(client: str, start: str, values: Sequence[float | None]) -> list[dict[str, Any]]:
    """Balance rows of one client from ``start``, one per value (None = no row)."""
    months = pd.period_range(start, periods=len(values), freq="M")
    return [
        {"client_id": client, "month": str(m), "aum": v}
        for m, v in zip(months, values, strict=True)
        if v is not None
    ]


@pytest.fixture(scope="session")
def balance_rows() -> Callable[[str, str, Sequence[float | None]], list[dict[str, Any]]]:
    """Factory: ``balance_rows("C1", "2024-01", [100, 100, None, 50])``."""
    return monthly


@pytest.fixture(scope="session")
def make_bank() -> Callable[..., BankData]:
    """Factory: ``make_bank(monthly_balances=[...], transactions=[...], ...)``."""
    return _make_bank


# --- a random bank holding every table -------------------------------------------------

START = pd.Period("2022-01", freq="M")
N_MONTHS = 18


def _day(rng: np.random.Generator, lo: pd.Timestamp, hi: pd.Timestamp) -> pd.Timestamp:
    return lo + pd.Timedelta(days=int(rng.integers(0, max((hi - lo).days, 1) + 1)))


def _random_bank(seed: int, n_clients: int = 14, n_rms: int = 5) -> BankData:
    rng = np.random.default_rng(seed)
    first = START.start_time
    last = (START + N_MONTHS - 1).end_time.normalize()
    branches = [{"branch_id": b, "name": b} for b in ("B1", "B2")]
    rms = []
    for i in range(n_rms):
        hire = _day(rng, first - pd.Timedelta(days=900), first + pd.Timedelta(days=200))
        exit_ = _day(rng, first + pd.Timedelta(days=60), last) if rng.random() < 0.5 else None
        rms.append(
            {
                "rm_id": f"R{i}",
                "branch_id": ("B1", "B2")[i % 2],
                "hire_date": hire,
                "exit_date": exit_,
                "exit_type": None
                if exit_ is None
                else ("voluntary", "involuntary")[int(rng.random() < 0.3)],
                "grade": f"G{rng.integers(1, 4)}",
                "manager_id": "M1",
                "birth_year": 1985,
                "gender": "f",
            }
        )
    clients, balances, tx, holdings, contacts, assignments = [], [], [], [], [], []
    for i in range(n_clients):
        cid = f"C{i:03d}"
        opened = _day(rng, first - pd.Timedelta(days=400), first + pd.Timedelta(days=300))
        closed = _day(rng, opened + pd.Timedelta(days=40), last) if rng.random() < 0.25 else None
        payroll = bool(rng.random() < 0.5)
        rm0 = f"R{rng.integers(n_rms)}"
        clients.append(
            {
                "client_id": cid,
                "branch_id": ("B1", "B2")[i % 2],
                "rm_id": rm0,
                "segment": ("mass", "affluent", "private")[i % 3],
                "open_date": opened,
                "closed_date": closed,
                "is_payroll": payroll,
                "risk_level": int(rng.integers(1, 6)),
                "birth_year": int(rng.integers(1950, 2000)),
            }
        )
        aum = float(rng.uniform(5e3, 5e5))
        for k in range(N_MONTHS):
            month = START + k
            if month.end_time < opened or (closed is not None and month.start_time > closed):
                continue
            aum *= float(rng.lognormal(0, 0.2))
            if rng.random() < 0.9:
                balances.append(
                    {
                        "client_id": cid,
                        "month": str(month),
                        "aum": aum,
                        "deposits": aum * float(rng.uniform(0.2, 0.8)),
                        "wealth": aum * 0.2,
                        "funds": aum * 0.2,
                        "insurance": aum * 0.1,
                    }
                )
            for pay_day in (10, 20):
                if payroll and rng.random() < 0.7:
                    d = month.start_time + pd.Timedelta(days=pay_day - 1)
                    tx.append(
                        {
                            "client_id": cid,
                            "date": d,
                            "amount": 8000.0,
                            "direction": "in",
                            "kind": "payroll",
                            "external": True,
                        }
                    )
                    if rng.random() < 0.5:
                        tx.append(
                            {
                                "client_id": cid,
                                "date": d + pd.Timedelta(days=int(rng.integers(0, 8))),
                                "amount": float(rng.uniform(100, 8000)),
                                "direction": "out",
                                "kind": "transfer",
                                "external": True,
                            }
                        )
            for _ in range(int(rng.integers(0, 4))):
                tx.append(
                    {
                        "client_id": cid,
                        "date": _day(rng, month.start_time, month.end_time.normalize()),
                        "amount": float(rng.uniform(10, 5e4)),
                        "direction": ("in", "out")[int(rng.integers(2))],
                        "kind": ("transfer", "purchase", "redemption", "maturity", "fee")[
                            int(rng.integers(5))
                        ],
                        "external": bool(rng.random() < 0.5),
                    }
                )
            if rng.random() < 0.4:
                contacts.append(
                    {
                        "client_id": cid,
                        "rm_id": f"R{rng.integers(n_rms)}",
                        "date": _day(rng, month.start_time, month.end_time.normalize()),
                        "channel": "call",
                    }
                )
        for _ in range(int(rng.integers(0, 5))):
            start = _day(rng, first - pd.Timedelta(days=200), last)
            end = _day(rng, start + pd.Timedelta(days=20), last + pd.Timedelta(days=300))
            maturity = _day(rng, start + pd.Timedelta(days=30), last + pd.Timedelta(days=400))
            holdings.append(
                {
                    "client_id": cid,
                    "product_id": f"P{rng.integers(6)}",
                    "product_type": ("deposit", "wealth", "fund", "insurance")[
                        int(rng.integers(4))
                    ],
                    "amount": float(rng.uniform(1e3, 1e5)),
                    "start_date": start,
                    "end_date": end if rng.random() < 0.6 else None,
                    "maturity_date": maturity if rng.random() < 0.7 else None,
                }
            )
        t = opened
        owner = rm0
        while True:
            switch = t + pd.Timedelta(days=int(rng.integers(60, 500)))
            done = switch > last
            assignments.append(
                {
                    "client_id": cid,
                    "rm_id": owner,
                    "start_date": t,
                    "end_date": None if done else switch,
                }
            )
            if done:
                break
            t, owner = switch, f"R{rng.integers(n_rms)}"
    returns = [
        {"product_id": f"P{p}", "month": str(START + k), "return": float(rng.normal(0, 0.03))}
        for p in range(5)
        for k in range(-3, N_MONTHS)
    ]
    hr = []
    for r in rms:
        for k in range(-3, N_MONTHS):
            month = START + k
            if month.end_time < r["hire_date"] or (
                r["exit_date"] is not None and month.start_time > r["exit_date"]
            ):
                continue
            hr.append(
                {
                    "rm_id": r["rm_id"],
                    "month": str(month),
                    "target_attainment": float(rng.uniform(0.5, 1.5)),
                    "bonus": float(rng.uniform(0, 2e4)),
                    "overtime_hours": float(rng.uniform(0, 40)),
                    "leave_days": float(rng.integers(0, 4)),
                    "training_hours": float(rng.uniform(0, 8)),
                    "engagement_score": float(rng.uniform(1, 5)) if k % 3 == 0 else None,
                    "manager_changed": bool(rng.random() < 0.1),
                    "promoted": bool(rng.random() < 0.05),
                }
            )
    return _make_bank(
        branches=branches,
        rms=rms,
        clients=clients,
        monthly_balances=balances,
        transactions=tx,
        holdings=holdings,
        product_returns=returns,
        interactions=contacts,
        assignments=assignments,
        rm_monthly=hr,
    )


def _perturb_after(data: BankData, as_of: pd.Period, seed: int) -> BankData:
    """A copy of ``data`` with everything dated after ``as_of`` changed at random.

    Values after the as-of are rescaled or dropped, new later rows are added, and
    later facts in static columns move to other later dates.
    """
    rng = np.random.default_rng(seed)
    cut = as_of.end_time.normalize()
    later = cut + pd.Timedelta(days=1)
    t = {name: df.copy() for name, df in data.items()}

    def later_dates(n: int) -> pd.Series:
        return pd.Series(later + pd.to_timedelta(rng.integers(0, 400, n), unit="D"))

    def scale(df: pd.DataFrame, mask: np.ndarray, cols: Sequence[str]) -> None:
        for c in cols:
            df.loc[mask, c] = df.loc[mask, c] * rng.uniform(0.0, 3.0, int(mask.sum()))

    def drop_some(df: pd.DataFrame, mask: np.ndarray) -> pd.DataFrame:
        return df.loc[~(mask & (rng.random(len(df)) < 0.3))].reset_index(drop=True)

    b = t["monthly_balances"]
    m = (b["month"] > as_of).to_numpy()
    scale(b, m, ["aum", "deposits", "funds"])
    t["monthly_balances"] = drop_some(b, m)

    x = t["transactions"]
    m = (x["date"] > cut).to_numpy()
    scale(x, m, ["amount"])
    x.loc[m, "external"] = ~x.loc[m, "external"]
    extra = x.sample(n=min(10, len(x)), random_state=seed).reset_index(drop=True)
    extra["date"] = later_dates(len(extra)).to_numpy()
    t["transactions"] = pd.concat([drop_some(x, m), extra], ignore_index=True)

    h = t["holdings"]
    m = (h["start_date"] > cut).to_numpy()
    scale(h, m, ["amount"])
    ends = (h["end_date"] > cut).to_numpy()
    h.loc[ends, "end_date"] = later_dates(int(ends.sum())).to_numpy()
    extra = h.sample(n=min(6, len(h)), random_state=seed).reset_index(drop=True)
    extra["start_date"] = later_dates(len(extra)).to_numpy()
    extra["end_date"] = pd.NaT
    t["holdings"] = pd.concat([drop_some(h, m), extra], ignore_index=True)

    r = t["product_returns"]
    m = (r["month"] > as_of).to_numpy()
    r.loc[m, "return"] = rng.normal(0, 0.3, int(m.sum()))

    it = t["interactions"]
    m = (it["date"] > cut).to_numpy()
    it.loc[m, "date"] = later_dates(int(m.sum())).to_numpy()
    extra = it.sample(n=min(6, len(it)), random_state=seed).reset_index(drop=True)
    extra["date"] = later_dates(len(extra)).to_numpy()
    t["interactions"] = pd.concat([drop_some(it, m), extra], ignore_index=True)

    hm = t["rm_monthly"]
    m = (hm["month"] > as_of).to_numpy()
    scale(hm, m, ["target_attainment", "bonus", "overtime_hours", "leave_days"])
    hm.loc[m, "promoted"] = ~hm.loc[m, "promoted"]
    hm.loc[m, "manager_changed"] = True
    t["rm_monthly"] = drop_some(hm, m)

    rms = t["rms"]
    m = (rms["exit_date"] > cut).to_numpy() | (
        rms["exit_date"].isna().to_numpy() & (rng.random(len(rms)) < 0.5)
    )
    rms.loc[m, "exit_date"] = later_dates(int(m.sum())).to_numpy()
    rms.loc[m, "exit_type"] = "voluntary"

    c = t["clients"]
    m = (c["closed_date"] > cut).to_numpy() | (
        c["closed_date"].isna().to_numpy() & (rng.random(len(c)) < 0.5)
    )
    c.loc[m, "closed_date"] = later_dates(int(m.sum())).to_numpy()

    a = t["assignments"]
    ends = (a["end_date"] > cut).to_numpy()
    a.loc[ends, "end_date"] = later_dates(int(ends.sum())).to_numpy()
    extra = a.sample(n=min(8, len(a)), random_state=seed).reset_index(drop=True)
    extra["start_date"] = later_dates(len(extra)).to_numpy()
    extra["end_date"] = pd.NaT
    extra["rm_id"] = pd.array(
        [f"R{i}" for i in rng.integers(0, len(rms), len(extra))], dtype="string"
    )
    t["assignments"] = pd.concat([a, extra], ignore_index=True)
    return BankData({name: typed(name, df) for name, df in t.items()}, source="perturbed")


@pytest.fixture(scope="session")
def random_bank() -> Callable[..., BankData]:
    """Factory: ``random_bank(seed)``, a small bank holding every contract table."""
    return _random_bank


@pytest.fixture(scope="session")
def perturb_after() -> Callable[[BankData, pd.Period, int], BankData]:
    """Factory: ``perturb_after(data, as_of, seed)`` changes only data dated after as_of."""
    return _perturb_after
