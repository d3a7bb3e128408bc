"""One client's or RM's risk in the current (or an earlier) scoring run."""

from __future__ import annotations

from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Path, Query

from api.deps import EngineDep, Scope, ScopeDep
from api.errors import ApiError
from api.schemas import Error, Risk
from attrition.results import ScoringResult, number, plain
from attrition.store import current_run_id, read_entity, run_as_of

router = APIRouter(prefix="/v1", tags=["risk"])
EntityId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
Month = Annotated[
    str | None,
    Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM: the run at that month"),
]
ERRORS = {401: {"model": Error}, 403: {"model": Error}, 404: {"model": Error}}


def find_in_scope(
    engine: sa.Engine, scope: Scope, action: str, entity: str, entity_id: str, as_of: str | None
) -> tuple[int, ScoringResult]:
    """The entity in the current run (or the run at ``as_of``), when the caller may
    read it. Refusals and misses are audited here; the caller audits what it serves."""
    if scope.reach(entity) == "none":
        scope.refuse(engine, action, entity, [entity_id])
    run_id = current_run_id(engine, entity=entity, as_of=as_of)
    found = read_entity(engine, run_id, entity, entity_id) if run_id is not None else None
    branch = None if found is None else found.scores["branch_id"].iloc[0]
    if found is None and scope.reach(entity) == "branches":
        # unknown to us is out of scope too: the same 403 whether it exists or not
        scope.refuse(engine, action, entity, [entity_id])
    if found is not None and not scope.allows(entity, branch):
        scope.refuse(engine, action, entity, [entity_id])
    if found is None or run_id is None:
        scope.audit(engine, action, entity, [entity_id], "not found")
        raise ApiError(404, "not_found", f"no {entity} {entity_id} in the scoring run")
    return run_id, found


def _risk(engine: sa.Engine, scope: Scope, entity: str, entity_id: str, as_of: str | None) -> Risk:
    action = f"GET /v1/{entity}s/{{id}}/risk"
    run_id, found = find_in_scope(engine, scope, action, entity, entity_id, as_of)
    scope.audit(engine, action, entity, [entity_id], "ok")
    return to_risk(found, 0, run_id, run_as_of(engine, run_id))


def to_risk(found: ScoringResult, i: int, run_id: int, as_of: str) -> Risk:
    """Row ``i`` of a result, with its own drivers and actions, as the API shows it."""
    return Risk(**risk_fields(found, i), as_of=as_of, run_id=run_id)


def risk_fields(found: ScoringResult, i: int) -> dict[str, Any]:
    """Row ``i`` of a result and its drivers and actions, as :class:`RiskFields` holds
    them; the risk curve is keyed by horizon (``risk_3m`` -> ``"3"``, a flat model's
    ``risk_13`` -> ``"13"``)."""
    row = found.scores.iloc[i]
    key = (found.drivers["id"] == row["id"]) & (found.drivers["entity_type"] == row["entity_type"])
    drivers = found.drivers[key]
    key = (found.actions["id"] == row["id"]) & (found.actions["entity_type"] == row["entity_type"])
    actions = found.actions[key]
    curve = [c for c in found.scores.columns if c.startswith("risk_")]
    return {
        "id": row["id"],
        "entity_type": row["entity_type"],
        "model": row["model"],
        "model_version": int(row["model_version"]),
        "risk": {c[5:].removesuffix("m"): number(row[c]) for c in curve},
        "tier": row["tier"],
        "value_at_risk": number(row["value_at_risk"]),
        "model_warning": plain(row["model_warning"]),
        "branch_id": plain(row.get("branch_id")),
        "drivers": [{k: plain(v) for k, v in d.items()} for d in drivers.to_dict("records")],
        "actions": [{k: plain(v) for k, v in a.items()} for a in actions.to_dict("records")],
    }


@router.get("/clients/{client_id}/risk", response_model=Risk, responses=ERRORS)
def client_risk(
    scope: ScopeDep,
    engine: EngineDep,
    client_id: EntityId,
    as_of: Month = None,
) -> Risk:
    """A client's risk curve (1-12 months), tier, value at risk, drivers and actions."""
    return _risk(engine, scope, "client", client_id, as_of)


@router.get("/rms/{rm_id}/risk", response_model=Risk, responses=ERRORS)
def rm_risk(
    scope: ScopeDep,
    engine: EngineDep,
    rm_id: EntityId,
    as_of: Month = None,
) -> Risk:
    """An RM's flight risk (HR-confidential; every read is audited)."""
    return _risk(engine, scope, "rm", rm_id, as_of)
