"""Where the app keeps what its views and gunicorn's hooks need: its settings and its publisher."""

from flask import Flask

from gateway.publishing.interface import Publisher
from gateway.settings import GatewaySettings

SETTINGS_KEY = "gateway.settings"
PUBLISHER_KEY = "gateway.publisher"


def settings_of(app: Flask) -> GatewaySettings:
    """Return the settings the app was built with."""
    return app.extensions[SETTINGS_KEY]


def publisher_of(app: Flask) -> Publisher:
    """Return the publisher the app publishes with."""
    return app.extensions[PUBLISHER_KEY]
