"""The gateway under a real gunicorn: it refuses to start without a secret and its logs stay private, text or JSON."""

import json
import re
import socket
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from gateway.serving.gunicorn_logging import PIPE_BUF_BYTES, pipe_sized, redact
from tests.gateway.conftest import Mosquitto
from tests.support.embedded import TEST_SECRET, EmbeddedBroker
from tests.support.processes import Process, procfile_command

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
CLIENT_ADDRESS = "127.0.0.5"
TOKEN = "Private-token-for-logs-0123"
BODY_MARKER = "body-marker-5e1c"
_BODY = f'{{"text":"{BODY_MARKER}"}}'.encode()
_CLOUD = f"POST /cloud?mode=notify&token={TOKEN} HTTP/1.1\r\nHost: x\r\n".encode()
# A webhook, a malformed request line, a malformed header next to a Bearer token, an unknown path with a token.
TRAFFIC = [
    _CLOUD + b"Content-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(_BODY) + _BODY,
    _CLOUD.replace(b"HTTP/1.1", b"HTTP/1.1 junk") + b"\r\n",
    f"POST /cloud HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\nBad Header: y\r\n\r\n".encode(),
    f"GET /nowhere/{TOKEN} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode(),
]


def start_gunicorn(env: dict[str, str]) -> Process:
    """Start gunicorn as the Procfile does, on 127.0.0.1 port 0, with only env's gateway settings."""
    settings = {"HOST": "127.0.0.1", "PORT": "0", "WEB_CONCURRENCY": "1", **env}
    return Process(procfile_command("web"), settings, drop=("GATEWAY_SECRET", "MQTT_URL"))


def send(port: int, raw: bytes) -> bytes:
    """Send raw bytes from CLIENT_ADDRESS and return the start of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(CLIENT_ADDRESS, 0)) as connection:
        connection.sendall(raw)
        return connection.recv(200)


def test_gunicorn_refuses_to_start_without_the_secret_before_forking() -> None:
    output = start_gunicorn({})
    assert output.popen.wait(30) != 0
    output.stop()
    assert "GATEWAY_SECRET: is required" in output.output
    assert "Booting worker" not in output.output


def test_gunicorn_settings_that_are_not_numbers_in_range_are_all_named_before_forking() -> None:
    env = {"GATEWAY_SECRET": "x" * 24, "MQTT_URL": "mqtt://127.0.0.1:1", "GUNICORN_THREADS": "0", "GUNICORN_TIMEOUT_S": "soon",
           "GATEWAY_METRICS_PORT": "on"}  # fmt: skip
    output = start_gunicorn(env)
    assert output.popen.wait(30) != 0
    output.stop()
    assert "GUNICORN_THREADS: must be a whole number from 1 to 1024" in output.output
    assert "GUNICORN_TIMEOUT_S: must be a whole number from 1 to 86400" in output.output
    assert "GATEWAY_METRICS_PORT: must be a whole number from 0 to 65535" in output.output
    assert "Booting worker" not in output.output


def test_gunicorn_refuses_to_start_when_the_metrics_port_is_taken() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        output = start_gunicorn({"GATEWAY_SECRET": "x" * 24, "MQTT_PORT": "1", "GATEWAY_METRICS_PORT": str(port)})
        assert output.popen.wait(30) != 0
    output.stop()
    assert f"cannot serve metrics on 127.0.0.1:{port} (GATEWAY_METRICS_PORT): Address already in use" in output.output
    assert "Booting worker" not in output.output


@dataclass(frozen=True)
class Backend:
    """Where the gateway publishes: the embedded broker (the gateway's own worker) or Mosquitto (gthread)."""

    kind: str
    env: dict[str, str]


@pytest.fixture(scope="module", params=["embedded", "mosquitto"])
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    """Each broker in turn; the gateway's worker class follows from it (config/gunicorn.conf.py)."""
    if request.param == "embedded":
        embedded = EmbeddedBroker().start()
        yield Backend("embedded", {"GATEWAY_SECRET": TEST_SECRET, "MQTT_PORT": str(embedded.port)})
        embedded.stop()
    else:
        mosquitto = Mosquitto(tmp_path_factory.mktemp("mosquitto")).start()
        yield Backend("mosquitto", {"GATEWAY_SECRET": "x" * 24, "MQTT_URL": f"mqtt://127.0.0.1:{mosquitto.port}"})
        mosquitto.stop()


def run_traffic(backend: Backend, extra_env: dict[str, str]) -> str:
    """Run gunicorn against a broker, drive the paths that could log a token, and return everything it printed."""
    output = start_gunicorn({**backend.env, **extra_env})
    try:
        port = int(output.wait_for(r"Listening at: http://127\.0\.0\.1:(\d+)").group(1))
        output.wait_for("connected to the MQTT broker")
        answers = [send(port, raw) for raw in TRAFFIC]
        assert [answer.split(b" ")[1] for answer in answers] == [b"202", b"400", b"400", b"404"]
    finally:
        output.stop()
    return output.output


@pytest.fixture(scope="module")
def private_logs(backend: Backend) -> str:
    """gunicorn's whole output after the traffic, at default settings."""
    return run_traffic(backend, {})


def test_gunicorn_logs_no_token_body_or_client_address(private_logs: str) -> None:
    assert "Listening at" in private_logs
    assert TOKEN not in private_logs
    assert BODY_MARKER not in private_logs
    assert CLIENT_ADDRESS not in private_logs


def test_gunicorn_access_log_has_method_route_status_bytes_and_milliseconds(private_logs: str) -> None:
    lines = private_logs.splitlines()
    assert [line for line in lines if re.fullmatch(r"POST /cloud 202 \d+ \d+ms", line)]
    assert [line for line in lines if re.fullmatch(r"GET - 404 \d+ \d+ms", line)]


def test_another_access_log_format_goes_through_gunicorns_own_logging(backend: Backend) -> None:
    logs = run_traffic(backend, {"GUNICORN_CMD_ARGS": "--access-logformat 'custom %(m)s %(s)s %(B)s'"})
    assert [line for line in logs.splitlines() if re.fullmatch(r"custom POST 202 \d+", line)]
    assert TOKEN not in logs


def test_malformed_requests_are_reported_without_their_content(private_logs: str, backend: Backend) -> None:
    if backend.kind == "mosquitto":  # gunicorn's gthread worker, with our redacting filter
        assert private_logs.count("Invalid request from ip=<redacted>") == 2
        return
    refusals = [line for line in private_logs.splitlines() if "refused a malformed request" in line]
    assert [line.split("refused a malformed request: ")[1] for line in refusals] == [
        "The request is malformed (Expected CRLF after version).",  # llhttp's reason, never the request's bytes
        "The request is malformed (Invalid header token).",
    ]


def test_gunicorn_logs_client_addresses_when_the_operator_asks(backend: Backend) -> None:
    logs = run_traffic(backend, {"LOG_CLIENT_ADDRESSES": "true"})
    assert f"{CLIENT_ADDRESS} POST /cloud 202 " in logs
    assert TOKEN not in logs


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "Invalid request from ip=10.1.2.3: Invalid HTTP Version: 'POST /cloud?token=x junk'",
            "Invalid request from ip=<redacted>: Invalid HTTP Version: <redacted>",
        ),
        (
            "Invalid request from ip=::1: Request Line is too large (5000 > 4094)",
            "Invalid request from ip=<redacted>: Request Line is too large (5000 > 4094)",
        ),
        ("Error handling request POST /cloud?mode=notify&token=x", "Error handling request POST /cloud?<redacted>"),
        ('Invalid header "Authorization: Bearer x"', "Invalid header <redacted>"),
        ("authorization: bearer x", "authorization: Bearer <redacted>"),
        ("Booting worker with pid: 42", "Booting worker with pid: 42"),
    ],
)
def test_redact_removes_what_may_carry_a_token_or_address(line: str, expected: str) -> None:
    assert redact(line) == expected


