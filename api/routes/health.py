"""Liveness and readiness."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi import APIRouter

from api.deps import EngineDep
from api.errors import ApiError
from attrition.store import schema_revision
from attrition.store.engine import head_revision

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(engine: EngineDep) -> dict[str, str]:
    """The store is reachable and on the schema this version needs."""
    try:
        revision = schema_revision(engine)
    except sa.exc.DBAPIError:
        raise ApiError(503, "not_ready", "the store cannot be reached") from None
    if revision != head_revision():
        raise ApiError(503, "not_ready", "the store is on another schema revision")
    return {"status": "ready", "schema": revision}
