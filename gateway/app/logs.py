"""Set up the gateway's logging so that no line carries a token, a body or a client address."""

import logging
import sys

from flask import Flask, Response

from common.jsonlog import formatter
from gateway.app.context import current

LOGGER_NAME = "gateway"
# gunicorn's access log reads this WSGI environ key through the %({gateway.log_path}e)s atom.
LOG_PATH_KEY = "gateway.log_path"
FIXED_PATHS_KEY = "gateway.fixed_paths"


TEXT_FORMAT = "%(asctime)s [%(process)d] [%(levelname)s] %(name)s: %(message)s"


def configure_logging(level: str, log_format: str = "TEXT") -> None:
    """Set the gateway's log level and give its logs a stderr handler (TEXT or JSON) when nothing else handles them."""
    logger = logging.getLogger(LOGGER_NAME)
    logger.setLevel(level)
    # Werkzeug's development server logs request lines, query string (and token) included.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    if not logger.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(formatter(log_format, TEXT_FORMAT))
        logger.addHandler(handler)


def record_log_path(response: Response) -> Response:
    """Expose the request path to the access log only when it is one of our fixed routes.

    Any other path is whatever a client typed, and clients do type tokens into paths.
    """
    app, req = current()
    req.environ[LOG_PATH_KEY] = req.path if req.path in fixed_paths(app) else "-"
    return response


def fixed_paths(app: Flask) -> frozenset[str]:
    """Return the paths of the app's routes that take no arguments, worked out once (the routes are fixed by then)."""
    paths = app.extensions.get(FIXED_PATHS_KEY)
    if paths is None:
        paths = app.extensions[FIXED_PATHS_KEY] = frozenset(rule.rule for rule in app.url_map.iter_rules() if not rule.arguments)
    return paths
