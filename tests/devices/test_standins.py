"""The clock stand-ins put on the wire exactly what the firmware's source does (fw-facts §A2, §B1, §B5)."""

import pytest

from common.firmware.ng_rules import Refusal
from tests.support.devices.awtrix_ng import result_bytes
from tests.support.devices.wire import connect_packet, publish_packet, subscribe_packet

# fw-facts §A2: prefix awtrix/tok123, id awtrix_7ac880, user u, pass p, HA discovery off.
A3_CONNECT = bytes.fromhex(
    "10 44 00 04 4d 51 54 54 04 c6 00 0f 00 0d 61 77 74 72 69 78 5f 37 61 63 38 38 30 00 1a 61 77 74 72 69 78 2f 74 6f"
    " 6b 31 32 33 2f 73 74 61 74 73 2f 64 65 76 69 63 65 00 07 6f 66 66 6c 69 6e 65 00 01 75 00 01 70"
)
# fw-facts §B1: anonymous, uid a4cf12ab34cd, prefix awtrixNG.
NG_CONNECT = bytes.fromhex(
    "10 38 00 04 4d 51 54 54 04 26 00 0f 00 0c 61 34 63 66 31 32 61 62 33 34 63 64 00 15 61 77 74 72 69 78 4e 47 2f 61"
    " 76 61 69 6c 61 62 69 6c 69 74 79 00 07 6f 66 66 6c 69 6e 65"
)


def test_awtrix3_connect_is_pubsubclients() -> None:
    will = (b"awtrix/tok123/stats/device", b"offline", False)
    assert connect_packet(b"awtrix_7ac880", will, (b"u", b"p")) == A3_CONNECT


def test_ng_connect_is_pubsubclients_with_a_retained_will() -> None:
    assert connect_packet(b"a4cf12ab34cd", (b"awtrixNG/availability", b"offline", True), None) == NG_CONNECT


def test_subscribe_and_publish_are_qos_0() -> None:
    assert subscribe_packet(2, b"p/notify") == b"\x82\x0d\x00\x02\x00\x08p/notify\x00"
    assert publish_packet(b"p/availability", b"online", retain=True) == b"\x31\x16\x00\x0ep/availabilityonline"


@pytest.mark.parametrize(
    ("refusal", "payload"),
    [
        (None, b'{"ok":true}'),
        (
            Refusal("validationFailed", 'unknown key "color"', "color"),
            b'{"ok":false,"error":{"code":"validationFailed","message":"unknown key \\"color\\"","field":"color"}}',
        ),
        (
            Refusal("invalidJson", "payload is not valid JSON"),
            b'{"ok":false,"error":{"code":"invalidJson","message":"payload is not valid JSON"}}',
        ),
    ],
)
def test_ng_results_are_written_as_the_firmware_writes_them(refusal: Refusal | None, payload: bytes) -> None:
    assert result_bytes(refusal) == payload
