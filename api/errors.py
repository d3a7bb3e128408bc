"""One error shape for every failure: ``{"code", "message", "details"}``."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException


class ApiError(Exception):
    """An error a route raises on purpose, with its HTTP status."""

    def __init__(self, status: int, code: str, message: str, **details: object) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


# out of scope looks the same whether or not the entity exists (no id probing)
FORBIDDEN = ApiError(403, "forbidden", "this key may not read that entity")


def _body(code: str, message: str, details: dict) -> dict:
    return {"code": code, "message": message, "details": details}


def error_response(status: int, code: str, message: str, **details: object) -> JSONResponse:
    """The error shape as a response, for middleware that answers before any route."""
    return JSONResponse(_body(code, message, details), status_code=status)


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api(_request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, **exc.details)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = {".".join(str(p) for p in e["loc"]): e["msg"] for e in exc.errors()}
        return JSONResponse(
            _body("invalid_request", "the request is not valid", fields), status_code=422
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(_body(code, str(exc.detail), {}), status_code=exc.status_code)
