"""``GET /metrics`` in the Prometheus text format: requests and their latency by route
template and status (ids never appear: the label is ``/v1/clients/{client_id}/risk``).

Each app has its own registry, so two apps in one process (tests, workers) never mix
their counts and nothing process-wide is changed.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)


def install(app: FastAPI) -> None:
    registry = CollectorRegistry()
    requests = Counter(
        "attrition_api_requests",
        "Requests by route template, method and status",
        ["route", "method", "status"],
        registry=registry,
    )
    latency = Histogram(
        "attrition_api_request_seconds",
        "Request latency by route template",
        ["route"],
        registry=registry,
        buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
    )

    @app.middleware("http")
    async def _measure(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        start = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        template = getattr(route, "path", "unmatched")
        latency.labels(template).observe(time.perf_counter() - start)
        requests.labels(template, request.method, str(response.status_code)).inc()
        return response

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
