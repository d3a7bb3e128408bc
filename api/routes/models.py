"""The registered models, their holdout metrics and the levers a what-if question
may set (data scientists only)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from api.deps import EngineDep, ScopeDep, SettingsDep
from api.errors import ApiError
from api.routes.risk import ERRORS
from attrition.features.catalogue import CATALOGUE
from attrition.pipeline.whatif import levers
from attrition.registry import ModelRecord, ModelRegistry
from attrition.results import number

router = APIRouter(prefix="/v1/models", tags=["models"])
Name = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
METRICS = ("horizon", "c_harrell", "c_uno", "auc", "brier", "ece", "ibs", "events_test")


class LeverOut(BaseModel):
    """An actionable feature the model reads: what ``POST .../what-if`` may set."""

    feature: str
    label_en: str
    label_zh: str
    min: float
    max: float
    moves: dict[str, str] = Field(
        default_factory=dict, description="Features that move with it: scale or inverse"
    )


class ModelVersion(BaseModel):
    ref: str
    name: str
    version: int
    target: str | None = None
    model_type: str | None = None
    created_at: str | None = None
    broken: str | None = Field(None, description="Why the version cannot be used")
    holdout: list[dict[str, float | None]] = Field(
        default_factory=list, description="The registered model's holdout metrics by horizon"
    )
    levers: list[LeverOut] = Field(
        default_factory=list, description="What a what-if question may change (bank models)"
    )


def _levers(record: ModelRecord) -> list[LeverOut]:
    entity = record.metadata.get("entity")
    if entity not in CATALOGUE or record.problem is not None:
        return []
    out = []
    for name in levers(entity, record):
        info = CATALOGUE[entity][name]
        lever = info.actionable
        assert lever is not None  # levers() lists actionable features only
        out.append(
            LeverOut(
                feature=name,
                label_en=info.label_en,
                label_zh=info.label_zh,
                min=lever.min,
                max=lever.max,
                moves=dict(lever.moves),
            )
        )
    return out


def _version(record: ModelRecord, *, metrics: bool) -> ModelVersion:
    meta: dict[str, Any] = record.metadata
    holdout: list[dict[str, float | None]] = []
    if metrics and record.problem is None:
        table = record.metrics
        label = meta.get("model_label")
        if label is not None and "model" in table.columns:
            table = table[table["model"] == label]
        for row in table[[c for c in METRICS if c in table.columns]].to_dict("records"):
            holdout.append({k: number(v) for k, v in row.items()})
    return ModelVersion(
        ref=record.ref,
        name=record.name,
        version=record.version,
        target=meta.get("target"),
        model_type=meta.get("model_type"),
        created_at=meta.get("created_at"),
        broken=record.problem,
        holdout=holdout,
        levers=_levers(record) if metrics else [],
    )


@router.get("", response_model=list[ModelVersion], responses=ERRORS)
def models(scope: ScopeDep, engine: EngineDep, settings: SettingsDep) -> list[ModelVersion]:
    """Every registered version (broken ones say why)."""
    if not scope.reads_models():
        scope.refuse(engine, "GET /v1/models", "model", [])
    return [_version(r, metrics=False) for r in ModelRegistry(settings.home).records()]


@router.get("/{name}", response_model=list[ModelVersion], responses=ERRORS)
def model(
    scope: ScopeDep, engine: EngineDep, settings: SettingsDep, name: Name
) -> list[ModelVersion]:
    """Every version of one model with its holdout metrics."""
    if not scope.reads_models():
        scope.refuse(engine, "GET /v1/models/{name}", "model", [name])
    records = [r for r in ModelRegistry(settings.home).records() if r.name == name]
    if not records:
        raise ApiError(404, "not_found", f"no model named {name!r}")
    return [_version(r, metrics=True) for r in records]
