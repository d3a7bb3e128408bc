"""Turn a :class:`~attrition.synthetic.simulate.Simulation` into contract tables and truth.

Every frame leaves here with exactly the dtypes of :data:`attrition.contracts.PANDAS_DTYPES`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from attrition.contracts import PANDAS_DTYPES, PRODUCT_TYPES, TABLES
from attrition.synthetic.hazards import SEGMENTS
from attrition.synthetic.simulate import CHANNELS, DIRECTIONS, KINDS, N_FUNDS, Simulation

_SURNAMES = np.array(list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"))
_GIVEN = np.array(list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"))
_REGIONS = ("East", "North", "South", "West", "Central")


def _ids(prefix: str, n: int, width: int) -> np.ndarray:
    return np.array([f"{prefix}{i:0{width}d}" for i in range(1, n + 1)], dtype=object)


def _str(values: np.ndarray) -> pd.arrays.StringArray:
    return pd.array(values, dtype=PANDAS_DTYPES["str"])


def _date(values: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype="datetime64[D]").astype("datetime64[ns]")


def _typed(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Cast to the contract dtypes and order columns as the contract lists them."""
    table = TABLES[name]
    cols = [c for c in table.column_names if c in frame.columns]
    out = frame[cols]
    return out.astype({c: PANDAS_DTYPES[table.column(c).dtype] for c in cols})


def _names(rng: np.random.Generator, n: int) -> np.ndarray:
    s = rng.choice(_SURNAMES, n)
    g1 = rng.choice(_GIVEN, n)
    g2 = np.where(rng.random(n) < 0.6, rng.choice(_GIVEN, n), "")
    return np.char.add(np.char.add(s, g1), g2).astype(object)


def recorded_transactions(
    tx: dict[str, np.ndarray], kinds: tuple[str, ...] | None
) -> dict[str, np.ndarray]:
    """The transaction records of the kinds the bank books (all of them when ``None``).

    The simulation moved the money of every kind; a bank that does not book some kinds
    simply has no rows for them (its balances and holdings still show the money).
    """
    if kinds is None:
        return tx
    keep = np.isin(tx["kind"], [KINDS.index(k) for k in kinds])
    return {k: v[keep] for k, v in tx.items()}


