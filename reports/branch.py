"""The branch head's report: what one branch stands to lose, who to call, and why.

Built from a :class:`~reports.context.ReportRun` as plain values in the report's
language, ready for the template: the headline by tier with the change since the
previous run, the ranked list (the listed tiers by value at risk, at most ``top``),
this week's contacts per RM from the stored plan, the clients whose RM is at high
flight risk or has left, how the previous run's list fared, and the charts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from reports import charts
from reports.config import Language, ReportSpec
from reports.context import ReportError, ReportRun, listable, model_warnings
from reports.i18n import cutoff_note, mask_name, money, share, signed_count, signed_money, text

TIERS = ("high", "medium", "low")


@dataclass(frozen=True)
class ClientLine:
    client_id: str
    name: str
    rm: str
    segment: str
    aum: str
    risk_3m: str
    value_at_risk: str
    drivers: list[str]
    action: str
    rm_status: str = ""


@dataclass(frozen=True)
class TierLine:
    tier: str
    clients: int
    aum: str
    value_at_risk: str
    change_clients: str
    change_value: str


@dataclass(frozen=True)
class RmPlan:
    assignee: str
    contacts: int
    retained: str
    clients: list[str]  # the first few, in the plan's order
    more: int  # the rest of the assignee's contacts (their own list has them all)


@dataclass(frozen=True)
class LastList:
    month: str
    listed: int
    moved: int
    months: int
    rows: list[tuple[str, int, int, str]]  # contacted or not: listed, moved, share


@dataclass(frozen=True)
class BranchReport:
    branch_id: str
    branch_name: str
    head_email: str | None
    as_of: str
    run_id: int
    models: str
    language: Language
    masked: bool
    tiers: list[TierLine]
    previous_as_of: str | None
    clients: list[ClientLine]
    more: str
    plan: list[RmPlan]
    plan_stored: bool
    exposed: list[ClientLine]
    exposed_more: str
    last_list: LastList | None
    last_list_wait: str | None
    # the report's own list cut-offs in words ("" when none)
    cutoffs: str = ""
    # the models' own warnings (a weak model, an input from one): shown above all else
    warnings: list[str] = field(default_factory=list)
    charts: dict[str, str] = field(default_factory=dict)
    # the plain numbers behind the headline, for the e-mail body and the tests
    totals: dict[str, float] = field(default_factory=dict)


def branch_ids(run: ReportRun, spec: ReportSpec) -> list[str]:
    """The branches a branch report covers: the spec's, or every branch of the bank."""
    known = run.bank["branches"]["branch_id"].astype(str).tolist()
    if spec.branches is None:
        return sorted(known)
    unknown = sorted(set(spec.branches) - set(known))
    if unknown:
        raise ReportError(f"no branch {', '.join(unknown)} in the bank's branches table")
    return list(spec.branches)


def prepare(run: ReportRun, spec: ReportSpec, branch_ids: list[str]) -> None:
    """Read, in one pass for the whole batch, what these branches' reports will list:
    the drivers and actions of the clients listed, and the names of every client and
    RM printed. The reports are then built from memory, in worker processes forked
    after this call (200 branches: one pass instead of 200)."""
    rms = run.entity("rm").set_index("id")
    listed, named = [], []
    for key in branch_ids:
        clients = run.branch("client", key)
        ranked = _ranked(clients, spec)["id"]
        exposed = _exposed_rows(run, clients, rms)["id"].head(spec.top)
        listed += [*ranked, *exposed]
    run.prefetch("client", listed)
    first = run.plan.first
    if not first.empty:
        named += first.loc[first["branch_id"].isin(branch_ids), "client_id"].astype(str).tolist()
    run.lookup_names("client", [*listed, *named])
    run.lookup_names("rm", run.bank["rms"]["rm_id"])


