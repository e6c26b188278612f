"""Configure process logging so that no token, payload or client address is ever written."""

import logging
import sys

# amqtt and transitions log client ids (which carry the token), usernames and peer addresses.
# They stay silent unless an operator asks for them while debugging.
CHATTY_LOGGERS = ("amqtt", "transitions")


def configure(level: str, library_level: str = "CRITICAL") -> None:
    """Send our log lines to stderr at level; keep third-party broker logs at library_level."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(library_level)
