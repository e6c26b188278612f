"""What the gateway's app records per webhook, and the hooks that start and stop a worker's metrics.

A webhook's outcome is noted in its WSGI environ where it becomes known: by note_delivery() in the view (how
it was answered, how long the delivery took, how many bytes) or by note_error() in the error handler (the error's code, and the
rate limit's kind). A middleware around the app times each POST /cloud and counts it with its outcome, in
plain numbers (gateway/metrics/tally.py). Only the mode's family and fixed answers are kept: never the token,
the app name, the address or anything else the sender chose.
"""

import threading
from collections.abc import Mapping
from time import perf_counter
from typing import Any

from flask import Flask, Request, has_request_context
from flask import request as flask_request

from gateway.errors import ApiError
from gateway.metrics.labels import NO_KIND, answer_of, kind_index, slot_of
from gateway.metrics.tally import Flusher, Outcome, Tally
from gateway.publishing.interface import Publisher
from gateway.rules.webhook import Webhook
from gateway.settings import GatewaySettings

OUTCOME_KEY = "gateway.metrics.outcome"
METRICS_KEY = "gateway.metrics"
WEBHOOK_PATH = "/cloud"
_UNNOTED: Outcome = (slot_of(None, "http_error"), None, 0, NO_KIND)  # an answer no code path noted (a bug)


def note_delivery(environ: dict[str, Any], webhook: Webhook, fields: Mapping[str, object], took_s: float) -> None:
    """Note how a published webhook was answered (its fields), how long its delivery took and how many bytes left."""
    environ[OUTCOME_KEY] = (slot_of(webhook.mode, answer_of(fields)), took_s, len(webhook.payload), NO_KIND)


def note_error(error: ApiError) -> None:
    """Note the error a webhook is answered with (and which rate limit refused it, if one did).

    Outside a request (an error rendered for the worker's own answers) there is nothing to note.
    """
    if not has_request_context():
        return
    request: Request = flask_request._get_current_object()  # type: ignore[attr-defined]
    if request.environ.get("PATH_INFO") == WEBHOOK_PATH:
        kind = kind_index(getattr(error, "kind", None))
        request.environ[OUTCOME_KEY] = (slot_of(request.args.get("mode"), error.code), None, 0, kind)


class CountingMiddleware:
    """Time every POST /cloud through the app and count it with the outcome its request noted."""

    def __init__(self, app: Any, tally: Tally) -> None:
        """Wrap a WSGI app."""
        self.app, self.tally = app, tally

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        """Call the app; count the answer if it was a webhook."""
        started = perf_counter()
        result = self.app(environ, start_response)
        if environ.get("PATH_INFO") == WEBHOOK_PATH:
            self.tally.record(environ.get(OUTCOME_KEY, _UNNOTED), perf_counter() - started)
        return result


class Recorder:
    """A process's metrics: the webhook tally, the broker link's state, and the thread that flushes them."""

    def __init__(self) -> None:
        """Count nothing yet; metric objects are made when the worker starts (after gunicorn forked it)."""
        self.tally = Tally()
        self.sink: Any = None  # GatewayMetrics; tests give their own
        self._flusher: Flusher | None = None
        self._lock = threading.Lock()  # link changes come from request threads or paho's network thread
        self._up = self._was_up = False

    def start(self) -> None:
        """Define this process's metrics, say it runs, and flush once a second from now on."""
        if self.sink is None:
            from gateway.metrics.definitions import process_metrics  # prometheus-client only when metrics are on

            self.sink = process_metrics()
        self.sink.workers.set(1)
        self.sink.broker_up.set(1 if self._up else 0)
        self._flusher = Flusher(self.tally, self.sink)

    def stop(self) -> None:
        """Flush what is left and stop the thread."""
        if self._flusher is not None:
            self._flusher.stop()
            self._flusher = None

    def link_changed(self, up: bool) -> None:
        """The publisher's link to the broker went up or down: set the gauge, count a reconnection."""
        with self._lock:
            if up == self._up:
                return
            reconnected = up and self._was_up
            self._up, self._was_up = up, self._was_up or up
            if self.sink is None:
                return
            self.sink.broker_up.set(1 if up else 0)
            if reconnected:
                self.sink.reconnects.inc()


def install_metrics(app: Flask, settings: GatewaySettings, publisher: Publisher) -> None:
    """With GATEWAY_METRICS_PORT set, count every webhook and watch the publisher's link; otherwise do nothing."""
    if settings.metrics_port is None:
        return
    recorder = app.extensions[METRICS_KEY] = Recorder()
    app.wsgi_app = CountingMiddleware(app.wsgi_app, recorder.tally)  # type: ignore[method-assign]
    if hasattr(publisher, "on_link"):
        publisher.on_link = recorder.link_changed


def start_metrics(app: Flask) -> None:
    """In a freshly forked worker: start its metrics (before it connects to the broker)."""
    recorder: Recorder | None = app.extensions.get(METRICS_KEY)
    if recorder is not None:
        recorder.start()


def stop_metrics(app: Flask) -> None:
    """As a worker exits: flush its last counts."""
    recorder: Recorder | None = app.extensions.get(METRICS_KEY)
    if recorder is not None:
        recorder.stop()