def branch_report(run: ReportRun, spec: ReportSpec, branch_id: str) -> BranchReport:
    """One branch's report in ``spec.language``."""
    lang = spec.language
    branches = run.bank["branches"].set_index("branch_id")
    if branch_id not in branches.index:
        raise ReportError(f"no branch {branch_id} in the bank's branches table")
    branch = branches.loc[branch_id]
    clients = run.branch("client", branch_id)
    names = _Names(run, spec)
    rms = run.entity("rm").set_index("id")
    chosen = _ranked(clients, spec)
    run.prefetch("client", chosen["id"])
    lines = [_line(run, row, names, rms, lang) for row in chosen.itertuples(index=False)]
    rest = clients[clients["tier"].isin(spec.tiers)].drop(index=chosen.index)
    more = ""
    if len(rest):
        more = text(
            "more_not_listed", lang, n=len(rest), value=money(rest["value_at_risk"].sum(), lang)
        )
    exposed, exposed_rest = _exposed(run, clients, rms, names, spec)
    head = branch.get("head_email")
    return BranchReport(
        branch_id=branch_id,
        branch_name=str(branch.get("name") or branch_id),
        head_email=None if pd.isna(head) else str(head),
        as_of=run.as_of,
        run_id=run.run_id,
        models=run.models,
        language=lang,
        masked=not spec.full_names,
        tiers=_tiers(run, clients, branch_id, lang),
        previous_as_of=run.previous_as_of,
        clients=lines,
        more=more,
        plan=_plan(run, branch_id, names, lang),
        plan_stored=not run.plan.empty,
        exposed=exposed,
        exposed_more=(
            text(
                "more_not_listed",
                lang,
                n=len(exposed_rest),
                value=money(exposed_rest["value_at_risk"].sum(), lang),
            )
            if len(exposed_rest)
            else ""
        ),
        last_list=_last_list(run, spec, branch_id),
        last_list_wait=(
            text("last_list_wait", lang, month=run.previous_as_of)
            if run.previous_as_of and run.follow_up_months == 0
            else None
        ),
        cutoffs=cutoff_note(spec, "client"),
        warnings=model_warnings(clients, lang),
        charts={
            "risk": charts.risk_histogram(clients, lang),
            "segment": charts.value_by_segment(clients, lang),
            "trend": charts.trend(run.history[run.history["branch_id"] == branch_id], lang),
        },
        totals={
            "clients": float(len(clients)),
            "value_at_risk": float(clients["value_at_risk"].sum()),
            **{f"{t}_clients": float((clients["tier"] == t).sum()) for t in TIERS},
        },
    )


def _ranked(clients: pd.DataFrame, spec: ReportSpec) -> pd.DataFrame:
    """The listed tiers (at or above the report's cut-offs) by value at risk (then
    risk, then id: a stable order), top N."""
    chosen = listable(clients, spec)
    order = chosen.sort_values(
        ["value_at_risk", "risk_3m", "id"], ascending=[False, False, True], na_position="last"
    )
    return order.head(spec.top)


class _Names:
    """(population, id) -> the name as printed (masked unless the spec allows)."""

    def __init__(self, run: ReportRun, spec: ReportSpec) -> None:
        self._run, self._full = run, spec.full_names

    def get(self, key: tuple[str, str], default: str = "") -> str:
        name = self._run.name(*key)
        if name is None:
            return default
        return str(name) if self._full else mask_name(str(name))


def _line(
    run: ReportRun,
    row: object,
    names: _Names,
    rms: pd.DataFrame,
    lang: Language,
    status: str = "",
) -> ClientLine:
    cid = str(row.id)  # type: ignore[attr-defined]
    rm_id = row.rm_id  # type: ignore[attr-defined]
    rm = "" if pd.isna(rm_id) else f"{names.get(('rm', str(rm_id)), '')} ({rm_id})".strip()
    return ClientLine(
        client_id=cid,
        name=names.get(("client", cid), ""),
        rm=rm,
        segment=str(row.segment or ""),  # type: ignore[attr-defined]
        aum=money(row.aum, lang),  # type: ignore[attr-defined]
        risk_3m=share(row.risk_3m),  # type: ignore[attr-defined]
        value_at_risk=money(row.value_at_risk, lang),  # type: ignore[attr-defined]
        drivers=run.driver_texts("client", cid, lang),
        action=run.first_action("client", cid, lang),
        rm_status=status,
    )


def _tiers(run: ReportRun, clients: pd.DataFrame, branch_id: str, lang: Language) -> list[TierLine]:
    history = run.history[run.history["branch_id"] == branch_id]
    before = history[history["as_of"] == run.previous_as_of].set_index("tier")
    lines = []
    for tier in (*TIERS, "all"):
        rows = clients if tier == "all" else clients[clients["tier"] == tier]
        value = float(rows["value_at_risk"].sum())
        if run.previous_as_of is None:
            change_n, change_v = "–", "–"
        else:
            prior = before if tier == "all" else before.loc[before.index == tier]
            change_n = signed_count(len(rows) - int(prior["entities"].sum()))
            change_v = signed_money(value - float(prior["value_at_risk"].sum()), lang)
        lines.append(
            TierLine(
                tier=text(tier, lang),
                clients=len(rows),
                aum=money(float(rows["aum"].sum()), lang),
                value_at_risk=money(value, lang),
                change_clients=change_n,
                change_value=change_v,
            )
        )
    return lines


