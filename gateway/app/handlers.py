"""Render every error as the same JSON envelope: ours, Werkzeug's, and anything unexpected."""

import logging
import traceback

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from gateway.errors import (
    ApiError,
    BadRequest,
    BodyTooLarge,
    HttpError,
    InternalError,
    MethodNotAllowed,
    NotFound,
    RateLimited,
    UnsupportedMediaType,
)
from gateway.metrics.recording import note_error

log = logging.getLogger("gateway.handlers")  # the name in log lines, kept when the module moved

_FROM_STATUS: dict[int, type[ApiError]] = {
    400: BadRequest,
    404: NotFound,
    405: MethodNotAllowed,
    413: BodyTooLarge,
    415: UnsupportedMediaType,
    429: RateLimited,
    500: InternalError,
}


def register_error_handlers(app: Flask) -> None:
    """Install the three error handlers on app."""
    app.register_error_handler(ApiError, render_api_error)
    app.register_error_handler(HTTPException, render_http_exception)
    app.register_error_handler(Exception, render_unexpected)


def render_api_error(error: ApiError) -> Response:
    """Render one of our errors in the envelope."""
    note_error(error)
    response = jsonify({"error": error.described()})
    response.status_code = error.status
    response.headers.update(error.headers())
    return response


def render_http_exception(error: HTTPException) -> Response:
    """Render a Werkzeug HTTP error (404, 405, 413, 429, ...) in the envelope with a stable code."""
    status = error.code or 500
    api_error = _FROM_STATUS[status]() if status in _FROM_STATUS else HttpError(status)
    response = render_api_error(api_error)
    valid_methods = getattr(error, "valid_methods", None)
    if valid_methods:
        response.headers["Allow"] = ", ".join(valid_methods)
    return response


def render_unexpected(error: Exception) -> Response:
    """Log an unexpected exception without its message (it may quote a token or body) and answer 500."""
    frame = traceback.extract_tb(error.__traceback__)[-1] if error.__traceback__ else None
    where = f"{frame.filename}:{frame.lineno} in {frame.name}" if frame else "unknown location"
    log.error("unhandled %s at %s on %s %s", type(error).__name__, where, request.method, request.path)
    log.debug("unhandled exception details", exc_info=error)
    return render_api_error(InternalError())
