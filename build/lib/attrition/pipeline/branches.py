"""The branch view: what each branch stands to lose, through clients and through RMs.

Per branch (clients by ``clients.branch_id``, RMs by ``rms.branch_id``):

- ``client_value_at_risk``: the sum of its clients' value at risk (risk × AUM);
- ``rm_value_at_risk``: the sum of its RMs' value at risk (P(resign) × the book AUM
  expected to leave because the RM leaves), the exposure through at-risk RMs;
- the count of high- and medium-tier clients and RMs.

The two sums overlap where a client of an at-risk RM is also at risk on their own, so
they are shown side by side, not added into one total.
"""

from __future__ import annotations

import pandas as pd

from attrition.contracts import BankData

BRANCH_COLUMNS = [
    "branch_id",
    "clients",
    "clients_high",
    "clients_medium",
    "client_value_at_risk",
    "rms",
    "rms_high",
    "rms_medium",
    "rm_value_at_risk",
]


def branch_view(scores: pd.DataFrame, data: BankData | None = None) -> pd.DataFrame:
    """One row per branch with scored entities, largest client value at risk first.

    ``scores``: the scores of a :class:`~attrition.results.ScoringResult`
    (their ``branch_id``); ``data`` places the rows of a scores file written before
    scores carried it.
    """
    parts = []
    for entity, table, key in (("client", "clients", "client_id"), ("rm", "rms", "rm_id")):
        s = scores[scores["entity_type"] == entity]
        if "branch_id" not in s.columns or (len(s) and s["branch_id"].isna().all()):
            if data is None:
                raise ValueError("these scores carry no branch_id: pass the bank's data")
            frame = data[table]
            branch = frame.set_index(frame[key].astype(str))["branch_id"].astype(str)
            s = s.assign(branch_id=branch.reindex(s["id"].to_numpy()).to_numpy())
        name = "clients" if entity == "client" else "rms"
        parts.append(
            s.groupby("branch_id").agg(
                **{
                    name: ("id", "size"),
                    f"{name}_high": ("tier", lambda t: int((t == "high").sum())),
                    f"{name}_medium": ("tier", lambda t: int((t == "medium").sum())),
                    # all-unknown stays unknown (NaN), not 0
                    f"{entity}_value_at_risk": ("value_at_risk", lambda v: v.sum(min_count=1)),
                }
            )
        )
    view = pd.concat(parts, axis=1)
    view = view.reset_index().rename(columns={"index": "branch_id"})
    for col in ("clients", "clients_high", "clients_medium", "rms", "rms_high", "rms_medium"):
        view[col] = view[col].fillna(0).astype(int)
    return view[BRANCH_COLUMNS].sort_values(
        ["client_value_at_risk", "branch_id"], ascending=[False, True], ignore_index=True
    )
