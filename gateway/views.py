"""Serve the webhook, health and API description endpoints: parse, publish, answer."""

import functools
from typing import Protocol

from flask import Blueprint, Flask, Request, Response, current_app, request
from flask.json.provider import JSONProvider
from flask.typing import ResponseReturnValue

from gateway.errors import BrokerUnavailable
from gateway.openapi import openapi_document
from gateway.ratelimit import limit_webhook
from gateway.settings import GatewaySettings
from gateway.validation import RawWebhook, parse_webhook

SETTINGS_KEY = "gateway.settings"
PUBLISHER_KEY = "gateway.publisher"
# Distinct webhook answers kept encoded: one per answer and mode, and custom/<app> modes are many.
ENCODED_ANSWERS = 1024

blueprint = Blueprint("gateway", __name__)


class Publisher(Protocol):
    """What the views need from the MQTT side."""

    @property
    def connected(self) -> bool:
        """Return True while connected to the broker."""
        ...

    def publish(self, topic: str, payload: bytes) -> bool | None:
        """Publish and return True (delivered), False (no device subscribed) or None (unknown)."""
        ...


@blueprint.post("/cloud", provide_automatic_options=False)
def cloud() -> ResponseReturnValue:
    """Validate a webhook and publish its payload to the device's topic."""
    # The objects behind the proxies: each attribute read through a proxy costs about a microsecond.
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    req: Request = request._get_current_object()  # type: ignore[attr-defined]
    settings: GatewaySettings = app.extensions[SETTINGS_KEY]
    query_tokens, authorization = req.args.getlist("token"), req.headers.get("Authorization")
    # Before the body is read or checked, so oversized and invalid webhooks count too.
    limit_webhook(app, query_tokens, authorization, req.remote_addr)
    raw = RawWebhook(
        query_tokens=query_tokens,
        authorization=authorization,
        mode=req.args.get("mode"),
        content_type=req.headers.get("Content-Type"),
        body=req.get_data(cache=False),
    )
    webhook = parse_webhook(raw, settings)
    publisher: Publisher = app.extensions[PUBLISHER_KEY]
    delivered = publisher.publish(webhook.topic, webhook.payload)
    if settings.hide_presence:
        # Same answer whether or not a device is connected, so a token reveals nothing about its owner.
        return json_answer(app, 200, accepted=True, mode=webhook.mode)
    if delivered is None:
        return json_answer(app, 200, delivered=None, reason="broker_gives_no_delivery_signal", mode=webhook.mode)
    if not delivered:
        # 2xx on purpose: IFTTT disables applets whose actions keep failing.
        return json_answer(app, 202, delivered=False, reason="no_device_connected", mode=webhook.mode)
    return json_answer(app, 200, delivered=True, mode=webhook.mode)


@blueprint.get("/healthz")
def healthz() -> ResponseReturnValue:
    """Answer 200 while the gateway is connected to its broker, else 503."""
    if not _publisher().connected:
        raise BrokerUnavailable()
    return {"status": "ok"}, 200


@blueprint.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    """Describe this gateway's HTTP API, as configured, in OpenAPI 3.1."""
    return openapi_document(_settings()), 200


def json_answer(app: Flask, status: int, **fields: object) -> Response:
    """Return the response Flask makes of (fields, status), byte for byte, encoding each distinct one only once."""
    body, content_type = _encoded(app.json, app.debug, tuple(fields.items()))
    return app.response_class(body, status=status, content_type=content_type)


@functools.lru_cache(maxsize=ENCODED_ANSWERS)
def _encoded(provider: JSONProvider, debug: bool, fields: tuple[tuple[str, object], ...]) -> tuple[bytes, str]:
    # Encoded by Flask itself, whose JSON provider decides the bytes: sorted keys, compact unless in debug mode.
    response = provider.response(dict(fields))
    return response.get_data(), response.content_type or ""


def _settings() -> GatewaySettings:
    return current_app.extensions[SETTINGS_KEY]


def _publisher() -> Publisher:
    return current_app.extensions[PUBLISHER_KEY]
