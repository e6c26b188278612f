"""The worker's answers: framing of a response, and its own errors in exactly the app's bytes."""

import pytest

from gateway.app.handlers import render_api_error
from gateway.errors import BadRequest, HttpError, InternalError, RateLimited, TooManyConnections
from gateway.serving.responses import encode_response, error_answer
from tests.gateway.conftest import Gateway


def test_response_gets_length_date_and_connection() -> None:
    raw = encode_response("200 OK", [("Content-Type", "application/json")], b"{}", keep_alive=True, head_only=False)
    head, body = raw.split(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0] == "HTTP/1.1 200 OK"
    assert {"Content-Length: 2", "Connection: keep-alive", "Content-Type: application/json"} <= set(lines)
    assert any(line.startswith("Date: ") and line.endswith(" GMT") for line in lines)
    assert body == b"{}"


def test_head_request_and_no_content_answers_carry_no_body() -> None:
    assert encode_response("200 OK", [], b"{}", keep_alive=False, head_only=True).endswith(b"Connection: close\r\n\r\n")
    assert b"Content-Length" not in encode_response("204 No Content", [], b"", keep_alive=True, head_only=False)


@pytest.mark.parametrize(
    "error",
    [BadRequest("A header is \"odd\"; caf\u00e9."), HttpError(408), InternalError(), RateLimited(), TooManyConnections()],
    ids=lambda error: error.code,
)
def test_worker_errors_are_the_apps_compact_json_byte_for_byte(refusing_gateway: Gateway, error: Exception) -> None:
    with refusing_gateway.http.application.app_context():
        app_answer = render_api_error(error)  # type: ignore[arg-type]
    status, headers, payload = error_answer(error)  # type: ignore[arg-type]
    assert payload == app_answer.get_data()
    assert payload.startswith(b'{"error":{"code":') and payload.endswith(b"}}\n")
    assert int(status[:3]) == app_answer.status_code
    assert dict(headers)["Content-Type"] == app_answer.content_type
    assert dict(headers).get("Retry-After") == app_answer.headers.get("Retry-After")
