"""AWTRIX NG's refusals, as its firmware words them (fw-facts §B4, §B5, §B7, §B8)."""

import pytest

from common.firmware.ng_rules import Refusal, is_color, keys_refusal, values_refusal

SEED = {"force": True, "icon": 36, "text": "New mail", "color": [255, 255, 255]}
V = "validationFailed"
ONE = "send one notification per request; an array of more than one is not accepted"
SOURCES = '"sound", "mp3", "melody", "track", "rtttl", "station", "index" or "url"'


@pytest.mark.parametrize(
    ("mode", "body", "refusal"),
    [
        ("cmd/notify", SEED, Refusal(V, 'unknown key "force"', "force")),
        ("cmd/notify", {"text": "x", "color": [1, 2, 3]}, Refusal(V, 'unknown key "color"', "color")),
        ("cmd/notify", {"text": "x", "textColor": "#FF0000", "durationMs": 5000}, None),
        ("cmd/notify", [{"text": "a"}, {"text": "b"}], Refusal(V, ONE)),
        ("cmd/apps/pushed/solar", {"text": "x", "hold": True}, Refusal(V, 'unknown key "hold"', "hold")),
        ("cmd/apps/pushed/s", [{"text": "x"}, {"pushIcon": 1}], Refusal(V, 'unknown key "pushIcon"', "pushIcon")),
        ("cmd/settings", {"brightness": 9, "BRI": 9}, Refusal(V, "unknown field", "BRI")),
        ("cmd/settings", {"brightness": 9, "scroll": {}}, None),
        ("cmd/apps/order", {"order": ["Time"]}, Refusal("invalidJson", "payload is not valid JSON")),
        ("cmd/apps/order", {"disabled": []}, None),
        ("cmd/audio/play", {}, Refusal(V, f"exactly one of {SOURCES} is required")),
        ("cmd/audio/play", {"rtttl": "x", "sound": "y"}, Refusal(V, f"exactly one of {SOURCES} is allowed", "sound")),
        ("cmd/audio/play", {"track": 3000}, Refusal(V, "must be a number between 1 and 2999", "track")),
        ("cmd/device/sleep", {}, Refusal(V, "must be a positive integer (milliseconds)", "durationMs")),
        ("cmd/device/sleep", {"durationMs": 1000}, None),
        ("cmd/display", {"power": True, "anything": 1}, None),  # display ignores other keys
    ],
)  # fmt: skip
def test_keys_refusal_is_the_clocks(mode: str, body: object, refusal: Refusal | None) -> None:
    assert keys_refusal(mode, body) == refusal


def test_refusal_is_written_without_an_empty_field() -> None:
    written = {"code": "invalidJson", "message": "payload is not valid JSON"}
    assert Refusal("invalidJson", "payload is not valid JSON").as_dict() == written


@pytest.mark.parametrize(
    ("color", "valid"),
    [("#FF0000", True), ("f00", True), ("#f00", True), ([255, 0, 0], True), ([300, 0, 0, 9], True), (["HSV", 0, 100, 50], True),
     (16711680, True), ("red", False), ("#FF00", False), ([1.5, 0, 0], False), ([1, 2], False), (True, False), (None, False)],
)  # fmt: skip
def test_colors_are_the_forms_ng_reads(color: object, valid: bool) -> None:
    assert is_color(color) is valid


def test_values_refusal_names_the_colour_key() -> None:
    assert values_refusal("cmd/notify", {"text": "x", "textColor": "red"}) == Refusal(
        "validationFailed", '"textColor" is not a valid color', "textColor"
    )
    assert values_refusal("cmd/notify", {"textColor": "palette"}) is None
