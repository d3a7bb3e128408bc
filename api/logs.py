"""The service's logs: one JSON object per line, one line per request, nothing personal.

``logging_config(level)`` is the ``logging.config.dictConfig`` that ``attrition serve``
hands to uvicorn (which applies it in every worker); nothing here configures logging
at import. ``install(app)`` adds the request middleware: it gives each request an id
(``X-Request-ID`` on every response), logs one line with the method, the route
*template* (``/v1/clients/{client_id}/risk``, never the path with its ids), the status,
the duration and the caller's public key id and role, and turns an unhandled
exception into the API's error shape with a 500 whose line names the exception's type
and the request id.

What is never logged: exception messages (a database error can quote the row it
refused), SQL statements and their parameters, request paths, query strings, headers
and bodies. The formatter writes an exception as its type and the stack's frames only.
"""

from __future__ import annotations

import json
import logging
import random
import time
import traceback
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("api.requests")

# the request fields a line may carry (set as ``extra``); anything else is not written
FIELDS = ("request_id", "method", "route", "status", "duration_ms", "key_id", "role", "error")


class JsonFormatter(logging.Formatter):
    """A record as one JSON line: time (UTC), level, logger, message and the request
    fields; an exception as its type and stack frames, never its message."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in FIELDS:
            value = record.__dict__.get(field)
            if value is not None:
                entry[field] = value
        if record.exc_info and record.exc_info[0] is not None:
            kind, _, tb = record.exc_info
            entry.setdefault("error", kind.__name__)
            entry["stack"] = [
                f"{frame.filename}:{frame.lineno} in {frame.name}"
                for frame in traceback.extract_tb(tb)
            ]
        return json.dumps(entry, ensure_ascii=False, default=str)


def logging_config(level: str = "info") -> dict[str, Any]:
    """Every logger as JSON lines on stderr at ``level``.

    SQLAlchemy stays at WARNING whatever the level: at INFO and DEBUG it writes SQL
    parameters and result rows (ids, key names), which are data, not log lines. So does
    Alembic, which says at INFO how it reads the schema revision each time a worker
    opens the store.
    uvicorn's access log is off (``access_log=False``): it prints raw paths with ids;
    the middleware logs each request with its route template instead.
    """
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "api.logs.JsonFormatter"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": level.upper(), "handlers": ["stderr"]},
        "loggers": {
            # uvicorn's own loggers keep no handler of their own: they reach the root's
            "uvicorn": {"level": level.upper(), "handlers": [], "propagate": True},
            "uvicorn.error": {"level": level.upper(), "handlers": [], "propagate": True},
            "uvicorn.access": {"level": "WARNING", "handlers": [], "propagate": True},
            "sqlalchemy": {"level": "WARNING", "handlers": [], "propagate": True},
            "alembic": {"level": "WARNING", "handlers": [], "propagate": True},
        },
    }


_ERROR_BODY = b'{"code":"internal_error","message":"the server failed; quote the request id",'


class RequestLog:
    """Pure ASGI middleware (cheaper per request than ``BaseHTTPMiddleware``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        # to find a line, not a secret: no system call per request (os.urandom is one)
        request_id = f"{random.getrandbits(64):016x}"
        header = (b"x-request-id", request_id.encode())
        status = 500
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status, started = message["status"], True
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            self._line(scope, request_id, 500, start, exc)
            if not started:  # the API's error shape, with the id support will ask for
                body = _ERROR_BODY + b'"details":{"request_id":"%s"}}' % request_id.encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": 500,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            header,
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
            return
        self._line(scope, request_id, status, start, None)

    @staticmethod
    def _line(
        scope: Scope, request_id: str, status: int, start: float, exc: Exception | None
    ) -> None:
        level = logging.ERROR if status >= 500 else logging.INFO
        if not log.isEnabledFor(level):
            return
        route = getattr(scope.get("route"), "path", None) or "unmatched"
        caller = scope.get("state", {}).get("caller")
        method = scope["method"]
        # a record made directly: Logger.log would walk the stack for a caller's file
        # and line, which the JSON line does not carry (a third of the cost)
        record = log.makeRecord(
            log.name,
            level,
            __file__,
            0,
            "%s %s %d",
            (method, route, status),
            (type(exc), exc, exc.__traceback__) if exc is not None else None,
            extra={
                "request_id": request_id,
                "method": method,
                "route": route,
                "status": status,
                "duration_ms": round((time.perf_counter() - start) * 1000, 2),
                "key_id": getattr(caller, "key_id", None),
                "role": getattr(caller, "role", None),
            },
        )
        log.handle(record)


def install(app: FastAPI) -> None:
    """Add the request log; installed last, it is the outermost middleware (it times
    and catches everything the others do)."""
    app.add_middleware(RequestLog)
