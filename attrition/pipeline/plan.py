"""The weekly contact plan: which clients each RM contacts, with which action, in order.

From client scores (``attrition score``): each client's most urgent suggested action
and its expected effect, the share of the value at risk the action keeps (measured
from the bank's randomised campaigns where they cover the action, the playbook's
estimate otherwise; :mod:`attrition.pipeline.effects`). A contact is then worth
``expected_retained = value_at_risk × effect`` of AUM, and costs the RM one of their
weekly contacts (``contact_plan`` in the playbook: 25 by default, by grade or by RM).
Since contacts are independent and cost the same, taking each RM's clients in order
of expected AUM retained, up to the RM's capacity, maximises the AUM retained for that
RM (and so for the bank). What does not fit, and the clients whose RM has left, go on
in the same order: to the remote RM team when the client's AUM is at most the team's
``max_aum`` (it serves mass-affluent clients by phone) and the action can be done
remotely, up to the team's weekly capacity; to their branch head, to reassign, when
the client is larger or the action needs a person on site (a joint visit, the new RM's
welcome), up to the branch head's weekly capacity; the rest wait for next week's plan
(assignee ``waiting``), so nothing silently drops off the list.

Only clients whose suggested action needs a person are planned, and only where there
is money to keep (value at risk above 0): the tiers come from the scores (the
playbook's one definition, which the branch view also counts), the low tier's default
is automated care, not RM or remote-team time (DOMAIN.md), and a low-tier client gets
a person only when a strong driver fired a playbook rule (a maturity next month).
Scores hold only clients inside the outflow population, so a client under the AUM
floor is never planned.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from attrition.contracts import BankData
from attrition.errors import ConfigError
from attrition.pipeline.effects import measured_effects
from attrition.pipeline.score import client_owners
from attrition.playbook import Playbook
from attrition.results import SCORE_COLUMNS, ScoringResult

REMOTE_TEAM = "remote_team"
BRANCH_HEAD = "branch_head"
WAITING = "waiting"
PLAN_COLUMNS = [
    "assignee",
    "rm_id",
    "branch_id",
    "order",
    "client_id",
    "tier",
    "aum",
    "risk",
    "value_at_risk",
    "action_id",
    "action_en",
    "action_zh",
    "because",
    "effect",
    "effect_source",
    "expected_retained",
]
AUTOMATED = {"automated_care"}


def _first_actions(result: ScoringResult, ids: pd.Index) -> pd.DataFrame:
    """Each client's most urgent action (none: automated care is all it gets)."""
    first = result.first_actions()
    first = first[first.index.get_level_values("entity_type") == "client"]
    first = first.droplevel("entity_type").reindex(ids)
    return pd.DataFrame(
        {
            "action_id": first["action_id"].to_numpy(dtype=object),
            "action_en": first["en"].to_numpy(dtype=object),
            "action_zh": first["zh"].to_numpy(dtype=object),
            "because": first["because"].to_numpy(dtype=object),
            "effect": first["effect"].to_numpy(dtype=float),
            # scores written before actions said so: only in-person actions were not
            "remote": first["remote"].fillna(True).astype(bool).to_numpy(),
        }
    )


def contact_candidates(result: ScoringResult, data: BankData, horizon: int = 3) -> pd.DataFrame:
    """Client scores with their owner, first action and expected AUM retained;
    ``risk`` is the risk at ``horizon`` months (the playbook's tier horizon).

    Raises
    ------
    ConfigError
        When the scores lack columns of the score output (all named), or hold clients
        this bank does not have.
    """
    scores = result.scores
    needed = ["id", "entity_type", "as_of", f"risk_{horizon}m", "tier", "value_at_risk"]
    missing = [c for c in needed if c not in scores.columns]
    if missing:
        raise ConfigError(
            f"the scores lack column(s) {missing}: expected the output of `attrition score` "
            f"(columns {SCORE_COLUMNS})"
        )
    clients = scores[scores["entity_type"] == "client"].reset_index(drop=True)
    if clients.empty:
        return pd.DataFrame(columns=PLAN_COLUMNS)
    known = data["clients"]["client_id"].astype(str)
    strangers = clients.loc[~clients["id"].isin(set(known)), "id"]
    if len(strangers):
        raise ConfigError(
            f"{len(strangers):,} of the {len(clients):,} scored clients are not in this bank's "
            f"clients table (e.g. {', '.join(strangers.head(5))}): the scores come from "
            "another bank; pass the --source they were scored from"
        )
    month = pd.Period(clients["as_of"].iloc[0], freq="M")
    owner = client_owners(data, month).reindex(clients["id"].to_numpy())
    balances = data["monthly_balances"]
    now = balances[balances["month"] == month]
    aum = now.set_index(now["client_id"].astype(str))["aum"]
    branch = data["clients"].set_index(known)["branch_id"].astype(str)
    rms = data["rms"]
    end = month.to_timestamp(how="end").normalize()
    employed = set(rms.loc[rms["exit_date"].isna() | (rms["exit_date"] > end), "rm_id"].astype(str))
    actions = _first_actions(result, pd.Index(clients["id"].astype(str)))
    out = pd.DataFrame(
        {
            "rm_id": [o if isinstance(o, str) and o in employed else None for o in owner],
            "client_id": clients["id"].to_numpy(),
            "branch_id": branch.reindex(clients["id"]).to_numpy(),
            "tier": clients["tier"].to_numpy(),
            "aum": aum.reindex(clients["id"]).to_numpy(dtype=float),
            "risk": clients[f"risk_{horizon}m"].to_numpy(),
            "value_at_risk": clients["value_at_risk"].to_numpy(),
        }
    ).join(actions)
    out["effect_source"] = "playbook"
    out["expected_retained"] = out["value_at_risk"].fillna(0.0) * out["effect"]
    worth = out["value_at_risk"].fillna(0.0) > 0
    return out[worth & out["action_id"].notna() & ~out["action_id"].isin(AUTOMATED)]


