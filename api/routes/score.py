"""``POST /v1/score``: what the model says of posted entities, with drivers and actions.

Who: data scientists and service keys; a service key limited to branches may score only
entities of its branches (a flat table has no branch, so such a key may not score one).
Every other role gets the API's one 403. Every call is one audit row (key, role,
endpoint, the posted ids, outcome); nothing else is written: the call scores, it does
not record scores.

Body: ``model`` (``name`` or ``name@version``; the current client or RM model by
default), then either ``rows`` (a flat model's table: one dict of its columns per
entity) or ``entity`` + ``as_of`` + ``tables`` (the data contract's tables holding the
entities' records, for the bank models; see :mod:`attrition.pipeline.posted` for which
features come from the posted records and which from the current stored run).
Response: one item per entity in the shape of ``GET /v1/clients/{id}/risk`` (less the
run id), and the notes.

Validation is the batch path's (:func:`attrition.validation.validate_flat`,
:func:`attrition.validation.validate_tables`): an unknown model, a body for the wrong
kind of model, missing columns, wrong types, repeated ids and too many rows
(``ATTRITION_SCORE_MAX_ROWS`` over all tables) are one 422 whose ``details.problems``
names every problem (table, column, rule, what was expected, example row keys).

Correctness of a flat model: its rows are entities on their own, so risks and drivers
equal the batch's (the SHAP background is saved with the model). The one relative
thing is the flat tier rule (a top share of the list): it ranks the rows posted.
"""

from __future__ import annotations

from typing import Annotated, Any

import pandas as pd
import sqlalchemy as sa
from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import EngineDep, PlaybookDep, Scope, ScopeDep, SettingsDep
from api.errors import ApiError
from api.routes.risk import ERRORS, risk_fields
from api.schemas import Error, RiskFields
from attrition.contracts import TABLES
from attrition.errors import ConfigError, DataContractError, Problem
from attrition.pipeline.flat import flat_scoring_spec, score_flat, unseen_categories
from attrition.pipeline.posted import PostedError, score_posted, weak_rm_model
from attrition.pipeline.score import DEFAULT_MODELS
from attrition.playbook import Playbook
from attrition.registry import ModelRecord, ModelRegistry, RegistryError
from attrition.results import ScoringResult
from attrition.store import current_run_id, read_references
from attrition.store.inputs import read_inputs_of
from attrition.validation import validate_flat, validate_tables

router = APIRouter(prefix="/v1", tags=["score"])
ACTION = "POST /v1/score"
ENTITY_TABLES = {"client": ("clients", "client_id"), "rm": ("rms", "rm_id")}
Scalar = str | int | float | bool | None
Row = dict[str, Scalar]
ModelRef = Annotated[
    str | None,
    Field(
        max_length=80,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*(@\d+)?$",
        description="name or name@version; default the current client or RM model",
    ),
]
FLAT_EXAMPLE = {
    "model": "flat_rossi",
    "rows": [
        {
            "person_id": "p1",
            "fin": 0,
            "age": 27,
            "race": "black",
            "wexp": 0,
            "mar": 0,
            "paro": 1,
            "prio": 3,
        },
    ],
}
BANK_EXAMPLE = {
    "model": "client_outflow",
    "entity": "client",
    "as_of": "2026-09",
    "tables": {
        "clients": [
            {
                "client_id": "00006134",
                "branch_id": "B003",
                "rm_id": "R0042",
                "open_date": "2015-03-02",
                "segment": "private",
            }
        ],
        "monthly_balances": [{"client_id": "00006134", "month": "2026-09", "aum": 12500000.0}],
    },
}


class ScoreRequest(BaseModel):
    """Entities to score: ``rows`` for a flat model, ``tables`` for the bank models."""

    model: ModelRef = None
    entity: Annotated[
        str | None, Field(pattern=r"^(client|rm)$", description="client or rm; null: flat")
    ] = None
    as_of: Annotated[
        str | None, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM (bank models)")
    ] = None
    rows: list[Row] | None = Field(None, description="A flat model's table, one dict per entity")
    tables: dict[str, list[Row]] | None = Field(
        None, description="The data contract's tables (name -> rows) for the bank models"
    )

    model_config = {"json_schema_extra": {"examples": [FLAT_EXAMPLE, BANK_EXAMPLE]}}


class ScoredEntity(RiskFields):
    """One posted entity's risk, as ``GET /v1/clients/{id}/risk`` shows a stored one."""

    as_of: str | None = Field(None, description="The as-of month; null for a flat model")


