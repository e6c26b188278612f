"""Serve the webhook, health and API description endpoints: parse, validate, publish, answer."""

from flask import Blueprint, current_app
from flask.typing import ResponseReturnValue

from gateway.app.answers import json_answer
from gateway.app.context import current
from gateway.app.extensions import publisher_of, settings_of
from gateway.app.openapi import openapi_document
from gateway.errors import BrokerUnavailable
from gateway.metrics.recording import publish_noted
from gateway.ratelimit.limiter import limit_webhook
from gateway.rules.webhook import RawWebhook, parse_webhook

blueprint = Blueprint("gateway", __name__)


@blueprint.post("/cloud", provide_automatic_options=False)
def cloud() -> ResponseReturnValue:
    """Validate a webhook and publish its payload to the device's topic."""
    app, req = current()
    settings = settings_of(app)
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
    delivered = publish_noted(publisher_of(app), webhook, req.environ)
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
    if not publisher_of(current_app).connected:
        raise BrokerUnavailable()
    return {"status": "ok"}, 200


@blueprint.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    """Describe this gateway's HTTP API, as configured, in OpenAPI 3.1."""
    return openapi_document(settings_of(current_app)), 200
