"""LOG_FORMAT=json: one JSON object per line, with the same (redacted) message the text format prints."""

import json
import logging

import pytest

from common.jsonlog import JsonFormatter, formatter, timestamp


def record(message: str, *args: object, exc_info: object = None, **extra: object) -> logging.LogRecord:
    made = logging.LogRecord("gateway.publisher", logging.WARNING, __file__, 1, message, args, exc_info)  # type: ignore[arg-type]
    made.__dict__.update(extra)
    return made


def test_a_record_is_one_line_of_json_with_time_level_logger_event_and_fields() -> None:
    line = JsonFormatter().format(record("lost the connection to %s", "127.0.0.1:1883"))
    assert "\n" not in line
    parsed = json.loads(line)
    assert set(parsed) == {"time", "level", "logger", "event", "fields"}
    assert (parsed["level"], parsed["logger"]) == ("WARNING", "gateway.publisher")
    assert parsed["event"] == "lost the connection to 127.0.0.1:1883"
    assert isinstance(parsed["fields"]["pid"], int)


def test_extra_fields_and_a_traceback_go_into_fields() -> None:
    try:
        raise ValueError("boom")
    except ValueError as err:
        failed = record("failed", exc_info=(ValueError, err, err.__traceback__), fields={"attempt": 3})
    parsed = json.loads(JsonFormatter().format(failed))
    assert parsed["fields"]["attempt"] == 3
    assert "ValueError: boom" in parsed["fields"]["exception"]


def test_quotes_newlines_and_non_ascii_stay_inside_one_valid_line() -> None:
    line = JsonFormatter().format(record('a "quoted"\nline ü'))
    assert "\n" not in line and json.loads(line)["event"] == 'a "quoted"\nline ü'


def test_timestamps_are_utc_iso_8601_with_milliseconds() -> None:
    assert timestamp(0.0) == "1970-01-01T00:00:00.000Z"
    assert timestamp(1_800_000_000.1239) == "2027-01-15T08:00:00.123Z"
    assert timestamp(1_800_000_001.5) == "2027-01-15T08:00:01.500Z"


@pytest.mark.parametrize(("name", "kind"), [("TEXT", logging.Formatter), ("text", logging.Formatter), ("JSON", JsonFormatter)])
def test_the_format_is_chosen_by_name(name: str, kind: type) -> None:
    assert type(formatter(name, "%(message)s")) is kind
