"""One client's or RM's risk in the current (or an earlier) scoring run."""

from __future__ import annotations

from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Path, Query, Response

from api.deps import EngineDep, Scope, ScopeDep
from api.errors import ApiError
from api.schemas import Error, Risk
from attrition.results import ScoringResult, number, plain
from attrition.store import EntityRecord, read_current_entity

router = APIRouter(prefix="/v1", tags=["risk"])
EntityId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
Month = Annotated[
    str | None,
    Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM: the run at that month"),
]
ERRORS = {401: {"model": Error}, 403: {"model": Error}, 404: {"model": Error}}


def find_in_scope(
    engine: sa.Engine, scope: Scope, action: str, entity: str, entity_id: str, as_of: str | None
) -> EntityRecord:
    """The entity in the current run (or the run at ``as_of``), when the caller may
    read it. Refusals and misses are audited here; the caller audits what it serves."""
    if scope.reach(entity) == "none":
        scope.refuse(engine, action, entity, [entity_id])
    found = read_current_entity(engine, entity, entity_id, as_of=as_of)
    branch = None if found is None else found.score["branch_id"]
    if found is None and scope.reach(entity) == "branches":
        # unknown to us is out of scope too: the same 403 whether it exists or not
        scope.refuse(engine, action, entity, [entity_id])
    if found is not None and not scope.allows(entity, branch):
        scope.refuse(engine, action, entity, [entity_id])
    if found is None:
        scope.audit(engine, action, entity, [entity_id], "not found")
        raise ApiError(404, "not_found", f"no {entity} {entity_id} in the scoring run")
    return found


def _risk(
    engine: sa.Engine, scope: Scope, entity: str, entity_id: str, as_of: str | None
) -> Response:
    action = f"GET /v1/{entity}s/{{id}}/risk"
    found = find_in_scope(engine, scope, action, entity, entity_id, as_of)
    scope.audit(engine, action, entity, [entity_id], "ok")
    risk = risk_of(found.score, found.drivers, found.actions, found.run_id, found.as_of)
    # built and validated once: the hot read skips FastAPI's second pass over the
    # response model (the schema still comes from response_model)
    return Response(risk.model_dump_json(), media_type="application/json")


def to_risk(found: ScoringResult, i: int, run_id: int, as_of: str) -> Risk:
    """Row ``i`` of a result, with its own drivers and actions, as the API shows it."""
    return Risk(**risk_fields(found, i), as_of=as_of, run_id=run_id)


def risk_fields(found: ScoringResult, i: int) -> dict[str, Any]:
    """Row ``i`` of a result and its drivers and actions, as :class:`RiskFields` holds
    them; the risk curve is keyed by horizon (``risk_3m`` -> ``"3"``, a flat model's
    ``risk_13`` -> ``"13"``)."""
    row = found.scores.iloc[i]
    key = (found.drivers["id"] == row["id"]) & (found.drivers["entity_type"] == row["entity_type"])
    drivers = [{k: plain(v) for k, v in d.items()} for d in found.drivers[key].to_dict("records")]
    key = (found.actions["id"] == row["id"]) & (found.actions["entity_type"] == row["entity_type"])
    actions = [{k: plain(v) for k, v in a.items()} for a in found.actions[key].to_dict("records")]
    return _fields({k: plain(v) for k, v in row.items()}, drivers, actions)


def _fields(
    score: dict[str, Any], drivers: list[dict[str, Any]], actions: list[dict[str, Any]]
) -> dict[str, Any]:
    curve = [c for c in score if c.startswith("risk_")]
    return {
        "id": score["id"],
        "entity_type": score["entity_type"],
        "model": score["model"],
        "model_version": int(score["model_version"]),
        "risk": {c[5:].removesuffix("m"): number(score[c]) for c in curve},
        "tier": score["tier"],
        "value_at_risk": number(score["value_at_risk"]),
        "model_warning": score["model_warning"],
        "model_warning_zh": score.get("model_warning_zh"),
        "branch_id": score.get("branch_id"),
        "drivers": drivers,
        "actions": actions,
    }


def risk_of(
    score: dict[str, Any],
    drivers: list[dict[str, Any]],
    actions: list[dict[str, Any]],
    run_id: int,
    as_of: str,
) -> Risk:
    """One entity's score row, drivers and actions (plain values) as the API shows it."""
    return Risk(**_fields(score, drivers, actions), as_of=as_of, run_id=run_id)


@router.get("/clients/{client_id}/risk", response_model=Risk, responses=ERRORS)
def client_risk(
    scope: ScopeDep,
    engine: EngineDep,
    client_id: EntityId,
    as_of: Month = None,
) -> Response:
    """A client's risk curve (1-12 months), tier, value at risk, drivers and actions."""
    return _risk(engine, scope, "client", client_id, as_of)


@router.get("/rms/{rm_id}/risk", response_model=Risk, responses=ERRORS)
def rm_risk(
    scope: ScopeDep,
    engine: EngineDep,
    rm_id: EntityId,
    as_of: Month = None,
) -> Response:
    """An RM's flight risk (HR-confidential; every read is audited)."""
    return _risk(engine, scope, "rm", rm_id, as_of)
