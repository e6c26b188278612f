"""Serve the webhook, health and API description endpoints: parse, validate, deliver (gateway/app/delivery.py), answer."""

from time import perf_counter

from flask import Blueprint, current_app
from flask.typing import ResponseReturnValue

from gateway.app.answers import json_answer
from gateway.app.context import current
from gateway.app.delivery import deliver
from gateway.app.extensions import publisher_of, settings_of
from gateway.app.openapi import openapi_document
from gateway.errors import BrokerUnavailable
from gateway.metrics.recording import note_delivery
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
    started = perf_counter()
    status, fields = deliver(publisher_of(app), webhook, settings)
    note_delivery(req.environ, webhook, fields, perf_counter() - started)
    return json_answer(app, status, **fields)


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