def build_tables(sim: Simulation) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """Return (contract tables, truth tables) for a simulation."""
    cfg = sim.config
    rng = np.random.default_rng([cfg.seed, 7])  # names only; independent of the simulation
    periods = cfg.month_index
    c, r = sim.clients, sim.rms
    n_c = int(c["n"])
    n_r = int(r["n"])
    opened = c["opened"]
    client_ids = _ids("", n_c, 8)  # digits with leading zeros: ids must stay strings
    rm_ids = _ids("RM", n_r, 5)
    branch_ids = _ids("B", sim.n_branches, 3)

    tables: dict[str, pd.DataFrame] = {}
    tables["branches"] = _typed(
        "branches",
        pd.DataFrame(
            {
                "branch_id": branch_ids,
                "name": [f"Branch {b[1:]}" for b in branch_ids],
                "region": [_REGIONS[i % len(_REGIONS)] for i in range(sim.n_branches)],
                "head_email": [f"head.{b.lower()}@bank.example" for b in branch_ids],
            }
        ),
    )

    exit_type = np.array([None, "voluntary", "involuntary"], dtype=object)[r["exit_type"]]
    mgr_pool = rm_ids if n_r else np.array(["RM00000"], dtype=object)
    tables["rms"] = _typed(
        "rms",
        pd.DataFrame(
            {
                "rm_id": rm_ids,
                "branch_id": branch_ids[r["branch"]],
                "hire_date": _date(r["hire"]),
                "exit_date": _date(r["exit"]),
                "exit_type": exit_type,
                "grade": np.char.add("G", r["grade"].astype(str)).astype(object),
                "manager_id": mgr_pool[r["manager"] % len(mgr_pool)],
                "name": _names(rng, n_r),
                "email": np.char.add(np.char.lower(rm_ids.astype(str)), "@bank.example").astype(
                    object
                ),
                "birth_year": r["birth_year"],
                "gender": np.array(["F", "M"], dtype=object)[r["gender"]],
            }
        ),
    )

    owner = c["owner"][opened]
    tables["clients"] = _typed(
        "clients",
        pd.DataFrame(
            {
                "client_id": client_ids[opened],
                "branch_id": branch_ids[c["branch"][opened]],
                "rm_id": np.where(owner >= 0, rm_ids[np.maximum(owner, 0)], None),
                "segment": np.array(SEGMENTS, dtype=object)[c["segment"][opened]],
                "open_date": _date(c["open_date"][opened]),
                "closed_date": _date(c["closed_date"][opened]),
                "is_payroll": c["is_payroll"][opened],
                "risk_level": c["risk_level"][opened],
                "birth_year": c["birth_year"][opened],
                "name": _names(rng, int(opened.sum())),
            }
        ),
    )

    b = sim.balances
    comp = {k: np.round(b[k], 2) for k in ("dep", "wea", "fun", "ins")}
    tables["monthly_balances"] = _typed(
        "monthly_balances",
        pd.DataFrame(
            {
                "client_id": client_ids[b["client"]],
                "month": pd.PeriodIndex.from_ordinals(periods[0].ordinal + b["t"], freq="M"),
                "aum": comp["dep"] + comp["wea"] + comp["fun"] + comp["ins"],
                "deposits": comp["dep"],
                "wealth": comp["wea"],
                "funds": comp["fun"],
                "insurance": comp["ins"],
            }
        ).sort_values(["month", "client_id"], kind="stable", ignore_index=True),
    )

    tx = recorded_transactions(sim.transactions, cfg.transaction_kinds)
    tables["transactions"] = _typed(
        "transactions",
        pd.DataFrame(
            {
                "client_id": client_ids[tx["client"]],
                "date": _date(tx["date"]),
                "amount": tx["amount"],
                "direction": np.array(DIRECTIONS, dtype=object)[tx["direction"]],
                "kind": np.array(KINDS, dtype=object)[tx["kind"]],
                "external": tx["external"].astype(bool),
            }
        ).sort_values("date", kind="stable", ignore_index=True),
    )

    h = sim.holdings
    ptype = np.array(PRODUCT_TYPES, dtype=object)[h["ptype"]]
    start = _date(h["start"])
    start_ym = pd.DatetimeIndex(start).strftime("%Y%m").to_numpy(dtype=object)
    wealth_ids = np.char.add(
        np.char.add(np.char.add("W", start_ym.astype(str)), "-"),
        np.char.add(np.char.zfill(h["prod"].astype(str), 2), "M"),
    )
    fund_ids = _ids("F", N_FUNDS, 3)
    product_id = np.where(
        ptype == "wealth",
        wealth_ids.astype(object),
        np.where(
            ptype == "fund",
            fund_ids[np.clip(h["prod"], 0, N_FUNDS - 1)],
            np.array(["INS-A", "INS-B"], dtype=object)[np.clip(h["prod"], 0, 1)],
        ),
    )
    tables["holdings"] = _typed(
        "holdings",
        pd.DataFrame(
            {
                "client_id": client_ids[h["client"]],
                "product_id": product_id,
                "product_type": ptype,
                "amount": np.round(h["amount"], 2),
                "start_date": start,
                "end_date": _date(h["end"]),
                "maturity_date": _date(h["maturity"]),
            }
        ),
    )

    fr = sim.fund_returns
    tables["product_returns"] = _typed(
        "product_returns",
        pd.DataFrame(
            {
                "product_id": np.repeat(fund_ids, cfg.months),
                "month": pd.PeriodIndex.from_ordinals(
                    np.tile(periods[0].ordinal + np.arange(cfg.months), N_FUNDS), freq="M"
                ),
                "return": np.round(fr.ravel(), 5),
            }
        ),
    )

    con = sim.contacts
    has_rm = con["rm"] >= 0
    tables["interactions"] = _typed(
        "interactions",
        pd.DataFrame(
            {
                "client_id": client_ids[con["client"][has_rm]],
                "rm_id": rm_ids[con["rm"][has_rm]],
                "date": _date(con["date"][has_rm]),
                "channel": np.array(CHANNELS, dtype=object)[con["channel"][has_rm]],
            }
        ).sort_values("date", kind="stable", ignore_index=True),
    )

    a = sim.assignments
    keep = a["end"].astype("datetime64[D]") != a["start"].astype("datetime64[D]")
    tables["assignments"] = _typed(
        "assignments",
        pd.DataFrame(
            {
                "client_id": client_ids[a["client"][keep]],
                "rm_id": rm_ids[a["rm"][keep]],
                "start_date": _date(a["start"][keep]),
                "end_date": _date(a["end"][keep]),
            }
        ).sort_values(["client_id", "start_date"], kind="stable", ignore_index=True),
    )

    m = sim.rm_monthly
    tables["rm_monthly"] = _typed(
        "rm_monthly",
        pd.DataFrame(
            {
                "rm_id": rm_ids[m["rm"]],
                "month": pd.PeriodIndex.from_ordinals(periods[0].ordinal + m["t"], freq="M"),
                "target_attainment": m["target"],
                "bonus": m["bonus"],
                "overtime_hours": m["overtime"],
                "leave_days": m["leave"],
                "training_hours": m["training"],
                "engagement_score": m["engagement"],
                "manager_changed": m["manager_changed"],
                "promoted": m["promoted"],
            }
        ),
    )

    cp = sim.campaigns
    n_camp = len(cp.get("client", []))
    camp_dates = _date(cp["date"]) if n_camp else np.array([], dtype="datetime64[ns]")
    tables["campaigns"] = _typed(
        "campaigns",
        pd.DataFrame(
            {
                "client_id": client_ids[cp["client"]] if n_camp else np.array([], dtype=object),
                "rm_id": np.full(n_camp, None, dtype=object),
                "campaign_id": (
                    "MATCALL-" + pd.DatetimeIndex(camp_dates).strftime("%Y%m")
                ).to_numpy(dtype=object),
                "date": camp_dates,
                "group": np.where(cp["treat"], "treatment", "control").astype(object)
                if n_camp
                else np.array([], dtype=object),
                "action": np.full(n_camp, "maturity_call", dtype=object),
            }
        ),
    )

    ct, rt = sim.client_truth, sim.rm_truth
    truth = {
        "client_hazard": pd.DataFrame(
            {
                "client_id": _str(client_ids[ct["client"]]),
                "month": pd.PeriodIndex.from_ordinals(periods[0].ordinal + ct["t"], freq="M"),
                "hazard": ct["hazard"],
                "event": ct["event"].astype(bool),
            }
        ),
        "rm_hazard": pd.DataFrame(
            {
                "rm_id": _str(rm_ids[rt["rm"]]),
                "month": pd.PeriodIndex.from_ordinals(periods[0].ordinal + rt["t"], freq="M"),
                "hazard": rt["hazard"],
                "event": rt["event"].astype(bool),
                "hazard_involuntary": rt["hazard_involuntary"],
                "event_involuntary": rt["event_involuntary"].astype(bool),
            }
        ),
    }
    return tables, truth
