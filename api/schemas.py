"""Response models (the OpenAPI schema is generated from these)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class Driver(BaseModel):
    rank: int
    feature: str
    value: float | str | None = Field(description="The feature's value; null: no data")
    contribution: float = Field(description="Risk points the feature adds at the horizon")
    direction: str | None = None
    label_en: str | None = None
    label_zh: str | None = None
    text_en: str | None = None
    text_zh: str | None = None


class Action(BaseModel):
    rank: int
    action_id: str
    priority: int
    effect: float
    en: str
    zh: str
    because: str | None = Field(None, description="The driver the action rests on")
    remote: bool


class RiskFields(BaseModel):
    """What the API says of one scored entity, stored or posted."""

    id: str
    entity_type: str
    model: str
    model_version: int
    risk: dict[str, float | None] = Field(
        description="P(event within N months), keyed '1'..'12'; null beyond the model's "
        "follow-up (a flat model: keyed by its horizons, in its table's time unit)"
    )
    tier: str
    value_at_risk: float | None
    model_warning: str | None = None
    model_warning_zh: str | None = Field(
        default=None, description="the same warning in Chinese (runs stored before it: null)"
    )
    branch_id: str | None = None
    drivers: list[Driver]
    actions: list[Action]


class Risk(RiskFields):
    """One client's or RM's risk in a scoring run."""

    as_of: str
    run_id: int

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "id": "00006134",
                    "entity_type": "client",
                    "as_of": "2026-09",
                    "run_id": 12,
                    "model": "client_outflow",
                    "model_version": 3,
                    "risk": {"1": 0.012, "3": 0.035, "12": 0.11},
                    "tier": "high",
                    "value_at_risk": 5021612.0,
                    "branch_id": "B003",
                    "drivers": [],
                    "actions": [],
                }
            ]
        }
    }


class Error(BaseModel):
    """Every error has this shape."""

    code: str
    message: str
    details: dict[str, Any] = Field(default_factory=dict)
