"""The webhook application: a Flask app factory wiring settings, publisher, rate limits, views and error handlers."""

import os

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from gateway.app import page, views
from gateway.app.extensions import PUBLISHER_KEY, SETTINGS_KEY
from gateway.app.handlers import register_error_handlers
from gateway.app.logs import configure_logging, record_log_path
from gateway.metrics.recording import install_metrics
from gateway.publishing import Publisher, publisher_for
from gateway.ratelimit.limiter import install_rate_limits
from gateway.settings import GatewaySettings


def create_app(settings: GatewaySettings | None = None, publisher: Publisher | None = None) -> Flask:
    """Build the gateway app: settings, publisher, proxy trust, rate limits, blueprints, error handlers, log hook."""
    if settings is None:
        settings = GatewaySettings.from_env(os.environ)
    if publisher is None:
        # Connects on first use, so creating the app never starts a thread or opens a socket (gunicorn forks afterwards).
        publisher = publisher_for(settings.broker, settings.publish_timeout_s)
    configure_logging(settings.log_level, settings.log_format)
    app = Flask(__name__)
    # A template's input may be larger than a body the gateway forwards; parse_body holds the others to max_body_bytes.
    app.config["MAX_CONTENT_LENGTH"] = max(settings.max_body_bytes, settings.max_template_input_bytes)
    # OPTIONS on any route is answered 405 with Allow, in the error envelope, not Flask's empty text/html 200.
    app.config["PROVIDE_AUTOMATIC_OPTIONS"] = False
    app.extensions[SETTINGS_KEY] = settings
    app.extensions[PUBLISHER_KEY] = publisher
    if settings.trusted_proxy_count:
        # Only behind proxies the operator vouches for: anyone can send X-Forwarded-For.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxy_count)  # type: ignore[method-assign]
    install_rate_limits(app, settings.rate_limits, settings.max_tokens_per_request)
    app.register_blueprint(views.blueprint)
    app.register_blueprint(page.blueprint)
    views.route_sending_methods(app, settings.allow_get)
    register_error_handlers(app)
    app.after_request(record_log_path)
    install_metrics(app, settings, publisher)
    return app
