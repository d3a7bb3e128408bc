"""HR's report: which RMs may resign, what their books hold, and what could keep them.

Built from a :class:`~reports.context.ReportRun` as plain values in the report's
language: the ranked RMs (the listed tiers by flight risk, at most ``top``) with the
book AUM exposed, drivers and suggested retention actions; breakdowns by branch and by
grade; book size against capacity. The report says plainly that the scores are
probabilities for a person to review, never a decision on their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from attrition.features.specs import default_spec
from reports import charts
from reports.branch import TIERS
from reports.config import Language, ReportSpec
from reports.context import ReportError, ReportRun, listable, model_warnings
from reports.i18n import cutoff_note, mask_name, money, share, text


@dataclass(frozen=True)
class RmLine:
    rm_id: str
    name: str
    branch: str
    grade: str
    tier: str
    risk_3m: str
    risk_12m: str
    book_size: str
    book_aum: str
    exposed: str
    drivers: list[str]
    action: str


@dataclass(frozen=True)
class GroupLine:
    group: str
    rms: int
    high: int
    medium: int
    mean_risk: str
    exposed: str


@dataclass(frozen=True)
class HrReport:
    as_of: str
    run_id: int
    models: str
    language: Language
    masked: bool
    rms: list[RmLine]
    more: str
    by_branch: list[GroupLine]
    by_grade: list[GroupLine]
    capacity: float | None
    # the report's own list cut-offs in words ("" when none)
    cutoffs: str = ""
    # the models' own warnings (a weak model, an input from one): shown above all else
    warnings: list[str] = field(default_factory=list)
    charts: dict[str, str] = field(default_factory=dict)
    totals: dict[str, float] = field(default_factory=dict)


def book_capacity() -> float | None:
    """An RM's capacity in clients, as the catalogue's workload feature defines it."""
    for feature in default_spec("rm").features:
        if feature.name == "workload":
            value = dict(feature.params).get("divide_by")
            return float(value) if value else None
    return None


def _ranked(run: ReportRun, spec: ReportSpec) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The RMs the report covers, and of them the listed tiers (at or above the
    report's cut-offs) by flight risk (then exposure, then id: a stable order)."""
    rms = run.entity("rm")
    if spec.branches is not None:
        rms = rms[rms["branch_id"].isin(spec.branches)]
    if rms.empty:
        raise ReportError(f"scoring run {run.run_id} holds no RM scores to report on")
    chosen = listable(rms, spec).sort_values(
        ["risk_3m", "value_at_risk", "id"], ascending=[False, False, True], na_position="last"
    )
    return rms, chosen


def prepare(run: ReportRun, spec: ReportSpec) -> None:
    """Read the drivers, actions and names of the RMs the report will list."""
    listed = _ranked(run, spec)[1]["id"].head(spec.top)
    run.prefetch("rm", listed)
    run.lookup_names("rm", listed)


def hr_report(run: ReportRun, spec: ReportSpec) -> HrReport:
    """The RM flight-risk report in ``spec.language``."""
    lang = spec.language
    rms, chosen = _ranked(run, spec)
    listed = chosen.head(spec.top)
    # the rest of the listed tiers: beyond the list's length or below its cut-offs
    rest = rms[rms["tier"].isin(spec.tiers)].drop(index=listed.index)
    run.prefetch("rm", listed["id"])
    lines = []
    for row in listed.itertuples(index=False):
        rid = str(row.id)
        name = run.name("rm", rid)
        lines.append(
            RmLine(
                rm_id=rid,
                name=str(name) if spec.full_names and name is not None else mask_name(name),
                branch=str(row.branch_id or ""),
                grade=str(row.grade or ""),
                tier=text(str(row.tier), lang),
                risk_3m=share(row.risk_3m),
                risk_12m=share(row.risk_12m),
                book_size="–" if pd.isna(row.book_size) else f"{row.book_size:,.0f}",
                book_aum=money(row.book_aum, lang),
                exposed=money(row.value_at_risk, lang),
                drivers=run.driver_texts("rm", rid, lang),
                action=run.first_action("rm", rid, lang),
            )
        )
    more = (
        text(
            "more_rms_not_listed", lang, n=len(rest), value=money(rest["value_at_risk"].sum(), lang)
        )
        if len(rest)
        else ""
    )
    capacity = book_capacity()
    return HrReport(
        as_of=run.as_of,
        run_id=run.run_id,
        models=run.models,
        language=lang,
        masked=not spec.full_names,
        rms=lines,
        more=more,
        by_branch=_groups(rms, "branch_id", lang),
        by_grade=_groups(rms, "grade", lang),
        capacity=capacity,
        cutoffs=cutoff_note(spec, "rm"),
        warnings=model_warnings(rms, lang),
        charts={"workload": charts.workload(rms, capacity, lang)},
        totals={
            "rms": float(len(rms)),
            "exposed": float(rms["value_at_risk"].sum()),
            **{f"{t}_rms": float((rms["tier"] == t).sum()) for t in TIERS},
        },
    )


def _groups(rms: pd.DataFrame, column: str, lang: Language) -> list[GroupLine]:
    lines = []
    for key, rows in rms.groupby(rms[column].fillna("–").astype(str), sort=True):
        lines.append(
            GroupLine(
                group=str(key),
                rms=len(rows),
                high=int((rows["tier"] == "high").sum()),
                medium=int((rows["tier"] == "medium").sum()),
                mean_risk=share(float(rows["risk_3m"].mean())),
                exposed=money(float(rows["value_at_risk"].sum()), lang),
            )
        )
    return lines
