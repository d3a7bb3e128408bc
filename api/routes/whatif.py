"""What if a manager acted: ``POST /v1/clients/{id}/what-if`` and ``/v1/rms/{id}/what-if``.

The caller names actionable features and the values an action would give them (a
contact this week: ``days_since_contact`` 0; a smaller book: ``book_size`` 250); the
answer is the risk curve before and after, the change, every feature that changed and
why, and the drivers of the new state (:mod:`attrition.pipeline.whatif`). Who may ask is
who may read the entity's risk; every question is one audit row. Nothing is stored.
"""

from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import EngineDep, PlaybookDep, Scope, ScopeDep, SettingsDep
from api.errors import ApiError
from api.routes.risk import ERRORS, EntityId, find_in_scope
from api.schemas import Driver, Error
from attrition.errors import WhatIfError
from attrition.features.catalogue import feature_info
from attrition.pipeline.whatif import what_if
from attrition.playbook import Playbook
from attrition.registry import ModelRegistry, RegistryError
from attrition.results import MONTHS, number, plain
from attrition.settings import Settings
from attrition.store.inputs import read_inputs

router = APIRouter(prefix="/v1", tags=["what-if"])
Overrides = Annotated[
    dict[str, float],
    Field(
        min_length=1,
        max_length=20,
        description="Actionable features (GET /v1/models/{name} lists a model's levers) "
        "and the values the action gives them",
    ),
]


class WhatIfRequest(BaseModel):
    overrides: Overrides
    as_of: str | None = Field(
        None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM: start from that run"
    )

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {"examples": [{"overrides": {"days_since_contact": 0}}]},
    }


class Change(BaseModel):
    feature: str
    label_en: str | None = None
    label_zh: str | None = None
    before: float | None
    after: float | None
    because: str = Field(description="'set', or the feature it moved with")


class WhatIfAnswer(BaseModel):
    id: str
    entity_type: str
    as_of: str
    run_id: int
    model: str
    model_version: int
    horizon: int = Field(description="The month whose risk the drivers explain")
    risk_before: dict[str, float | None]
    risk_after: dict[str, float | None]
    change: dict[str, float | None] = Field(description="risk_after - risk_before")
    value_at_risk_before: float | None = None
    value_at_risk_after: float | None = None
    changed: list[Change]
    drivers: list[Driver] = Field(description="The top drivers after the change")


def _curve(values) -> dict[str, float | None]:
    return {str(m): number(values[f"risk_{m}m"]) for m in MONTHS}


def _ask(
    engine: sa.Engine,
    scope: Scope,
    settings: Settings,
    playbook: Playbook,
    entity: str,
    entity_id: str,
    body: WhatIfRequest,
) -> WhatIfAnswer:
    action = f"POST /v1/{entity}s/{{id}}/what-if"
    found = find_in_scope(engine, scope, action, entity, entity_id, body.as_of)
    run_id, row = found.run_id, found.score
    inputs = read_inputs(engine, run_id, entity, entity_id)
    ref = f"{row['model']}@{int(row['model_version'])}"
    if inputs is None:
        scope.audit(engine, action, entity, [entity_id], "unanswerable")
        raise ApiError(
            409,
            "no_inputs",
            f"run {run_id} kept no model inputs for {entity} {entity_id} ({ref} reads "
            "months of history, or the run predates what-if): score again to ask",
        )
    horizon = playbook.tiers.horizon
    try:
        record = ModelRegistry(settings.home).get(ref)
        answer = what_if(record, entity, entity_id, inputs, body.overrides, horizon=horizon)
    except RegistryError as exc:
        scope.audit(engine, action, entity, [entity_id], "unanswerable")
        raise ApiError(409, "model_missing", f"the run's model is not loadable: {exc}") from exc
    except WhatIfError as exc:
        scope.audit(engine, action, entity, [entity_id], "invalid")
        details = {f"body.overrides.{k}": v for k, v in exc.problems.items()}
        raise ApiError(422, "invalid_request", "the what-if cannot be answered", **details) from exc
    scope.audit(engine, action, entity, [entity_id], "ok")
    aum = number(row["aum"]) if entity == "client" else None
    at = f"risk_{horizon}m"
    return WhatIfAnswer(
        id=entity_id,
        entity_type=entity,
        as_of=found.as_of,
        run_id=run_id,
        model=row["model"],
        model_version=int(row["model_version"]),
        horizon=horizon,
        risk_before=_curve(answer.before),
        risk_after=_curve(answer.after),
        change=_curve(answer.after - answer.before),
        value_at_risk_before=None if aum is None else number(answer.before[at] * aum),
        value_at_risk_after=None if aum is None else number(answer.after[at] * aum),
        changed=[
            Change(**c, **_label(entity, c["feature"])) for c in answer.changed.to_dict("records")
        ],
        drivers=[
            {k: plain(v) for k, v in d.items() if k not in ("id", "entity_type")}
            for d in answer.drivers.to_dict("records")
        ],
    )


def _label(entity: str, feature: str) -> dict[str, str]:
    info = feature_info(entity, feature)
    return {"label_en": info.label("en"), "label_zh": info.label("zh")}


RESPONSES = {**ERRORS, 409: {"model": Error}, 422: {"model": Error}}


@router.post("/clients/{client_id}/what-if", response_model=WhatIfAnswer, responses=RESPONSES)
def client_what_if(
    body: WhatIfRequest,
    client_id: EntityId,
    scope: ScopeDep,
    engine: EngineDep,
    settings: SettingsDep,
    playbook: PlaybookDep,
) -> WhatIfAnswer:
    """A client's risk if an action changed some actionable features (e.g. a contact this
    week, a backup RM)."""
    return _ask(engine, scope, settings, playbook, "client", client_id, body)


@router.post("/rms/{rm_id}/what-if", response_model=WhatIfAnswer, responses=RESPONSES)
def rm_what_if(
    body: WhatIfRequest,
    rm_id: EntityId,
    scope: ScopeDep,
    engine: EngineDep,
    settings: SettingsDep,
    playbook: PlaybookDep,
) -> WhatIfAnswer:
    """An RM's flight risk if an action changed some actionable features (e.g. a smaller
    book, less overtime); HR-confidential like the risk itself."""
    return _ask(engine, scope, settings, playbook, "rm", rm_id, body)