def with_measured_effects(cand: pd.DataFrame, effects: pd.DataFrame) -> pd.DataFrame:
    """Candidates whose action a campaign measured take the measured effect."""
    usable = effects[effects["usable"].astype(bool)].set_index("action")["effect"]
    measured = cand["action_id"].map(usable)
    return cand.assign(
        effect=measured.fillna(cand["effect"]).astype(float),
        effect_source=np.where(measured.notna(), "campaign", "playbook"),
    )


def contact_plan(
    result: ScoringResult,
    data: BankData,
    playbook: Playbook,
    *,
    rank_by: str = "expected_retained",
    effects: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Each RM's contacts for the week, then the remote team's overflow (see module doc).

    Parameters
    ----------
    result : ScoringResult
        From :func:`attrition.pipeline.score.score_bank` (or read back from a scores
        file with ``ScoringResult.from_export``); its client rows are planned.
    data : BankData (ownership at the scores' as-of, RMs still employed, grades)
    playbook : Playbook (capacities and action effects)
    rank_by : {"expected_retained", "risk"}
        The order in which an RM takes clients; ``risk`` (at the playbook's tier
        horizon) is the naive alternative (most at-risk first), kept for comparison.
    effects : DataFrame, optional
        :func:`~attrition.pipeline.effects.measured_effects` (measured from ``data``
        by default): an action a campaign measured uses that effect, not the
        playbook's estimate (column ``effect_source``).

    Returns
    -------
    DataFrame with :data:`PLAN_COLUMNS`: ``assignee`` is the RM id, ``remote_team``,
    ``branch_head`` or ``waiting`` (see the module docstring); ``order`` counts from 1
    within each assignee.
    """
    if rank_by not in ("expected_retained", "risk"):
        raise ValueError(f"rank_by must be 'expected_retained' or 'risk', got {rank_by!r}")
    horizon = playbook.tiers.horizon
    cand = contact_candidates(result, data, horizon)
    if cand.empty:
        return pd.DataFrame(columns=PLAN_COLUMNS)
    if effects is None:
        month = pd.Period(result.scores["as_of"].iloc[0], freq="M")
        effects = measured_effects(data, horizon=horizon, before=month)
    cand = with_measured_effects(cand, effects)
    cand["expected_retained"] = cand["value_at_risk"].fillna(0.0) * cand["effect"]
    capacity = playbook.contact_plan.capacities(data["rms"])
    cand = cand.sort_values([rank_by, "client_id"], ascending=[False, True], kind="stable")
    taken = cand["rm_id"].notna().to_numpy().copy()
    owned = cand[taken]
    rank_in_book = owned.groupby("rm_id", sort=False).cumcount().to_numpy() + 1
    cap = capacity.reindex(owned["rm_id"]).fillna(playbook.contact_plan.capacity).to_numpy()
    fits = rank_in_book <= cap
    taken[np.flatnonzero(taken)[~fits]] = False
    assignee = np.where(taken, cand["rm_id"].to_numpy(dtype=object), None)
    team = playbook.contact_plan.remote_team
    rest = ~taken
    remote_ok = rest & cand["remote"].to_numpy() & (cand["aum"].fillna(np.inf) <= team.max_aum)
    remote_rows = np.flatnonzero(remote_ok)[: team.capacity]
    assignee[remote_rows] = REMOTE_TEAM
    unassigned = pd.isna(assignee)
    # larger clients and in-person actions: each branch head reassigns the most valuable
    escalate = unassigned & (~cand["remote"].to_numpy() | (cand["aum"].fillna(0) > team.max_aum))
    rank_in_branch = cand[escalate].groupby("branch_id", sort=False, dropna=False).cumcount()
    head_cap = playbook.contact_plan.branch_head.capacity
    assignee[np.flatnonzero(escalate)[rank_in_branch.to_numpy() < head_cap]] = BRANCH_HEAD
    assignee[pd.isna(assignee)] = WAITING
    plan = cand.assign(assignee=assignee)
    # RMs' own lists first, in the order their best contact ranks; then the rest
    rms = [a for a in plan["assignee"].unique() if a not in (REMOTE_TEAM, BRANCH_HEAD, WAITING)]
    rank = {a: i for i, a in enumerate([*rms, REMOTE_TEAM, BRANCH_HEAD, WAITING])}
    plan = plan.iloc[np.argsort(plan["assignee"].map(rank).to_numpy(), kind="stable")]
    plan["order"] = plan.groupby("assignee", sort=False).cumcount() + 1
    return plan[PLAN_COLUMNS].reset_index(drop=True)


def plan_summary(plan: pd.DataFrame) -> pd.DataFrame:
    """Per assignee: contacts, value at risk covered and expected AUM retained."""
    return (
        plan.groupby("assignee")
        .agg(
            contacts=("client_id", "size"),
            value_at_risk=("value_at_risk", "sum"),
            expected_retained=("expected_retained", "sum"),
        )
        .sort_values("expected_retained", ascending=False)
    )
