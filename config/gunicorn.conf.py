"""Gunicorn settings for the gateway, all read from the environment (see config/env.example)."""

import os

from common.env import EnvReader
from gateway.metrics.master import child_exit, on_exit, post_fork, prepare_metrics, when_ready  # noqa: F401 (hooks)
from gateway.serving.gunicorn_logging import ACCESS_LOG_FORMAT, ADDRESS_PREFIX, client_addresses_enabled

_read = EnvReader(os.environ)
bind = f"{_read.text('HOST') or '0.0.0.0'}:{_read.integer('PORT', 8000, 0, 65535)}"
workers = _read.integer("WEB_CONCURRENCY", 2, 1, 1024)
if _read.text("MQTT_URL"):
    # An external broker is across a network: threads wait for its acknowledgements side by side.
    worker_class = "gthread"
    threads = _read.integer("GUNICORN_THREADS", 4, 1, 1024)
else:
    # The embedded broker answers in a fraction of a millisecond: one thread per worker serving an event
    # loop (gateway/serving/worker.py) costs far less CPU per webhook than gunicorn's workers (docs/PERFORMANCE.md).
    worker_class = "gateway.serving.worker.WebhookWorker"
timeout = _read.integer("GUNICORN_TIMEOUT_S", 30, 1, 86400)
# Connections each worker holds at once; when full, the gateway's worker closes idle then slow ones for new ones.
worker_connections = _read.integer("GUNICORN_WORKER_CONNECTIONS", 1000, 1, 100_000)
# GATEWAY_METRICS_PORT: the master serves the workers' metrics on a listener of its own (gateway/metrics/master.py).
prepare_metrics(_read)
if _read.problems:
    raise SystemExit("gateway: refusing to start, " + "; ".join(_read.problems))

# Access log on stdout: method, path, status, bytes, milliseconds. Never the query string (it
# may hold the token) nor gunicorn's %(U)s: the gateway sets gateway.log_path to the path only
# for its own routes ("-" for any other path, which a client may have typed a token into).
# The client address only when the operator asks for it.
accesslog = "-"
errorlog = "-"
access_log_format = (ADDRESS_PREFIX if client_addresses_enabled() else "") + ACCESS_LOG_FORMAT
logger_class = "gateway.serving.gunicorn_logging.PrivateLogger"
# gunicorn 27's admin socket (~/.gunicorn/gunicorn.ctl) is not needed and collides between instances.
control_socket_disable = True


def on_starting(server: object) -> None:
    """Refuse to start, in the master and before forking, when the gateway's settings are invalid."""
    from gateway.serving.lifecycle import check_settings

    check_settings(os.environ)


def post_worker_init(worker: object) -> None:
    """Connect the worker to the broker before it serves its first request."""
    from gateway.serving.lifecycle import start_worker

    start_worker(worker.wsgi)  # type: ignore[attr-defined]


def worker_exit(server: object, worker: object) -> None:
    """Disconnect the worker from the broker as it exits."""
    from gateway.serving.lifecycle import stop_worker

    wsgi = getattr(worker, "wsgi", None)
    if wsgi is not None:
        stop_worker(wsgi)
