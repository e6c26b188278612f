"""Serve the webhook, health and API description endpoints: parse, validate, deliver (gateway/app/delivery.py), answer."""

from time import perf_counter

from flask import Blueprint, Flask, current_app
from flask.typing import ResponseReturnValue

from gateway.app.answers import json_answer
from gateway.app.context import current
from gateway.app.delivery import deliver
from gateway.app.extensions import publisher_of, settings_of
from gateway.app.openapi import openapi_document
from gateway.app.several import deliver_each, several_answer
from gateway.errors import BrokerUnavailable
from gateway.metrics.recording import note_delivery
from gateway.ratelimit.limiter import limit_webhook
from gateway.rules.webhook import RawWebhook, parse_webhook

blueprint = Blueprint("gateway", __name__)


@blueprint.route("/cloud", methods=["GET", "POST"], provide_automatic_options=False)
def cloud() -> ResponseReturnValue:
    """Validate a webhook and publish its payload to the topic of each device it names."""
    app, req = current()
    settings = settings_of(app)
    query, headers = req.args, req.headers
    query_tokens, authorization = query.getlist("token"), headers.get("Authorization")
    # Before the body is read or checked, so oversized and invalid webhooks count too.
    limit_webhook(app, query_tokens, authorization, req.remote_addr)
    raw = RawWebhook(
        query_tokens=query_tokens,
        authorization=authorization,
        mode=query.get("mode"),
        content_type=headers.get("Content-Type"),
        body=req.get_data(cache=False),
        query=query,
        headers=headers,
    )
    webhook = parse_webhook(raw, settings)
    publisher = publisher_of(app)
    started = perf_counter()
    if len(webhook.tokens) > 1:
        response = several_answer(app, webhook.mode, deliver_each(publisher, webhook.each(), settings))
        note_delivery(req.environ, webhook, response.get_json(), perf_counter() - started)
        return response
    status, fields = deliver(publisher, webhook, settings)
    note_delivery(req.environ, webhook, fields, perf_counter() - started)
    return json_answer(app, status, **fields)


def route_sending_methods(app: Flask, allow_get: bool) -> None:
    """Route POST /cloud, and GET while the operator allows sending by link; never HEAD, which link checkers use."""
    for rule in app.url_map.iter_rules("gateway.cloud"):
        # Werkzeug adds HEAD to every GET rule; for /cloud it would send a notification.
        rule.methods = {"GET", "POST"} if allow_get else {"POST"}


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
