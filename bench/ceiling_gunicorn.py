"""gunicorn settings for the HTTP ceiling: every setting of config/gunicorn.conf.py, without the gateway's hooks."""

import runpy
import types
from pathlib import Path

_GATEWAY_CONFIG = runpy.run_path(str(Path(__file__).resolve().parents[1] / "config" / "gunicorn.conf.py"))

# The hooks connect workers to the MQTT broker, which the ceiling app has none of; everything else is copied
# (bind, workers, worker_class, timeout, access log and its format, logger class, ...).
globals().update(
    {
        name: value
        for name, value in _GATEWAY_CONFIG.items()
        if not name.startswith("_") and not callable(value) and not isinstance(value, types.ModuleType)
    }
)

READY_LINE = "ceiling worker ready"


def post_worker_init(worker: object) -> None:
    """Say when a worker has loaded the app, so the bench starts its load once every worker can take connections."""
    worker.log.info(READY_LINE)  # type: ignore[attr-defined]