def test_redact_can_keep_client_addresses() -> None:
    assert redact("Invalid request from ip=10.1.2.3: x", keep_addresses=True) == "Invalid request from ip=10.1.2.3: x"


def test_access_lines_kept_for_a_turn_leave_in_chunks_a_pipe_never_interleaves() -> None:
    lines = [f"POST /cloud 200 {n} 1ms\n" for n in range(1000)]
    chunks = pipe_sized(lines)
    assert "".join(chunks) == "".join(lines)
    assert all(len(chunk.encode()) <= PIPE_BUF_BYTES and chunk.endswith("\n") for chunk in chunks)
    assert len(chunks) < 10  # about 24 KB: a handful of writes, not a thousand
    long_line = "x" * (PIPE_BUF_BYTES + 1) + "\n"
    assert pipe_sized(["a\n", long_line, "b\n"]) == ["a\n", long_line, "b\n"]
    assert pipe_sized([]) == []


@pytest.fixture(scope="module")
def json_logs(backend: Backend) -> list[dict[str, object]]:
    """gunicorn's whole output after the traffic with LOG_FORMAT=json, one object per line."""
    output = run_traffic(backend, {"LOG_FORMAT": "json"})
    assert TOKEN not in output and BODY_MARKER not in output and CLIENT_ADDRESS not in output
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_json_logs_are_one_object_per_line_with_time_level_logger_event_fields(json_logs: list[dict[str, object]]) -> None:
    assert {tuple(sorted(record)) for record in json_logs} == {("event", "fields", "level", "logger", "time")}
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", str(record["time"])) for record in json_logs)
    assert any(record["logger"] == "gunicorn.error" and "Listening at" in str(record["event"]) for record in json_logs)


def test_json_access_lines_have_method_route_status_bytes_and_milliseconds(json_logs: list[dict[str, object]]) -> None:
    access = [record["fields"] for record in json_logs if record["logger"] == "gunicorn.access"]
    assert {(f["method"], f["path"], f["status"]) for f in access} == {("POST", "/cloud", 202), ("GET", "-", 404)}  # type: ignore[index]
    assert all(set(f) == {"method", "path", "status", "bytes", "duration_ms"} for f in access)  # type: ignore[arg-type]


def test_json_logs_report_malformed_requests_without_their_content(json_logs: list[dict[str, object]], backend: Backend) -> None:
    events = [str(record["event"]) for record in json_logs]
    if backend.kind == "mosquitto":
        assert sum("Invalid request from ip=<redacted>" in event for event in events) == 2
    else:
        assert sum(event.startswith("refused a malformed request: ") for event in events) == 2


def test_json_access_lines_carry_the_address_only_when_the_operator_asks(backend: Backend) -> None:
    output = run_traffic(backend, {"LOG_FORMAT": "json", "LOG_CLIENT_ADDRESSES": "true"})
    access = [json.loads(line)["fields"] for line in output.splitlines() if '"gunicorn.access"' in line]
    assert {fields["address"] for fields in access} == {CLIENT_ADDRESS}
    assert TOKEN not in output
