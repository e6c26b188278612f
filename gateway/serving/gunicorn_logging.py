"""A gunicorn logger that keeps tokens and client addresses out of its lines and writes access lines cheaply."""

import functools
import json
import logging
import os
import re
import select
import time
import traceback
from datetime import timedelta
from typing import Any

from gunicorn.config import Config
from gunicorn.glogging import Logger

from common.env import parse_bool
from common.jsonlog import JsonFormatter, timestamp
from gateway.app.logs import LOG_PATH_KEY

# Method, path (only our fixed routes; see gateway.logs), status, bytes, milliseconds. Never the query string
# (it may hold the token) nor gunicorn's %(U)s. ADDRESS_PREFIX only when the operator asks for addresses.
ACCESS_LOG_FORMAT = "%(m)s %({" + LOG_PATH_KEY + "}e)s %(s)s %(B)s %(M)sms"
ADDRESS_PREFIX = "%(h)s "

_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_QUERY = re.compile(r"\?\S*")
_BEARER = re.compile(r"(?i)bearer\s+\S+")
_CLIENT_ADDRESS = re.compile(r"\bip=\S*?(?=:?\s|:?$)")
STDOUT = 1  # gunicorn's accesslog "-"
PIPE_BUF_BYTES = select.PIPE_BUF  # a write() of up to this much is never interleaved with another on a pipe


def client_addresses_enabled() -> bool:
    """Return True when the operator set LOG_CLIENT_ADDRESSES=true."""
    return parse_bool(os.environ.get("LOG_CLIENT_ADDRESSES", "false")) is True


def json_logs_enabled() -> bool:
    """Return True when the operator set LOG_FORMAT=json (the gateway's settings reject any value but text and json)."""
    return os.environ.get("LOG_FORMAT", "").strip().upper() == "JSON"


def json_access_line(method: str, path: str, status: int, sent: int | None, milliseconds: int, address: str | None) -> str:
    """Return an access line as one JSON object (common/jsonlog.py), built directly: a webhook pays for one per answer."""
    head = f'{{"time":"{timestamp(time.time())}","level":"INFO","logger":"gunicorn.access","event":"request","fields":'
    where = "" if address is None else f',"address":{json.dumps(address)}'  # not cached: addresses are many
    size = "null" if sent is None else sent
    return (
        f'{head}{{"method":{_quoted(method)},"path":{_quoted(path)},"status":{status},"bytes":{size},'
        f'"duration_ms":{milliseconds}{where}}}}}\n'
    )


@functools.lru_cache(maxsize=256)
def _quoted(text: str) -> str:
    # Methods and paths repeat (the path is one of the gateway's fixed routes or "-"): each is escaped once.
    return json.dumps(text, ensure_ascii=False)


def redact(text: str, keep_addresses: bool = False) -> str:
    """Remove what may carry a token (quoted request parts, query strings, bearer credentials) from text."""
    text = _QUOTED.sub("<redacted>", text)
    text = _QUERY.sub("?<redacted>", text)
    text = _BEARER.sub("Bearer <redacted>", text)
    if not keep_addresses:
        text = _CLIENT_ADDRESS.sub("ip=<redacted>", text)
    return text


def pipe_sized(lines: list[str]) -> list[str]:
    """Join lines into as few chunks as keep each within PIPE_BUF_BYTES (a longer line is a chunk of its own)."""
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        length = len(line.encode("utf-8", "replace"))
        if current and size + length > PIPE_BUF_BYTES:
            chunks.append("".join(current))
            current, size = [], 0
        current.append(line)
        size += length
    if current:
        chunks.append("".join(current))
    return chunks


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
    """gunicorn's logger with a redacting filter on its error log, and a direct path for our access-log format.

    Gunicorn quotes the raw request line (with the query string, hence the token) and the
    client address when it rejects a malformed request, e.g. "Invalid request from ip=...".
    """

    def setup(self, cfg: Config) -> None:
        """Set up gunicorn's handlers, then add the filter once, and choose how access lines are written."""
        super().setup(cfg)
        if not any(isinstance(f, RedactingFilter) for f in self.error_log.filters):
            self.error_log.addFilter(RedactingFilter(client_addresses_enabled()))
        self._json = json_logs_enabled()
        if self._json:  # filters run before formatters: a JSON line carries the redacted text
            for handler in (*self.error_log.handlers, *self.access_log.handlers):
                handler.setFormatter(JsonFormatter())
        custom_logging = cfg.logconfig or cfg.logconfig_dict or cfg.logconfig_json or cfg.syslog
        formats = {ACCESS_LOG_FORMAT: False, ADDRESS_PREFIX + ACCESS_LOG_FORMAT: True}
        # Our own format to stdout: written directly, one write() per line (atomic on a pipe, so no lock).
        # gunicorn's general path builds every atom, headers included, and takes the logging lock: ~15 % of a
        # worker's time under load (docs/PERFORMANCE.md). Any other format or destination takes that path.
        self._direct_access: bool | None = None
        self._held: list[str] | None = None  # lines kept for one write (hold_access_lines)
        if cfg.accesslog == "-" and not custom_logging and cfg.access_log_format in formats:
            self._direct_access = formats[cfg.access_log_format]

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: timedelta) -> None:
        """Write one access line in the configured format."""
        if self._direct_access is None:
            super().access(resp, req, environ, request_time)
            return
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        sent = "-" if resp.sent is None else resp.sent
        milliseconds = request_time.seconds * 1000 + request_time.microseconds // 1000
        if self._json:
            address = environ.get("REMOTE_ADDR", "-") if self._direct_access else None
            line = json_access_line(environ.get("REQUEST_METHOD", "-"), environ.get(LOG_PATH_KEY, "-"), int(status),
                                    resp.sent, milliseconds, address)  # fmt: skip
        else:
            line = f"{environ.get('REQUEST_METHOD')} {environ.get(LOG_PATH_KEY, '-')} {status} {sent} {milliseconds}ms\n"
            if self._direct_access:
                line = f"{environ.get('REMOTE_ADDR', '-')} {line}"
        if self._held is not None:
            self._held.append(line)
            return
        self._write(line)

    def hold_access_lines(self) -> None:
        """From now on keep direct access lines until flush_access_lines() (the gateway's worker: once per turn)."""
        if self._direct_access is not None:
            self._held = []

    def flush_access_lines(self) -> None:
        """Write the access lines kept so far, in as few writes as keep each one atomic on a pipe."""
        held = self._held
        if not held:
            return
        for chunk in pipe_sized(held):
            self._write(chunk)
        held.clear()

    def _write(self, lines: str) -> None:
        try:
            os.write(STDOUT, lines.encode("utf-8", "replace"))
        except OSError:
            self.error(traceback.format_exc())
