"""Describe the gateway's HTTP API as an OpenAPI 3.1 document, served at GET /openapi.json."""

from typing import Any

from common.firmware import CLOCKS
from common.tokens import TOKEN_MAX_CHARS, TOKEN_MIN_CHARS
from gateway.app.assets import MEDIA_TYPES, asset_files
from gateway.rules.modes import NAMED_PREFIXES, allowed_modes
from gateway.settings import GatewaySettings

OPENAPI_VERSION = "3.1.0"
API_VERSION = "0.1.0"
WELL_FORMED_TOKEN = f"^[A-Za-z0-9_-]{{{TOKEN_MIN_CHARS},{TOKEN_MAX_CHARS}}}$"
NAME_PATTERN = "[A-Za-z0-9_-]{1,32}"

# Which error codes each answer of POST /cloud can carry. tests/abuse/test_openapi.py checks this
# against gateway.errors.ERRORS, so a new error cannot be added without being described here.
WEBHOOK_ERRORS: dict[str, tuple[str, ...]] = {
    "400": (
        "missing_token",
        "invalid_token",
        "conflicting_tokens",
        "missing_mode",
        "unknown_mode",
        "invalid_app_name",
        "invalid_encoding",
        "invalid_json",
        "body_not_object",
        "body_not_string",
        "body_required",
        "bad_request",
    ),
    "403": ("mode_not_enabled",),
    "413": ("body_too_large", "exceeds_firmware_limit"),
    "415": ("unsupported_media_type",),
    "422": ("device_rejected", "untranslatable"),
    "429": ("rate_limited", "too_many_connections"),
    "500": ("internal_error",),
    "502": ("broker_rejected",),
    "503": ("broker_unavailable", "broker_timeout"),
}
# Answers any route can give outside its own description: an unknown path, a wrong method, or
# another HTTP-level refusal (its status varies, its code is always http_error).
ANY_ROUTE_ERRORS = ("not_found", "method_not_allowed", "bad_request", "too_many_connections", "http_error", "internal_error")
RETRY_AFTER_STATUSES = frozenset({"429", "503"})
NOT_MODIFIED = {"description": "Not modified since the ETag in If-None-Match."}


def openapi_document(settings: GatewaySettings) -> dict[str, Any]:
    """Return the OpenAPI document for a gateway configured with settings."""
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "awtrix-cloud gateway",
            "version": API_VERSION,
            "description": (
                "Relays webhooks to AWTRIX clocks: POST /cloud publishes the body to the MQTT topic "
                "`awtrix/<token>/<mode>`, which the clock that logged in with that token subscribes to. "
                'Every error answer is `{"error": {"code": ..., "message": ...}}`; codes are stable, '
                "messages are for people and may change."
            ),
        },
        "paths": {
            "/cloud": {"post": _webhook_operation(settings)},
            "/healthz": {"get": _health_operation()},
            "/openapi.json": {"get": _openapi_operation()},
            "/": {"get": _page_operation("page", "The web page for people: make a token, set up a clock, send a test")},
            "/docs": {"get": _page_operation("docs", "This document, drawn by Swagger UI")},
            "/page/{version}/{name}": {"get": _asset_operation()},
        },
        "components": {"securitySchemes": {"bearerToken": {"type": "http", "scheme": "bearer"}}},
    }


def _webhook_operation(settings: GatewaySettings) -> dict[str, Any]:
    modes = [mode for mode in allowed_modes(settings.extra_modes) if not mode.startswith(tuple(NAMED_PREFIXES))]
    named = [{"type": "string", "pattern": f"^{prefix}{NAME_PATTERN}$"} for prefix in NAMED_PREFIXES]
    limits = settings.rate_limits
    responses: dict[str, Any] = {
        "200": _json_response(
            "Published. delivered=true: a device received it (translated_for: in that firmware's dialect; result: "
            "what the clock answered); delivered=null: the broker cannot say; accepted=true: HIDE_PRESENCE is on, "
            "so the answer never says whether a device is connected.",
            {"oneOf": [_delivered(), _delivery_unknown(), _accepted()]},
        ),
        "202": _json_response(
            "Nothing received it; nothing was queued. no_device_connected: no device with this token is connected; "
            "device_not_listening: one is, subscribed to nothing this mode reaches; device_busy: its clock still owes "
            "answers to many earlier commands.",
            _not_delivered(),
        ),
        **{status: _error_response(status, codes) for status, codes in WEBHOOK_ERRORS.items()},
        "default": _error_response("default", ANY_ROUTE_ERRORS),
    }
    if limits.enabled:
        responses["429"]["description"] += f" Limits: {limits.per_token} per token, {limits.per_address} per client address."
    return {
        "operationId": "sendWebhook",
        "summary": "Publish a webhook to the device that owns the token",
        "security": [{}, {"bearerToken": []}],
        "parameters": [
            {
                "name": "mode",
                "in": "query",
                "required": True,
                "description": (
                    "The topic under the clock's prefix to publish to, e.g. notify (AWTRIX 3), cmd/notify (AWTRIX NG), "
                    "or custom/<app> for a custom app."
                ),
                "schema": {"anyOf": [{"type": "string", "enum": modes}, *named]},
            },
            {
                "name": "token",
                "in": "query",
                "required": False,
                "description": "The device token; or send 'Authorization: Bearer <token>' instead (not both, unless equal).",
                "schema": {"type": "string", "pattern": WELL_FORMED_TOKEN},
            },
        ],
        "requestBody": {
            "required": False,
            "description": (
                f"UTF-8 JSON, at most {settings.max_body_bytes} bytes: an object for most modes, an object or "
                "an array of objects for custom/<app>, a string for rtttl; empty for modes that take no body "
                "(e.g. nextapp). text/plain is read as JSON too, for services that cannot set the media type."
            ),
            "content": {
                "application/json": {"schema": {}},
                "text/plain": {"schema": {"type": "string"}},
            },
        },
        "responses": responses,
    }


