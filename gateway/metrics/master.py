"""The gateway's metrics listener: gunicorn's master serves every worker's counts from prometheus-client's files.

With GATEWAY_METRICS_PORT set, config/gunicorn.conf.py calls prepare_metrics() before any worker forks: it makes
a fresh directory (in /dev/shm where there is one, so nothing reaches a disk) and points
PROMETHEUS_MULTIPROC_DIR at it, which every worker inherits; each worker's values live in its own files there.
The master then serves GET /metrics on METRICS_HOST (default HOST), a listener of its own: the public port
(PORT) never answers /metrics. The hooks below are gunicorn's, imported into config/gunicorn.conf.py; each does
nothing while metrics are off. prometheus-client's own HTTP server and multiprocess collector do the serving.
"""

import os
import shutil
import tempfile
from typing import Any

from common.env import EnvReader
from gateway.settings import metrics_listener

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
SHARED_MEMORY = "/dev/shm"  # noqa: S108 (a tmpfs: the workers' counter files never reach a disk)


class _Master:
    """What this gunicorn master knows about its metrics: where the files are, where it listens."""

    directory: str | None = None
    listener: tuple[str, int] | None = None
    server: Any = None  # prometheus-client's WSGI server, in a thread of the master


_master = _Master()


def prepare_metrics(read: EnvReader) -> None:
    """When GATEWAY_METRICS_PORT is set, give this gunicorn a fresh multiprocess directory (once; a reload keeps it)."""
    listener = metrics_listener(read)
    if listener is None or read.problems or _master.directory is not None:
        return
    parent = SHARED_MEMORY if os.path.isdir(SHARED_MEMORY) and os.access(SHARED_MEMORY, os.W_OK) else None
    _master.directory = tempfile.mkdtemp(prefix="awtrix-gateway-metrics-", dir=parent)
    _master.listener = listener
    os.environ[MULTIPROC_ENV] = _master.directory


def when_ready(server: Any) -> None:
    """Start serving the workers' metrics from the master (gunicorn hook)."""
    if _master.listener is None or _master.server is not None:
        return
    from prometheus_client import CollectorRegistry, start_http_server
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=_master.directory)
    host, port = _master.listener
    try:
        _master.server, _ = start_http_server(port, addr=host, registry=registry)
    except OSError as err:
        on_exit(server)  # gunicorn does not call it when a hook stops the master
        raise SystemExit(f"gateway: cannot serve metrics on {host}:{port} (GATEWAY_METRICS_PORT): {err.strerror}") from None
    server.log.info("metrics listening on http://%s:%s/metrics", host, _master.server.server_port)


def post_fork(server: Any, worker: Any) -> None:
    """In a new worker: close its copy of the master's metrics listener (gunicorn hook)."""
    if _master.server is not None:
        _master.server.socket.close()


def child_exit(server: Any, worker: Any) -> None:
    """Forget a dead worker's gauges; its counters stay counted (gunicorn hook)."""
    if _master.directory is not None:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid, _master.directory)


def on_exit(server: Any) -> None:
    """Stop serving and remove the workers' files (gunicorn hook)."""
    if _master.server is not None:
        _master.server.shutdown()
        _master.server.server_close()
        _master.server = None
    if _master.directory is not None:
        shutil.rmtree(_master.directory, ignore_errors=True)
        _master.directory = None