class ScoreResponse(BaseModel):
    items: list[ScoredEntity]
    notes: list[str] = Field(
        default_factory=list, description="Weak models, entities left out and why, unseen values"
    )

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "items": [
                        {
                            "id": "p1",
                            "entity_type": "flat",
                            "as_of": None,
                            "model": "flat_rossi",
                            "model_version": 1,
                            "risk": {"13": 0.05, "26": 0.11, "39": 0.17},
                            "tier": "medium",
                            "value_at_risk": None,
                            "drivers": [],
                            "actions": [],
                        }
                    ],
                    "notes": [],
                }
            ]
        }
    }


def invalid(message: str, problems: list[Problem]) -> ApiError:
    """The one 422 of this endpoint: every problem, each with where and what was expected."""
    return ApiError(
        422,
        "invalid_rows",
        message,
        problems=[
            {
                "table": p.table,
                "column": p.column,
                "rule": p.rule,
                "expected": p.expected,
                "count": p.count,
                "examples": list(p.examples),
            }
            for p in problems
        ],
    )


def _body_problems(body: ScoreRequest, max_rows: int) -> list[Problem]:
    """What is wrong with the body's shape before any model is read."""
    problems = []
    if (body.rows is None) == (body.tables is None):
        problems.append(
            Problem(
                "request",
                "rows",
                "required_column",
                "either rows (a flat model) or tables (the bank models), not both",
            )
        )
    n = len(body.rows or ()) + sum(len(t) for t in (body.tables or {}).values())
    if n > max_rows:
        problems.append(
            Problem(
                "request",
                None,
                "too_many_rows",
                f"at most {max_rows:,} rows in all (ATTRITION_SCORE_MAX_ROWS); got {n:,}: "
                "score larger sets with `attrition score`",
                count=n,
            )
        )
    if body.rows is not None and body.entity is not None:
        problems.append(
            Problem("request", "entity", "allowed_values", "null for a flat model's rows")
        )
    if body.tables is not None:
        if body.entity is None:
            problems.append(Problem("request", "entity", "not_null", "client or rm"))
        if body.as_of is None:
            problems.append(Problem("request", "as_of", "not_null", "a month YYYY-MM"))
    return problems


def _record(home: str, ref: str) -> ModelRecord:
    try:
        return ModelRegistry(home).get(ref)
    except RegistryError as exc:
        raise invalid(
            "unknown model", [Problem("request", "model", "unknown_model", str(exc))]
        ) from exc


def _flat(
    body: ScoreRequest, record: ModelRecord, playbook: Playbook
) -> tuple[ScoringResult, list[str]]:
    """A flat model's rows, validated as for batch scoring, then scored."""
    if record.config.target != "flat":
        raise invalid(
            "wrong kind of model",
            [
                Problem(
                    "request",
                    "rows",
                    "model_kind",
                    f"tables, entity and as_of: {record.ref} is a bank model "
                    f"({record.config.target})",
                )
            ],
        )
    frame = pd.DataFrame.from_records(body.rows or [])
    _, problems = validate_flat(frame, flat_scoring_spec(record), table_name="rows", outcomes=False)
    if problems:
        raise invalid(f"{len(problems)} problem(s) in the rows", problems)
    notes = [
        f"{column} holds values {values[:10]} never seen in training (scored as unknown)"
        for column, values in unseen_categories(frame, record).items()
    ]
    try:
        result = score_flat(frame, record, playbook)
    except (ConfigError, DataContractError) as exc:  # validated above: a model's own limit
        raise invalid(
            "the rows cannot be scored", [Problem("rows", None, "score", str(exc))]
        ) from exc
    return result, notes


def _posted_ids(body: ScoreRequest, record: ModelRecord | None) -> list[str]:
    """The ids the call names, for the audit row (never names or e-mails)."""
    if body.rows is not None and record is not None and record.config.target == "flat":
        rows, key = body.rows, record.config.data.id
    elif body.tables is not None and body.entity in ENTITY_TABLES:
        table, key = ENTITY_TABLES[body.entity]
        rows = body.tables.get(table, [])
    else:
        return []
    return [str(r.get(key)) for r in rows if r.get(key) is not None]


