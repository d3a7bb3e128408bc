"""Liveness and readiness (the store reachable and current, the current models loadable)."""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter

from api.deps import EngineDep, SettingsDep
from api.errors import ApiError
from api.schemas import Error
from attrition.registry import ModelRegistry, RegistryError
from attrition.store import schema_revision
from attrition.store.engine import head_revision
from attrition.store.runs import current_models

log = logging.getLogger(__name__)
router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"model": Error, "description": "Not ready, and why"}})
def readyz(engine: EngineDep, settings: SettingsDep) -> dict[str, Any]:
    """The store is reachable and on the schema this version needs, and the models of
    the current runs load (what-if and posted scoring need them)."""
    try:
        revision = schema_revision(engine)
        models = current_models(engine) if revision == head_revision() else []
    except sa.exc.DBAPIError:
        raise ApiError(503, "not_ready", "the store cannot be reached") from None
    if revision != head_revision():
        raise ApiError(503, "not_ready", "the store is on another schema revision")
    registry = ModelRegistry(settings.home)
    broken = {}
    for ref in models:
        try:
            registry.get(ref).load_model()  # cached per process: cheap after the first
        except (RegistryError, OSError) as exc:
            broken[ref] = str(exc).splitlines()[0][:300]
    if broken:
        raise ApiError(503, "not_ready", "a current model cannot be loaded", **broken)
    log.debug("ready: schema %s, models %s", revision, ", ".join(models) or "none")
    return {"status": "ready", "schema": revision, "models": models}
