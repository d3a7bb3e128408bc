"""An RM's contacts for the week, from the plan made from the current run."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import EngineDep, ScopeDep
from api.errors import ApiError
from api.routes.risk import ERRORS, EntityId, Month
from attrition.results import plain
from attrition.store import current_run_id, read_entity, run_as_of
from attrition.store.plans import read_plan

router = APIRouter(prefix="/v1/rms", tags=["plans"])


class Contact(BaseModel):
    order: int
    client_id: str
    tier: str
    aum: float | None
    value_at_risk: float | None
    action_id: str
    action_en: str
    action_zh: str
    because: str | None
    expected_retained: float | None


class RMPlan(BaseModel):
    rm_id: str
    as_of: str
    run_id: int
    contacts: list[Contact]


@router.get("/{rm_id}/plan", response_model=RMPlan, responses=ERRORS)
def rm_plan(scope: ScopeDep, engine: EngineDep, rm_id: EntityId, as_of: Month = None) -> RMPlan:
    """The clients the RM contacts this week, in order, with the action for each (a
    list of clients: readable where the caller may read the RM's branch's clients)."""
    action = "GET /v1/rms/{id}/plan"
    run_id = current_run_id(engine, entity="client", as_of=as_of)
    rm = read_entity(engine, run_id, "rm", rm_id) if run_id is not None else None
    plan = read_plan(engine, run_id, rm_id) if run_id is not None else None
    branch = None
    if rm is not None:
        branch = rm.scores["branch_id"].iloc[0]
    elif plan is not None and len(plan):
        branch = plan["branch_id"].iloc[0]
    if not scope.allows("client", branch):
        scope.refuse(engine, action, "rm", [rm_id])
    if run_id is None or (rm is None and (plan is None or plan.empty)):
        raise ApiError(404, "not_found", f"no plan for RM {rm_id} in the scoring run")
    contacts = [
        Contact(**{k: plain(v) for k, v in r.items()})
        for r in plan[list(Contact.model_fields)].to_dict("records")
    ]
    scope.audit(engine, action, "client", [c.client_id for c in contacts], "ok")
    return RMPlan(rm_id=rm_id, as_of=run_as_of(engine, run_id), run_id=run_id, contacts=contacts)
