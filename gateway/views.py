"""Serve the webhook, health and API description endpoints: parse, publish, answer."""

from typing import Protocol

from flask import Blueprint, current_app, request
from flask.typing import ResponseReturnValue

from gateway.errors import BrokerUnavailable
from gateway.openapi import openapi_document
from gateway.settings import GatewaySettings
from gateway.validation import RawWebhook, parse_webhook

SETTINGS_KEY = "gateway.settings"
PUBLISHER_KEY = "gateway.publisher"

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
    settings = _settings()
    raw = RawWebhook(
        query_tokens=request.args.getlist("token"),
        authorization=request.headers.get("Authorization"),
        mode=request.args.get("mode"),
        content_type=request.headers.get("Content-Type"),
        body=request.get_data(cache=False),
    )
    webhook = parse_webhook(raw, settings)
    delivered = _publisher().publish(webhook.topic, webhook.payload)
    if settings.hide_presence:
        # Same answer whether or not a device is connected, so a token reveals nothing about its owner.
        return {"accepted": True, "mode": webhook.mode}, 200
    if delivered is None:
        return {"delivered": None, "reason": "broker_gives_no_delivery_signal", "mode": webhook.mode}, 200
    if not delivered:
        # 2xx on purpose: IFTTT disables applets whose actions keep failing.
        return {"delivered": False, "reason": "no_device_connected", "mode": webhook.mode}, 202
    return {"delivered": True, "mode": webhook.mode}, 200


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


def _settings() -> GatewaySettings:
    return current_app.extensions[SETTINGS_KEY]


def _publisher() -> Publisher:
    return current_app.extensions[PUBLISHER_KEY]
