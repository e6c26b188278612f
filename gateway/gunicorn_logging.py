"""A gunicorn logger that keeps tokens and client addresses out of gunicorn's own error lines."""

import logging
import os
import re

from gunicorn.config import Config
from gunicorn.glogging import Logger

from common.env import parse_bool

_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_QUERY = re.compile(r"\?\S*")
_BEARER = re.compile(r"(?i)bearer\s+\S+")
_CLIENT_ADDRESS = re.compile(r"\bip=\S*?(?=:?\s|:?$)")


def client_addresses_enabled() -> bool:
    """Return True when the operator set LOG_CLIENT_ADDRESSES=true."""
    return parse_bool(os.environ.get("LOG_CLIENT_ADDRESSES", "false")) is True


def redact(text: str, keep_addresses: bool = False) -> str:
    """Remove what may carry a token (quoted request parts, query strings, bearer credentials) from text."""
    text = _QUOTED.sub("<redacted>", text)
    text = _QUERY.sub("?<redacted>", text)
    text = _BEARER.sub("Bearer <redacted>", text)
    if not keep_addresses:
        text = _CLIENT_ADDRESS.sub("ip=<redacted>", text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrite each record's message through redact()."""

    def __init__(self, keep_addresses: bool) -> None:
        super().__init__()
        self.keep_addresses = keep_addresses

    def filter(self, record: logging.LogRecord) -> bool:
        """Replace the record's message with its redacted text; never drop the record."""
        record.msg, record.args = redact(record.getMessage(), self.keep_addresses), None
        return True


class PrivateLogger(Logger):
    """gunicorn's logger with a redacting filter on its error log.

    Gunicorn quotes the raw request line (with the query string, hence the token) and the
    client address when it rejects a malformed request, e.g. "Invalid request from ip=...".
    """

    def setup(self, cfg: Config) -> None:
        """Set up gunicorn's handlers, then add the filter once."""
        super().setup(cfg)
        if not any(isinstance(f, RedactingFilter) for f in self.error_log.filters):
            self.error_log.addFilter(RedactingFilter(client_addresses_enabled()))
