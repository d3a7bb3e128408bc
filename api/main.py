"""The app factory: ``create_app()`` reads the settings and opens the store at start-up.

The app refuses to start on a store whose schema is not the one this version needs
(the error names `attrition db upgrade`).
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI

from api import errors, limits, logs, metrics
from api.routes import branches, contacts, health, models, plans, risk, score, whatif
from attrition.playbook import load_playbook
from attrition.settings import Settings, load_settings
from attrition.store import open_store
from attrition.store.keys import KeyCache


def create_app(settings: Settings | None = None, *, server: bool = False) -> FastAPI:
    """The risk API over the store named by ``settings`` (the environment's by default).

    ``server``: the app is a server process's whole life (:func:`server_app`), so its
    start-up may tune the process (the garbage collector); tests and embedders leave
    their process as it is."""
    settings = settings or load_settings()
    engine = open_store(settings.store_url)  # an old schema: no app at all
    playbook = load_playbook(settings.playbook)  # a broken playbook: no app either

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # sync routes run in anyio's thread pool (40 threads by default); threads beyond
        # what a worker keeps busy only fight over the GIL, too few leave it idle while
        # PostgreSQL answers (bench_api: 16 beat both 8 and 40)
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.api_threads
        if server:
            # the libraries a worker imports (pandas, torch, xgboost) leave ~300k objects
            # that a full collection walks each time: 250 ms, the slowest risk reads'
            # whole tail. They live as long as the process: out of the collector's sight
            gc.collect()
            gc.freeze()
        try:
            yield
        finally:
            engine.dispose()

    app = FastAPI(
        title="attrition risk API",
        description="Client outflow and RM flight risk, with drivers and actions; "
        "every caller sees only their scope.",
        version="1",
        lifespan=lifespan,
    )
    app.state.engine, app.state.settings, app.state.playbook = engine, settings, playbook
    app.state.keys = KeyCache(engine, settings.api_key_cache_seconds)
    errors.install(app)
    # middleware added later wraps the earlier: the request log sees every request (and
    # its time), then the metrics, then the body checks, just before routing
    limits.install(app, settings.max_body_bytes)
    metrics.install(app)
    logs.install(app)
    app.include_router(health.router)
    app.include_router(risk.router)
    app.include_router(branches.router)
    app.include_router(models.router)
    app.include_router(plans.router)
    app.include_router(whatif.router)
    app.include_router(contacts.router)
    app.include_router(score.router)
    return app


def server_app() -> FastAPI:
    """The app as `attrition serve` runs it in each worker process."""
    return create_app(server=True)
