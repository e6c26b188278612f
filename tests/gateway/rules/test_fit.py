"""A webhook is refused when the firmware whose topic it names cannot take it: limits, and NG's published rules."""

import json

import pytest

from common.firmware import awtrix3
from gateway.errors import ApiError, DeviceRejected
from gateway.rules.webhook import RawWebhook, parse_webhook
from gateway.settings import GatewaySettings

TOKEN = "abcdefghijklmnop"
SETTINGS = GatewaySettings(max_body_bytes=9000)


def nested(depth: int) -> object:
    value: object = 1
    for _ in range(depth):
        value = [value]
    return value


def unknown(key: str) -> dict[str, str]:
    return {"code": "validationFailed", "message": f'unknown key "{key}"', "field": key}


def webhook(mode: str, body: object) -> RawWebhook:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return RawWebhook(query_tokens=[TOKEN], authorization=None, mode=mode, content_type="application/json", body=raw)


def refusal(mode: str, body: object) -> ApiError:
    with pytest.raises(ApiError) as caught:
        parse_webhook(webhook(mode, body), SETTINGS)
    return caught.value


@pytest.mark.parametrize(
    ("mode", "body"),
    [
        ("notify", {"text": "x" * 6123}),  # fits the packet, not AWTRIX 3's 6144-byte notify document
        ("notify", {"draw": [{"dp": [n % 32, n // 32, "#FF0000"]} for n in range(77)]}),
        ("power", {"power": True, "padding": "x" * 100}),  # a 128-byte StaticJsonDocument
        ("notify", {"draw": nested(10)}),  # 11 nested containers
        ("cmd/notify", {"draw": nested(15)}),  # 16 containers around a value
        ("r2d2", "A" * (awtrix3.MAX_R2D2_BYTES + 1)),
    ],
)
def test_body_beyond_the_firmwares_limit_is_refused_with_413(mode: str, body: object) -> None:
    error = refusal(mode, body)
    assert (error.status, error.code) == (413, "exceeds_firmware_limit")


@pytest.mark.parametrize(
    ("mode", "body"),
    [
        ("notify", {"text": "x" * 6122}),
        ("custom/solar", {"text": "x" * 7000}),
        ("notify", {"draw": [{"dp": [n % 32, n // 32, "#FF0000"]} for n in range(76)]}),
        ("cmd/notify", {"text": "x" * 7000, "textColor": "#FF0000"}),
        ("r2d2", "A" * awtrix3.MAX_R2D2_BYTES),
    ],
)
def test_body_within_the_firmwares_limits_passes(mode: str, body: object) -> None:
    assert parse_webhook(webhook(mode, body), SETTINGS).mode == mode


@pytest.mark.parametrize(
    ("mode", "body", "device"),
    [
        ("cmd/notify", {"force": True, "text": "x"}, unknown("force")),
        ("cmd/apps/pushed/solar", {"text": "x", "stack": False}, unknown("stack")),
        ("cmd/settings", {"BRI": 5}, {"code": "validationFailed", "message": "unknown field", "field": "BRI"}),
        ("cmd/apps/order", {"order": []}, {"code": "invalidJson", "message": "payload is not valid JSON"}),
    ],
)  # fmt: skip
def test_ng_body_its_rules_refuse_is_refused_before_publishing_with_the_clocks_error(
    mode: str, body: object, device: dict[str, str]
) -> None:
    error = refusal(mode, body)
    assert isinstance(error, DeviceRejected)
    assert (error.status, error.code, error.device) == (422, "device_rejected", device)


def test_ng_values_are_left_to_the_clock() -> None:
    assert parse_webhook(webhook("cmd/notify", {"text": "x", "textColor": "red"}), SETTINGS).payload == (
        b'{"text":"x","textColor":"red"}'
    )
