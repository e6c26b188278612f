"""Configure process logging: one stderr handler, and amqtt's own start/stop chatter kept to warnings."""

import logging
import sys

from common.jsonlog import formatter

# amqtt only opens and closes the listeners now (client connections never reach it), but at INFO it
# narrates every step of that; transitions is its state-machine library.
QUIET_LOGGERS = ("amqtt", "transitions")


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure(level: str, log_format: str = "TEXT") -> None:
    """Send log lines at level to stderr, as TEXT or JSON lines. Nothing the broker logs names a token, payload or address."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(log_format, TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
