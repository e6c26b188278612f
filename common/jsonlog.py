"""LOG_FORMAT=json: one JSON object per line (time, level, logger, event, fields), for the gateway and the broker alike.

The object is {"time": "2026-01-31T12:00:00.123Z", "level": "INFO", "logger": "gateway.publisher", "event": "<the
message>", "fields": {"pid": 4242, ...}}. The event is the same text the human-readable format prints, after the
same redaction, so the privacy rules hold unchanged: the format changes, not what is said. Structured values a
caller passes as extra={"fields": {...}} land in fields (the access log's method, path, status, ...).
"""

import json
import logging
import time
from typing import Any

LOG_FORMATS = ("TEXT", "JSON")
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode
_second: tuple[int, str] = (-1, "")  # the last whole second formatted, and its text (one strftime per second)


def timestamp(created: float) -> str:
    """Return created (seconds since the epoch) as UTC ISO 8601 with milliseconds, e.g. 2026-01-31T12:00:00.123Z."""
    global _second
    whole = int(created)
    if whole != _second[0]:
        _second = (whole, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)))
    return f"{_second[1]}.{int((created - whole) * 1000):03d}Z"


def json_line(created: float, level: str, logger: str, event: str, fields: dict[str, Any]) -> str:
    """Return one log object as a line of JSON, newline included."""
    record = {"time": timestamp(created), "level": level, "logger": logger, "event": event, "fields": fields}
    return _ENCODE(record) + "\n"


class JsonFormatter(logging.Formatter):
    """Format each record as one JSON object on one line (the handler adds the newline)."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as JSON: its message as the event, its process id and extra fields as fields."""
        fields: dict[str, Any] = {"pid": record.process}
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict):
            fields.update(extra)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            fields["exception"] = record.exc_text
        return json_line(record.created, record.levelname, record.name, record.getMessage(), fields).rstrip("\n")


def formatter(log_format: str, text_format: str) -> logging.Formatter:
    """Return the formatter for LOG_FORMAT (TEXT or JSON, any case): JSON lines, or text_format for people."""
    if log_format.upper() == "JSON":
        return JsonFormatter()
    return logging.Formatter(text_format)
