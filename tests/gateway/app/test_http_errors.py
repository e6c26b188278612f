"""The HTTP surface refuses bad requests before publishing, always in the same JSON envelope."""

import logging

import pytest

from gateway.errors import ERROR_CODES
from tests.gateway.conftest import Gateway

TOKEN = "Tok3n_for-tests-0123456"
OTHER = "another-token-0123456789"


def assert_error(response: object, status: int, code: str) -> None:
    assert response.status_code == status  # type: ignore[attr-defined]
    assert response.content_type == "application/json"  # type: ignore[attr-defined]
    body = response.get_json()  # type: ignore[attr-defined]
    assert body == {"error": {"code": code, "message": body["error"]["message"]}}
    assert body["error"]["message"]
    assert code in ERROR_CODES


@pytest.mark.parametrize(
    ("request_parts", "status", "code"),
    [
        ({"token": None}, 400, "missing_token"),
        ({"token": "short"}, 400, "invalid_token"),
        ({"headers": {"Authorization": f"Bearer {OTHER}"}}, 400, "conflicting_tokens"),
        ({"mode": None}, 400, "missing_mode"),
        ({"mode": "r2d3"}, 400, "unknown_mode"),
        ({"mode": "reboot"}, 403, "mode_not_enabled"),
        ({"mode": "custom/no spaces"}, 400, "invalid_app_name"),
        ({"body": b'{"text":"\xff"}'}, 400, "invalid_encoding"),
        ({"body": b'{"text":"hi",}'}, 400, "invalid_json"),
        ({"body": b'{"n":NaN}'}, 400, "invalid_json"),
        ({"body": b'["hi"]'}, 400, "body_not_object"),
        ({"mode": "rtttl", "body": b"{}"}, 400, "body_not_string"),
        ({"body": b""}, 400, "body_required"),
        ({"body": b'{"text":"' + b"x" * 9000 + b'"}'}, 413, "body_too_large"),
        ({"content_type": "application/x-www-form-urlencoded"}, 415, "unsupported_media_type"),
        ({"content_type": None}, 415, "unsupported_media_type"),
    ],
)
def test_webhook_is_refused_before_publishing(refusing_gateway: Gateway, request_parts: dict, status: int, code: str) -> None:
    response = refusing_gateway.webhook(**{"token": TOKEN, **request_parts})
    assert_error(response, status, code)


def test_webhook_packet_over_8192_bytes_is_refused_even_under_the_body_limit(make_gateway: object) -> None:
    from tests.gateway.conftest import UnusedPublisher

    gateway = make_gateway(UnusedPublisher(), max_body_bytes=20000)  # type: ignore[operator]
    response = gateway.webhook(TOKEN, body=b'{"text":"' + b"x" * 8200 + b'"}')
    assert_error(response, 413, "body_too_large")
    assert "8192" in response.get_json()["error"]["message"]


def test_webhook_error_answers_never_contain_the_token(refusing_gateway: Gateway) -> None:
    answers = [
        refusing_gateway.webhook(TOKEN, mode="r2d3"),
        refusing_gateway.webhook(TOKEN, body=b"{"),
        refusing_gateway.webhook(TOKEN + "!"),
        refusing_gateway.webhook(TOKEN, headers={"Authorization": f"Bearer {OTHER}"}),
    ]
    assert all(answer.status_code == 400 for answer in answers)
    assert not any(TOKEN in answer.get_data(as_text=True) or OTHER in answer.get_data(as_text=True) for answer in answers)


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_cloud_with_other_method_returns_405_in_the_envelope(refusing_gateway: Gateway, method: str) -> None:
    response = refusing_gateway.http.open(f"/cloud?mode=notify&token={TOKEN}", method=method)
    assert_error(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == "POST"


@pytest.mark.parametrize(
    ("path", "allow"), [("/healthz", {"GET", "HEAD"}), ("/openapi.json", {"GET", "HEAD"}), ("/cloud", {"POST"})]
)
def test_options_on_any_route_returns_405_with_allow_in_the_envelope(refusing_gateway: Gateway, path: str, allow: set) -> None:
    response = refusing_gateway.http.options(path)
    assert_error(response, 405, "method_not_allowed")
    assert set(response.headers["Allow"].split(", ")) == allow


def test_options_on_an_unknown_path_returns_404_in_the_envelope(refusing_gateway: Gateway) -> None:
    assert_error(refusing_gateway.http.options("/nowhere"), 404, "not_found")


def test_unknown_path_returns_404_in_the_envelope(refusing_gateway: Gateway) -> None:
    assert_error(refusing_gateway.http.post(f"/cloud/{TOKEN}"), 404, "not_found")


def test_declared_body_over_the_limit_returns_413_without_reading_it(refusing_gateway: Gateway) -> None:
    response = refusing_gateway.http.post(
        f"/cloud?mode=notify&token={TOKEN}",
        data=b"{}",
        content_type="application/json",
        environ_overrides={"CONTENT_LENGTH": "100000"},
    )
    assert_error(response, 413, "body_too_large")


class ExplodingPublisher:
    """A publisher whose failure message quotes what must never reach a client or a log."""

    connected = True

    def publish(self, topic: str, payload: bytes) -> bool | None:
        """Fail the way an unexpected bug would."""
        raise RuntimeError(f"bug while publishing {payload!r} to {topic}")


def test_unexpected_exception_returns_generic_500_and_logs_no_detail(
    make_gateway: object, caplog: pytest.LogCaptureFixture
) -> None:
    gateway = make_gateway(ExplodingPublisher())  # type: ignore[operator]
    with caplog.at_level(logging.INFO):
        response = gateway.webhook(TOKEN, body=b'{"text":"private words"}')
    assert_error(response, 500, "internal_error")
    assert "bug" not in response.get_data(as_text=True)
    assert [record.levelname for record in caplog.records] == ["ERROR"]
    assert "RuntimeError" in caplog.text
    assert TOKEN not in caplog.text
    assert "private words" not in caplog.text


def test_webhook_validation_logs_nothing(refusing_gateway: Gateway, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        refusing_gateway.webhook(TOKEN, body=b'{"text":"private words",}')
    assert caplog.records == []


class DisconnectedPublisher:
    """A publisher that is not connected."""

    connected = False

    def publish(self, topic: str, payload: bytes) -> bool | None:
        """Never reached by /healthz."""
        raise AssertionError("healthz must not publish")


def test_healthz_returns_503_broker_unavailable_when_disconnected(make_gateway: object) -> None:
    gateway = make_gateway(DisconnectedPublisher())  # type: ignore[operator]
    response = gateway.http.get("/healthz")
    assert_error(response, 503, "broker_unavailable")
    assert response.headers["Retry-After"] == "1"