def _health_operation() -> dict[str, Any]:
    return {
        "operationId": "health",
        "summary": "Say whether this gateway process is connected to its MQTT broker",
        "responses": {
            "200": _json_response("Connected.", _closed_object({"status": {"const": "ok"}})),
            "503": _error_response("503", ("broker_unavailable",)),
            "default": _error_response("default", ANY_ROUTE_ERRORS),
        },
    }


def _openapi_operation() -> dict[str, Any]:
    return {
        "operationId": "openapi",
        "summary": "This document",
        "responses": {
            "200": _json_response("The OpenAPI document.", {"type": "object", "required": ["openapi", "info", "paths"]}),
            "default": _error_response("default", ANY_ROUTE_ERRORS),
        },
    }


def _page_operation(operation_id: str, summary: str) -> dict[str, Any]:
    return {
        "operationId": operation_id,
        "summary": summary,
        "responses": {
            "200": _text_response("The page, revalidated on every visit (ETag).", ["text/html"]),
            "304": NOT_MODIFIED,
            "default": _error_response("default", ANY_ROUTE_ERRORS),
        },
    }


def _asset_operation() -> dict[str, Any]:
    media_types = sorted({media_type.split(";")[0] for media_type in MEDIA_TYPES.values()})
    return {
        "operationId": "pageFile",
        "summary": "A file the pages load; kept for a year when the version is the current one, else revalidated",
        "parameters": [
            {"name": "version", "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}},
            {"name": "name", "in": "path", "required": True, "schema": {"type": "string", "enum": sorted(asset_files())}},
        ],
        "responses": {
            "200": _text_response("The file.", media_types),
            "304": NOT_MODIFIED,
            "default": _error_response("default", ANY_ROUTE_ERRORS),
        },
    }


def _text_response(description: str, media_types: list[str]) -> dict[str, Any]:
    return {"description": description, "content": {media_type: {"schema": {"type": "string"}} for media_type in media_types}}


def _delivered() -> dict[str, Any]:
    schema = _closed_object({"delivered": {"const": True}, "mode": {"type": "string"}})
    schema["properties"] |= {
        "translated_for": {"type": "string", "enum": [firmware.name for firmware in CLOCKS]},
        "result": {
            "description": "The clock's own answer (AWTRIX NG: {\"ok\": true}); null when none came within RESULT_TIMEOUT_S.",
            "anyOf": [{"type": "object"}, {"type": "null"}],
        },
        "screen": {"description": "The clock's screen, as it sent it (sendscreen, cmd/screen/get); null when none came."},
    }
    return schema


def _delivery_unknown() -> dict[str, Any]:
    return _closed_object(
        {"delivered": {"type": "null"}, "reason": {"const": "broker_gives_no_delivery_signal"}, "mode": {"type": "string"}}
    )


def _accepted() -> dict[str, Any]:
    return _closed_object({"accepted": {"const": True}, "mode": {"type": "string"}})


def _not_delivered() -> dict[str, Any]:
    reasons = {"enum": ["no_device_connected", "device_not_listening", "device_busy"]}
    return _closed_object({"delivered": {"const": False}, "reason": reasons, "mode": {"type": "string"}})


def _error_response(status: str, codes: tuple[str, ...]) -> dict[str, Any]:
    error = _closed_object({"code": {"type": "string", "enum": list(codes)}, "message": {"type": "string", "minLength": 1}})
    if status == "422":
        # device_rejected carries the clock's own error; untranslatable names the firmware and the key.
        device = _closed_object({"code": {"type": "string"}, "message": {"type": "string"}, "field": {"type": "string"}})
        device["required"] = ["code", "message"]
        error["properties"] |= {"device": device, "firmware": {"type": "string"}, "key": {"type": "string"}}
    envelope = _closed_object({"error": error})
    response = _json_response(f"Refused: {', '.join(codes)}.", envelope)
    if status in RETRY_AFTER_STATUSES:
        response["headers"] = {
            "Retry-After": {
                "description": "Seconds to wait before retrying.",
                "required": True,
                "schema": {"type": "integer", "minimum": 1},
            }
        }
    return response


def _json_response(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _closed_object(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": list(properties), "properties": properties, "additionalProperties": False}