def _bank(
    body: ScoreRequest,
    record: ModelRecord,
    scope: Scope,
    engine: sa.Engine,
    home: str,
    playbook: Playbook,
) -> tuple[ScoringResult, list[str]]:
    """A bank model's posted records, validated as the batch validates a bank, scored
    with the current stored run's references (:mod:`attrition.pipeline.posted`)."""
    entity = str(body.entity)
    problems = []
    if record.metadata.get("entity") != entity:
        problems.append(
            Problem(
                "request",
                "model",
                "model_kind",
                f"a {entity} model; {record.ref} is a {record.config.target} model",
            )
        )
    unknown = sorted(set(body.tables or {}) - set(TABLES))
    problems += [
        Problem(name, None, "unknown_table", f"a data contract table ({', '.join(TABLES)})")
        for name in unknown
    ]
    raw = {name: pd.DataFrame.from_records(rows) for name, rows in (body.tables or {}).items()}
    report = validate_tables(raw, source="the posted tables")
    problems += report.problems
    if problems or report.data is None:
        raise invalid(f"{len(problems)} problem(s) in the posted tables", problems)
    data = report.data
    table, key = ENTITY_TABLES[entity]
    ids = [str(i) for i in data[table][key]]
    if not scope.allows_posted(set(data[table]["branch_id"].astype(str))):
        scope.refuse(engine, ACTION, entity, ids)
    month = pd.Period(str(body.as_of), freq="M")
    run_id = current_run_id(engine, entity=entity, as_of=str(month))
    try:
        data.check_as_of([month], entities=(entity,))
        if run_id is None:
            raise ConfigError(
                f"no stored scoring run of {entity}s at {month}: the features that depend on "
                "the whole bank come from it (run `attrition score --as-of` first)"
            )
        refs = read_references(engine, run_id, entity, ids)
        inputs = read_inputs_of(engine, run_id, entity, ids)
        result = score_posted(
            data,
            entity,
            month,
            record,
            playbook,
            refs,
            inputs,
            weak_rm_model=weak_rm_model(home, playbook),
        )
    except PostedError as exc:
        raise invalid("the posted entities cannot be scored", list(exc.problems)) from exc
    except ConfigError as exc:
        raise invalid(
            "the posted entities cannot be scored",
            [Problem("request", "as_of", "as_of", str(exc))],
        ) from exc
    return result, []


@router.post(
    "/score",
    response_model=ScoreResponse,
    responses={**ERRORS, 422: {"model": Error}},
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "examples": {
                        "flat": {"summary": "A flat model's rows", "value": FLAT_EXAMPLE},
                        "bank": {"summary": "A client's records", "value": BANK_EXAMPLE},
                    }
                }
            }
        }
    },
)
def score(
    body: ScoreRequest,
    scope: ScopeDep,
    engine: EngineDep,
    settings: SettingsDep,
    playbook: PlaybookDep,
):
    """Score posted entities: a flat model's rows, or the bank models' tables."""
    if not scope.scores_posted():
        scope.refuse(engine, ACTION, body.entity or "flat", [])
    record = None
    try:
        problems = _body_problems(body, settings.score_max_rows)
        if problems:
            raise invalid(f"{len(problems)} problem(s) in the request", problems)
        if body.rows is not None:
            if body.model is None:
                raise invalid(
                    "no model",
                    [Problem("request", "model", "not_null", "the name of a flat model")],
                )
            record = _record(str(settings.home), body.model)
            if not scope.allows_posted(None):
                scope.refuse(engine, ACTION, "flat", _posted_ids(body, record))
            result, notes = _flat(body, record, playbook)
        else:
            entity = str(body.entity)
            record = _record(str(settings.home), body.model or DEFAULT_MODELS[entity])
            result, notes = _bank(body, record, scope, engine, str(settings.home), playbook)
    except ApiError as exc:
        if exc.status == 422:
            scope.audit(engine, ACTION, body.entity or "flat", _posted_ids(body, record), "invalid")
        raise
    return _response(scope, engine, body, result, notes)


def _response(
    scope: Scope, engine: Any, body: ScoreRequest, result: ScoringResult, notes: list[str]
) -> ScoreResponse:
    ids = [str(i) for i in result.scores["id"]]
    scope.audit(engine, ACTION, body.entity or "flat", ids, "ok")
    items = [
        ScoredEntity(**risk_fields(result, i), as_of=body.as_of) for i in range(len(result.scores))
    ]
    return ScoreResponse(items=items, notes=list(dict.fromkeys([*result.notes, *notes])))
