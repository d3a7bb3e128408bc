"""What routes depend on: the store, the settings and playbook read at start-up, the
caller (from the API key) and their scope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

import sqlalchemy as sa
from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
from fastapi.security.base import SecurityBase

from api.errors import FORBIDDEN, ApiError
from attrition.playbook import Playbook
from attrition.settings import Settings
from attrition.store.audit import append
from attrition.store.keys import Caller, KeyCache

Reach = Literal["all", "branches", "none"]


async def get_engine(request: Request) -> sa.Engine:
    return request.app.state.engine


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_playbook(request: Request) -> Playbook:
    return request.app.state.playbook


EngineDep = Annotated[sa.Engine, Depends(get_engine)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
PlaybookDep = Annotated[Playbook, Depends(get_playbook)]


@dataclass(frozen=True)
class Scope:
    """What a caller may see: every route asks this, none checks roles itself.

    hr: every RM, no client; branch_head: their branch's clients (their RMs only when
    the settings allow names); data_scientist: everything; service: the branches its
    key names (all without any); admin: keys and the audit log, no risk.
    """

    caller: Caller
    branch_head_rm_names: bool = False

    def reach(self, entity_type: str) -> Reach:
        role = self.caller.role
        if role == "data_scientist":
            return "all"
        if role == "hr":
            return "all" if entity_type == "rm" else "none"
        if role == "branch_head":
            if entity_type == "client" or self.branch_head_rm_names:
                return "branches"
            return "none"
        if role == "service":
            return "branches" if self.caller.branches else "all"
        return "none"

    def reads_models(self) -> bool:
        """The model registry and holdout metrics: data scientists only."""
        return self.caller.role == "data_scientist"

    def records_contacts(self) -> bool:
        """``POST /v1/contacts``: branch heads and service keys (the CRM, the RM
        workbench), for the clients they may read; data scientists and HR only read."""
        return self.caller.role in ("branch_head", "service")

    def scores_posted(self) -> bool:
        """``POST /v1/score``: data scientists and service keys."""
        return self.caller.role in ("data_scientist", "service")

    def allows_posted(self, branches: set[str] | None) -> bool:
        """May the caller score posted entities of these branches (None: a flat table,
        which has no branch)? A service key limited to branches: only those."""
        if not self.scores_posted():
            return False
        if self.caller.role == "service" and self.caller.branches:
            return branches is not None and branches <= set(self.caller.branches)
        return True

    def summary_reach(self) -> Reach:
        """Counts and sums by tier (no names): HR and branch heads too."""
        role = self.caller.role
        if role in ("data_scientist", "hr") or (role == "service" and not self.caller.branches):
            return "all"
        return "branches" if role in ("branch_head", "service") else "none"

    def summarises(self, branch: str) -> bool:
        reach = self.summary_reach()
        return reach == "all" or (reach == "branches" and branch in self.caller.branches)

    def allows(self, entity_type: str, branch: str | None) -> bool:
        reach = self.reach(entity_type)
        if reach == "branches":
            return branch is not None and branch in self.caller.branches
        return reach == "all"

    def audit(
        self,
        engine: sa.Engine,
        action: str,
        entity_type: str,
        ids: list[str],
        outcome: str,
    ) -> None:
        append(
            engine,
            action=action,
            key_id=self.caller.key_id,
            role=self.caller.role,
            entity_type=entity_type,
            entity_ids=ids,
            outcome=outcome,
        )

    def refuse(self, engine: sa.Engine, action: str, entity_type: str, ids: list[str]) -> None:
        self.audit(engine, action, entity_type, ids, "forbidden")
        raise FORBIDDEN


class KeyScope(SecurityBase):
    """The caller's :class:`Scope`, from their API key (``Authorization: Bearer`` or
    ``X-API-Key``); a missing, wrong, expired or revoked key is one and the same 401 (a
    revoked key within the settings' ``api_key_cache_seconds``).

    One dependency that reads both headers itself, documented in the OpenAPI schema as
    the bearer scheme: FastAPI resolves every dependency of a route anew on each
    request, and a dependency per header, one for the caller and one for the settings
    cost a tenth of a risk read's CPU."""

    def __init__(self) -> None:
        self.model = HTTPBearerModel(
            description="Authorization: Bearer atk_<id>_<secret> (or the key in X-API-Key)"
        )
        self.scheme_name = "HTTPBearer"

    async def __call__(self, request: Request) -> Scope:
        key = request.headers.get("x-api-key")
        scheme, _, credentials = (request.headers.get("authorization") or "").partition(" ")
        if scheme.lower() == "bearer" and credentials.strip():
            key = credentials.strip()
        # async, like the other dependencies here: FastAPI runs a sync dependency in its
        # thread pool, a hop per request; only a key not remembered needs the store,
        # and that read goes to a thread
        keys: KeyCache = request.app.state.keys
        caller = None
        if key:
            answered, caller = keys.remembered(key)
            if not answered:
                caller = await run_in_threadpool(keys.check, key)
        if caller is None:
            raise ApiError(401, "unauthorized", "a valid API key is needed (Authorization: Bearer)")
        request.state.caller = caller  # the request log writes its key id and role
        settings: Settings = request.app.state.settings
        return Scope(caller, settings.branch_head_rm_names)


ScopeDep = Annotated[Scope, Depends(KeyScope())]
