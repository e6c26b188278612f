"""Per-firmware limits: AWTRIX 3's documents and nesting, NG's nesting, packet sizes, r2d2's length."""

import json

import pytest

from common.firmware import awtrix3, awtrix_ng, limits
from common.firmware.arduinojson import deserialize

A3, NG = awtrix3.FIRMWARE, awtrix_ng.FIRMWARE
TOPIC = "awtrix/abcdefghijkl/notify"


def compact(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


@pytest.mark.parametrize(("length", "fits"), [(6122, True), (6123, False)])
def test_notify_document_is_6144_bytes(length: int, fits: bool) -> None:
    assert (limits.document_problem(A3, "notify", compact({"text": "x" * length})) is None) is fits


def test_custom_apps_have_an_8192_byte_document() -> None:
    assert limits.document_problem(A3, "custom/solar", compact({"text": "x" * 7000})) is None
    assert "8192" in (limits.document_problem(A3, "custom/solar", compact({"text": "x" * 8171})) or "")


def test_notify_of_77_pixels_fits_the_packet_but_not_the_document() -> None:
    payload = compact({"draw": [{"dp": [n % 32, n // 32, "#FF0000"]} for n in range(77)]})
    assert limits.packet_problem(A3, TOPIC, payload) is None
    assert limits.document_problem(A3, "notify", payload) is not None


@pytest.mark.parametrize(("depth", "fits"), [(10, True), (11, False)])
def test_awtrix3_reads_at_most_10_nested_containers(depth: int, fits: bool) -> None:
    payload = b'{"draw":' + b"[" * (depth - 1) + b"1" + b"]" * (depth - 1) + b"}"
    assert (limits.document_problem(A3, "notify", payload) is None) is fits


@pytest.mark.parametrize(
    ("payload", "fits"),
    [
        (b"[" * 15 + b"1" + b"]" * 15, True),
        (b"[" * 16 + b"1" + b"]" * 16, False),
        (b"[" * 16 + b"]" * 16, True),  # an empty array is itself the 16th container, holding no value
        (b"[" * 17 + b"]" * 17, False),
    ],
)
def test_ng_allows_15_containers_around_a_value(payload: bytes, fits: bool) -> None:
    assert (limits.depth_problem(NG, payload) is None) is fits


def test_modes_without_a_document_are_not_checked() -> None:
    assert limits.document_problem(A3, "rtttl", b"x" * 9000) is None
    assert limits.document_problem(NG, "cmd/notify", compact({"text": "x" * 8000})) is None


@pytest.mark.parametrize(("length", "fits"), [(awtrix3.MAX_R2D2_BYTES, True), (awtrix3.MAX_R2D2_BYTES + 1, False)])
def test_r2d2_is_bounded_so_the_clock_keeps_its_connection(length: int, fits: bool) -> None:
    assert (limits.text_problem(A3, "r2d2", b"A" * length) is None) is fits


def test_the_shortcut_never_accepts_what_the_model_refuses() -> None:
    # Bodies just under the shortcut's bound: the model itself must agree they fit.
    for count in range(1, 120):
        payload = compact({"bar": [0] * count, "line": [""] * count})
        if len(payload) * 9 + 16 <= 6144:
            assert deserialize(payload, 6144)[0] == "Ok"
