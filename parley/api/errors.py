"""Every error leaves as the spec's envelope, with `status` equal to the HTTP status: framework errors too."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from parley.errors import ParleyError, error_envelope

log = logging.getLogger(__name__)

_CODES = {
    400: (422, "validation_error"),
    401: (401, "unauthorized"),
    403: (403, "forbidden"),
    404: (404, "not_found"),
    405: (405, "method_not_allowed"),
    413: (413, "payload_too_large"),
    415: (415, "unsupported_media_type"),
}


def error_response(status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_envelope(status, code, message), status_code=status, headers=headers)


async def _parley_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ParleyError)
    return error_response(exc.status, exc.code, exc.message, exc.headers)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return error_response(422, "validation_error", _describe(exc))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status, code = _CODES.get(exc.status_code, (exc.status_code, "http_error"))
    code = getattr(exc, "code", code)
    message = "No such route." if status == 404 and exc.detail == "Not Found" else str(exc.detail)
    if status == 405:
        message = f"{request.method} is not allowed here."
    return error_response(status, code, message, exc.headers)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_error", "Something went wrong on our side.")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ParleyError, _parley_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)


def _describe(exc: RequestValidationError) -> str:
    """`body.text: String should have at most ...`, for the first few problems."""
    parts = []
    for error in exc.errors()[:3]:
        if error.get("type") == "json_invalid":
            return "The request body is not valid JSON."
        if error.get("loc") == ("body",) and error.get("type") == "model_attributes_type":
            return "The request body must be a JSON object, sent with Content-Type: application/json."
        where = ".".join(str(p) for p in error.get("loc", ()))
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts) or "The request is invalid."
