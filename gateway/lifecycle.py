"""Hooks gunicorn calls around the gateway: check settings in the master, connect and disconnect workers."""

import logging
from collections.abc import Mapping

from flask import Flask

from gateway.embedded_publisher import EmbeddedPublisher
from gateway.publisher import MqttPublisher
from gateway.ratelimit import check_storage
from gateway.settings import GatewaySettings, SettingsError
from gateway.views import PUBLISHER_KEY, SETTINGS_KEY

log = logging.getLogger(__name__)


def check_settings(environ: Mapping[str, str]) -> None:
    """Exit with one clear message, before any worker forks, when the gateway's settings are invalid."""
    try:
        GatewaySettings.from_env(environ)
    except SettingsError as err:
        raise SystemExit(f"gateway: refusing to start, {err}") from None


def start_worker(app: Flask) -> None:
    """Connect a freshly forked worker's publisher so its first request finds the broker connected."""
    check_storage(app)
    publisher = app.extensions[PUBLISHER_KEY]
    if not isinstance(publisher, EmbeddedPublisher | MqttPublisher):
        return
    settings: GatewaySettings = app.extensions[SETTINGS_KEY]
    if not publisher.wait_until(connected=True, timeout_s=settings.publish_timeout_s):
        log.warning("worker starts without a broker connection; webhooks get 503 until it connects")


def stop_worker(app: Flask) -> None:
    """Disconnect a worker's publisher cleanly as the worker exits."""
    publisher = app.extensions[PUBLISHER_KEY]
    if isinstance(publisher, EmbeddedPublisher | MqttPublisher):
        publisher.stop()
