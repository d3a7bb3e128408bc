"""The bank's own tables behind a synthetic scoring run (``bench/_scores.py``): what the
reports read from the bank and the store never holds (branch heads' addresses, client
and RM names) and the required contract tables, for the run's clients, RMs and
branches. Seeded, vectorised: a million clients take seconds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from attrition.results import ScoringResult

SURNAMES = np.array(list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"), dtype=object)
GIVEN = np.array(list("伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华"), dtype=object)


def _names(rng: np.random.Generator, n: int) -> np.ndarray:
    two = rng.random(n) < 0.6
    first = GIVEN[rng.integers(0, len(GIVEN), n)]
    second = np.where(two, GIVEN[rng.integers(0, len(GIVEN), n)], "")
    return SURNAMES[rng.integers(0, len(SURNAMES), n)] + first + second


def write_bank(run: ScoringResult, folder: Path, *, seed: int = 3) -> Path:
    """Contract tables (Parquet) for the run's entities into ``folder``."""
    rng = np.random.default_rng(seed)
    scores = run.scores[run.scores["entity_type"] == "client"]
    folder.mkdir(parents=True, exist_ok=True)
    branches = np.sort(scores["branch_id"].unique())
    pd.DataFrame(
        {
            "branch_id": branches,
            "name": [f"Branch {b[1:]}" for b in branches],
            "region": "East",
            "head_email": [f"head.{b.lower()}@bank.example" for b in branches],
        }
    ).to_parquet(folder / "branches.parquet", index=False)
    rms = scores.groupby("rm_id", sort=True)["branch_id"].first()
    pd.DataFrame(
        {
            "rm_id": rms.index,
            "branch_id": rms.to_numpy(),
            "hire_date": pd.Timestamp("2018-03-01"),
            "exit_date": pd.NaT,
            "exit_type": None,
            "grade": "G2",
            "name": _names(rng, len(rms)),
        }
    ).to_parquet(folder / "rms.parquet", index=False)
    n = len(scores)
    pd.DataFrame(
        {
            "client_id": scores["id"].to_numpy(),
            "branch_id": scores["branch_id"].to_numpy(),
            "rm_id": scores["rm_id"].to_numpy(),
            "segment": scores["segment"].to_numpy(),
            "open_date": pd.Timestamp("2015-06-01"),
            "name": _names(rng, n),
        }
    ).to_parquet(folder / "clients.parquet", index=False)
    month = str(scores["as_of"].iloc[0])
    pd.DataFrame(
        {"client_id": scores["id"].to_numpy(), "month": month, "aum": scores["aum"].to_numpy()}
    ).to_parquet(folder / "monthly_balances.parquet", index=False)
    return folder