def _plan(run: ReportRun, branch_id: str, names: _Names, lang: Language) -> list[RmPlan]:
    if run.plan.empty:
        return []
    totals = run.plan.totals[run.plan.totals["branch_id"] == branch_id]
    first = run.plan.first[run.plan.first["branch_id"] == branch_id]
    shown = dict(tuple(first.groupby("assignee", sort=False)))
    out = []
    special = {"remote_team": "remote_team", "branch_head": "to_branch_head", "waiting": "waiting"}
    for row in totals.itertuples(index=False):
        assignee = str(row.assignee)
        label = (
            text(special[assignee], lang)
            if assignee in special
            else f"{names.get(('rm', assignee), '')} ({assignee})".strip()
        )
        rows = shown.get(assignee, first.iloc[:0]).sort_values("order")
        out.append(
            RmPlan(
                assignee=label,
                contacts=int(row.contacts),
                retained=money(float(row.expected_retained), lang),
                clients=[
                    f"{names.get(('client', str(c)), '')} ({c}): {a}".strip()
                    for c, a in zip(rows["client_id"], rows[f"action_{lang}"], strict=True)
                ],
                more=max(0, int(row.contacts) - len(rows)),
            )
        )
    # RMs first (by id), then the remote team, the branch head and the waiting list
    last = {text(v, lang): i for i, v in enumerate(special.values(), start=1)}
    return sorted(out, key=lambda p: (last.get(p.assignee, 0), p.assignee))


def _exposed_rows(run: ReportRun, clients: pd.DataFrame, rms: pd.DataFrame) -> pd.DataFrame:
    """Clients whose RM has left by the as-of month, or is in the RMs' high tier, by
    value at risk, with the RM's status in ``rm_left``."""
    staff = run.bank["rms"].set_index("rm_id")
    end = pd.Period(run.as_of, "M").end_time
    left = set(staff.index[pd.to_datetime(staff["exit_date"]) <= end].astype(str))
    at_risk = set(rms.index[rms["tier"] == "high"].astype(str))
    rm_ids = clients["rm_id"].astype(str)
    chosen = clients[rm_ids.isin(left | at_risk)].sort_values(
        ["value_at_risk", "id"], ascending=[False, True], na_position="last"
    )
    return chosen.assign(rm_left=chosen["rm_id"].astype(str).isin(left))


def _exposed(
    run: ReportRun,
    clients: pd.DataFrame,
    rms: pd.DataFrame,
    names: _Names,
    spec: ReportSpec,
) -> tuple[list[ClientLine], pd.DataFrame]:
    """The clients of :func:`_exposed_rows`: the first ``top`` as lines, and the rest."""
    lang = spec.language
    chosen = _exposed_rows(run, clients, rms)
    run.prefetch("client", chosen["id"].head(spec.top))
    lines = [
        _line(run, row, names, rms, lang, text("rm_left" if row.rm_left else "rm_at_risk", lang))
        for row in chosen.head(spec.top).itertuples(index=False)
    ]
    return lines, chosen.iloc[spec.top :]


def _last_list(run: ReportRun, spec: ReportSpec, branch_id: str) -> LastList | None:
    """Of the clients the previous run listed (same tiers, same top N), how many moved
    their assets out since, split by whether an RM contacted them."""
    if run.previous.empty or run.follow_up_months == 0:
        return None
    before = run.previous[run.previous["branch_id"] == branch_id]
    listed = _ranked(before, spec)["id"].astype(str)
    if listed.empty:
        return None
    moved = run.moved_out.reindex(listed).fillna(False).to_numpy(bool)
    contacted = run.contacted.reindex(listed).fillna(False).to_numpy(bool)
    lang = spec.language
    rows = []
    for key, mask in (("contacted", contacted), ("not_contacted", ~contacted)):
        n, m = int(mask.sum()), int((moved & mask).sum())
        rows.append((text(key, lang), n, m, share(m / n) if n else "–"))
    return LastList(
        month=str(run.previous_as_of),
        listed=len(listed),
        moved=int(np.sum(moved)),
        months=run.follow_up_months,
        rows=rows,
    )
