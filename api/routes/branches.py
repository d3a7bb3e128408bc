"""A branch's at-risk list (cursor-paginated) and its summary by tier."""

from __future__ import annotations

import base64
import json
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from api.deps import EngineDep, ScopeDep
from api.errors import ApiError
from api.routes.risk import ERRORS, Month, to_risk
from api.schemas import Risk
from attrition.results import number
from attrition.store import branch_page, branch_summary, current_run_id, run_as_of

router = APIRouter(prefix="/v1/branches", tags=["branches"])
BranchId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


class AtRiskPage(BaseModel):
    branch_id: str
    entity_type: str
    as_of: str
    run_id: int
    items: list[Risk]
    next_cursor: str | None = Field(None, description="Pass as ?cursor= for the next page")


class TierFigures(BaseModel):
    entities: int
    aum: float | None = None
    value_at_risk: float | None = None


class BranchSummary(BaseModel):
    branch_id: str
    as_of: str
    run_id: int
    clients: dict[str, TierFigures] = Field(description="By tier: counts, AUM, value at risk")
    rms: dict[str, TierFigures] = Field(description="By tier: counts (no names)")
    exposed_through_rms: float | None = Field(
        None, description="The RMs' value at risk: book AUM expected to leave with them"
    )


def _cursor(value: float | None, entity_id: str) -> str:
    known = number(value)
    raw = json.dumps([-1.0 if known is None else known, entity_id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _after(cursor: str | None) -> tuple[float, str] | None:
    if cursor is None:
        return None
    try:
        value, entity_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return float(value), str(entity_id)
    except (ValueError, TypeError):  # binascii.Error and JSON errors are ValueErrors
        raise ApiError(
            422, "invalid_request", "the cursor is not one this API gave", cursor="unknown cursor"
        ) from None


def _run(engine: EngineDep, entity: str | None, as_of: str | None) -> int:
    run_id = current_run_id(engine, entity=entity, as_of=as_of)
    if run_id is None:
        raise ApiError(404, "not_found", "no complete scoring run for that month")
    return run_id


@router.get("/{branch_id}/at-risk", response_model=AtRiskPage, responses=ERRORS)
def at_risk(
    scope: ScopeDep,
    engine: EngineDep,
    branch_id: BranchId,
    entity: Literal["client", "rm"] = "client",
    tier: Literal["high", "medium", "low"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
    as_of: Month = None,
) -> AtRiskPage:
    """The branch's clients (or RMs) by value at risk, largest first."""
    action = "GET /v1/branches/{id}/at-risk"
    if not scope.allows(entity, branch_id):
        scope.refuse(engine, action, "branch", [branch_id])
    after = _after(cursor)
    run_id = _run(engine, entity, as_of)
    page = branch_page(engine, run_id, branch_id, entity, tier=tier, limit=limit, after=after)
    if page.scores.empty and after is None and scope.reach(entity) == "all":
        scope.audit(engine, action, "branch", [branch_id], "not found")
        raise ApiError(404, "not_found", f"no {entity} of branch {branch_id} in the run")
    ids = page.scores["id"].tolist()
    scope.audit(engine, action, entity, ids, "ok")
    month = run_as_of(engine, run_id)
    last = page.scores.iloc[-1] if len(ids) == limit else None
    return AtRiskPage(
        branch_id=branch_id,
        entity_type=entity,
        as_of=month,
        run_id=run_id,
        items=[to_risk(page, i, run_id, month) for i in range(len(ids))],
        next_cursor=None if last is None else _cursor(last["value_at_risk"], last["id"]),
    )


@router.get("/{branch_id}/summary", response_model=BranchSummary, responses=ERRORS)
def summary(
    scope: ScopeDep, engine: EngineDep, branch_id: BranchId, as_of: Month = None
) -> BranchSummary:
    """Counts, AUM and value at risk by tier; RMs as counts only."""
    action = "GET /v1/branches/{id}/summary"
    if not scope.summarises(branch_id):
        scope.refuse(engine, action, "branch", [branch_id])
    run_id = _run(engine, None, as_of)
    table = branch_summary(engine, run_id, branch_id)
    if table.empty and scope.summary_reach() == "all":
        raise ApiError(404, "not_found", f"no entity of branch {branch_id} in the run")
    scope.audit(engine, action, "branch", [branch_id], "ok")

    def figures(entity: str, money: bool) -> dict[str, TierFigures]:
        part = table[table["entity_type"] == entity]
        return {
            r["tier"]: TierFigures(
                entities=int(r["entities"]),
                aum=number(r["aum"]) if money else None,
                value_at_risk=number(r["value_at_risk"]) if money else None,
            )
            for _, r in part.iterrows()
        }

    rms = table[table["entity_type"] == "rm"]["value_at_risk"]
    return BranchSummary(
        branch_id=branch_id,
        as_of=run_as_of(engine, run_id),
        run_id=run_id,
        clients=figures("client", True),
        rms=figures("rm", False),
        exposed_through_rms=number(rms.sum(min_count=1)) if len(rms) else None,
    )
