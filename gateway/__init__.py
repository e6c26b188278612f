"""The HTTP gateway: accept webhooks and publish them to devices over MQTT."""

import os

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from gateway import views
from gateway.embedded_publisher import EmbeddedPublisher
from gateway.handlers import register_error_handlers
from gateway.logs import configure_logging, record_log_path
from gateway.publisher import MqttPublisher
from gateway.ratelimit import install_rate_limits
from gateway.settings import BrokerSettings, GatewaySettings
from gateway.views import PUBLISHER_KEY, SETTINGS_KEY, Publisher


def create_app(settings: GatewaySettings | None = None, publisher: Publisher | None = None) -> Flask:
    """Build the gateway app: settings, publisher, proxy trust, rate limits, blueprints, error handlers, log hook."""
    if settings is None:
        settings = GatewaySettings.from_env(os.environ)
    if publisher is None:
        # Connects on first use, so creating the app never starts a thread or opens a socket (gunicorn forks afterwards).
        publisher = publisher_for(settings.broker, settings.publish_timeout_s)
    configure_logging(settings.log_level)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.extensions[SETTINGS_KEY] = settings
    app.extensions[PUBLISHER_KEY] = publisher
    if settings.trusted_proxy_count:
        # Only behind proxies the operator vouches for: anyone can send X-Forwarded-For.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxy_count)  # type: ignore[method-assign]
    install_rate_limits(app, settings.rate_limits)
    app.register_blueprint(views.blueprint)
    register_error_handlers(app)
    app.after_request(record_log_path)
    return app


def publisher_for(broker: BrokerSettings, publish_timeout_s: float) -> EmbeddedPublisher | MqttPublisher:
    """Return the publisher for a broker: our own links to the embedded broker, paho for an external one."""
    if broker.external or broker.tls:
        return MqttPublisher(broker, publish_timeout_s)
    return EmbeddedPublisher(broker, publish_timeout_s)
