"""``GET /metrics`` in the Prometheus text format: requests and their latency by route
template and status (ids never appear: the label is ``/v1/clients/{client_id}/risk``).

Each app has its own registry, so two apps in one process (tests, workers) never mix
their counts and nothing process-wide is changed.
"""

from __future__ import annotations

import time

from fastapi import FastAPI, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class _Measure:
    """Counts each HTTP request and times it, labelled by its route's template."""

    def __init__(self, app: ASGIApp, *, requests: Counter, latency: Histogram) -> None:
        self.app, self.requests, self.latency = app, requests, latency

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500  # unless a response starts: an exception is a server error

        async def sent(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sent)
        finally:
            template = getattr(scope.get("route"), "path", "unmatched")
            self.latency.labels(template).observe(time.perf_counter() - start)
            self.requests.labels(template, scope["method"], str(status)).inc()


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

    # a plain ASGI middleware: BaseHTTPMiddleware would add a task and a stream to
    # every request (a tenth of the risk API's time under load)
    app.add_middleware(_Measure, requests=requests, latency=latency)

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
