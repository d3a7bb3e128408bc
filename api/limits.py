"""Request bodies: JSON only, and at most ``ATTRITION_MAX_BODY_BYTES`` (default 8 MiB).

Both checks apply to every request before routing, in this order: a request with a
body (a Content-Length above zero, or a chunked one) whose Content-Type is not JSON
(``application/json`` or ``application/*+json``) is a 415; one whose declared
Content-Length is over the limit is a 413 without a byte of it read; and every body is
counted as it arrives, so one that has no Content-Length (chunked) or sends more than
it declared is cut off with a 413 when it passes the limit, before anything parses it.
An unknown path or a wrong method with such a body is therefore a 413 or 415, not a 404
or 405, and so is a request without a valid key (the body is refused before the key
is checked). Requests without a body (every GET) pass untouched.

Starlette's own body limit answers in plain text when the declared length is too big;
this one answers in the API's error shape every time.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_response


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when a body passes the limit: an ``HTTPException``, so
    FastAPI's body parsing lets it through (it turns other errors into a 400)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, "the request body is too large")
        self.limit = limit


def _too_large(limit: int) -> JSONResponse:
    return error_response(
        413, "payload_too_large", "the request body is too large", body=f"at most {limit} bytes"
    )


def _is_json(content_type: bytes | None) -> bool:
    if content_type is None:
        return False
    media = content_type.split(b";", 1)[0].strip().lower()
    return media == b"application/json" or (
        media.startswith(b"application/") and media.endswith(b"+json")
    )


class BodyLimits:
    """Pure ASGI middleware: a GET costs one pass over its headers."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length: bytes | None = None
        content_type: bytes | None = None
        chunked = False
        for name, value in scope["headers"]:
            if name == b"content-length":
                length = value
            elif name == b"content-type":
                content_type = value
            elif name == b"transfer-encoding":
                chunked = True
        declared = int(length) if length is not None and length.strip().isdigit() else None
        if not chunked and (length is None or declared == 0):
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes
        if not _is_json(content_type):
            given = content_type.decode("latin-1")[:100] if content_type else "none"
            response = error_response(
                415,
                "unsupported_media_type",
                "request bodies must be JSON (Content-Type: application/json)",
                content_type=f"expected application/json, got {given}",
            )
            await response(scope, receive, send)
            return
        if declared is not None and declared > limit:
            await _too_large(limit)(scope, receive, send)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:  # read outside a route (FastAPI's routes answer it themselves)
            if started:
                raise
            await _too_large(limit)(scope, receive, send)


def install(app: FastAPI, max_bytes: int) -> None:
    """Add the body checks (before routing) and answer a body cut off inside a route."""

    async def _cut_off(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, BodyTooLarge)
        return _too_large(exc.limit)

    app.add_exception_handler(BodyTooLarge, _cut_off)
    app.add_middleware(BodyLimits, max_bytes=max_bytes)
