"""Hooks gunicorn calls around the gateway: check settings in the master, connect and disconnect workers."""

import logging
from collections.abc import Mapping

from flask import Flask

from gateway.app.extensions import publisher_of, settings_of
from gateway.metrics.recording import start_metrics, stop_metrics
from gateway.publishing import Connects
from gateway.ratelimit.limiter import check_storage
from gateway.settings import GatewaySettings, SettingsError

log = logging.getLogger("gateway.lifecycle")  # the name in log lines, kept when the module moved


def check_settings(environ: Mapping[str, str]) -> None:
    """Exit with one clear message, before any worker forks, when the gateway's settings are invalid."""
    try:
        GatewaySettings.from_env(environ)
    except SettingsError as err:
        raise SystemExit(f"gateway: refusing to start, {err}") from None


def start_worker(app: Flask) -> None:
    """Connect a freshly forked worker's publisher so its first request finds the broker connected."""
    start_metrics(app)
    check_storage(app)
    publisher = publisher_of(app)
    if not isinstance(publisher, Connects):
        return
    if not publisher.wait_until(connected=True, timeout_s=settings_of(app).publish_timeout_s):
        log.warning("worker starts without a broker connection; webhooks get 503 until it connects")


def stop_worker(app: Flask) -> None:
    """Disconnect a worker's publisher cleanly as the worker exits, then flush its last metrics."""
    publisher = publisher_of(app)
    if isinstance(publisher, Connects):
        publisher.stop()
    stop_metrics(app)
