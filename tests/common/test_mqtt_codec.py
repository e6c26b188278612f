"""The MQTT 3.1.1 codec: frames, CONNECT, PUBLISH, SUBSCRIBE, and everything malformed."""

import pytest

from common.mqtt_codec import (
    CONNACK_BAD_PROTOCOL,
    MalformedPacket,
    UnsupportedProtocol,
    check_flags,
    encode_connack,
    encode_connect,
    encode_publish,
    encode_suback,
    next_frame,
    parse_connect,
    parse_publish,
    parse_subscribe,
    parse_unsubscribe,
)
from common.topics import is_valid_filter
from tests.support import raw


def _body(packet: bytes) -> bytes:
    frame = next_frame(bytearray(packet), 0, 1 << 20)
    assert frame is not None
    return frame[1]


def test_connect_fields_are_decoded() -> None:
    connect = parse_connect(_body(raw.connect(b"abcdefghijkl", keepalive=15, client_id=b"awtrix_7ac880", password=b"pw")))
    assert (connect.username, connect.password, connect.keepalive_s, connect.client_id) == (
        "abcdefghijkl",
        b"pw",
        15,
        "awtrix_7ac880",
    )
    assert connect.clean_session and connect.will_topic is None


@pytest.mark.parametrize("protocol", [(b"MQTT", 5), (b"MQIsdp", 3), (b"MQTT", 3)])
def test_other_versions_are_answered_with_unacceptable_protocol(protocol: tuple[bytes, int]) -> None:
    with pytest.raises(UnsupportedProtocol) as caught:
        parse_connect(_body(raw.connect(b"abcdefghijkl", protocol=protocol)))
    assert caught.value.reply == encode_connack(CONNACK_BAD_PROTOCOL)


@pytest.mark.parametrize("body", [b"", b"\x00", b"\x00\x04MQ", b"\x00\x04HTTP\x04"])
def test_not_mqtt_is_refused_without_answer(body: bytes) -> None:
    with pytest.raises(UnsupportedProtocol) as caught:
        parse_connect(body)
    assert caught.value.reply == b""


@pytest.mark.parametrize(
    "body",
    [
        b"\x00\x04MQTT\x04\x03\x00\x3c\x00\x00",  # reserved flag set
        b"\x00\x04MQTT\x04\x42\x00\x3c\x00\x00",  # password without user name
        b"\x00\x04MQTT\x04\x02\x00\x3c\x00\x05ab",  # client id runs past the end
        b"\x00\x04MQTT\x04\x02\x00\x3c\x00\x00junk",  # bytes after the payload
        b"\x00\x04MQTT\x04\x02\x00\x3c\x00\x02\xff\xfe",  # client id not UTF-8
    ],
)
def test_malformed_connect_is_refused(body: bytes) -> None:
    with pytest.raises(MalformedPacket):
        parse_connect(body)


def test_next_frame_waits_for_a_whole_packet_and_walks_several() -> None:
    packets = raw.publish(b"a/b", b"x" * 200) + raw.publish(b"c", b"y")
    assert next_frame(bytearray(packets[:100]), 0, 8192) is None
    first = next_frame(bytearray(packets), 0, 8192)
    assert first is not None and first[0] == 0x30
    second = next_frame(bytearray(packets), first[2], 8192)
    assert second is not None and second[2] == len(packets)


@pytest.mark.parametrize("data", [b"\x30\xff\xff\xff\xff\x01", b"\x30\x80\x80\x01"], ids=["5-byte-length", "oversized"])
def test_bad_or_oversized_lengths_are_malformed(data: bytes) -> None:
    with pytest.raises(MalformedPacket):
        next_frame(bytearray(data), 0, 8192)


@pytest.mark.parametrize("first_byte", [0x00, 0xF0, 0x20, 0x90, 0xB0, 0xD0, 0x80, 0xA0, 0x60, 0x36])
def test_packets_a_client_may_not_send_are_malformed(first_byte: int) -> None:
    with pytest.raises(MalformedPacket):
        check_flags(first_byte)


@pytest.mark.parametrize("topic", [b"a/#", b"a/+/b", b"", b"a\x00b", b"\xff"])
def test_publish_with_bad_topic_is_malformed(topic: bytes) -> None:
    with pytest.raises(MalformedPacket):
        parse_publish(0, _body(raw.publish(topic, b"x")))


def test_publish_round_trip() -> None:
    packet = encode_publish(b"awtrix/t/notify", b"{}", qos=1, packet_id=7)
    assert parse_publish(packet[0] & 0x0F, _body(packet)) == ("awtrix/t/notify", 7, b"{}", 1)


def test_subscribe_and_unsubscribe_are_decoded() -> None:
    assert parse_subscribe(_body(raw.subscribe(9, b"a/#", b"b"))) == (9, [("a/#", 0), ("b", 0)])
    assert parse_unsubscribe(b"\x00\x05\x00\x03a/b") == (5, ["a/b"])


@pytest.mark.parametrize("body", [b"\x00\x01", b"\x00\x01\x00\x03a/b\x03", b"\x00\x01\x00\x10awtri"])
def test_malformed_subscribe_is_refused(body: bytes) -> None:
    with pytest.raises(MalformedPacket):
        parse_subscribe(body)


@pytest.mark.parametrize(
    ("topic_filter", "valid"),
    [("a/#", True), ("a/+/b", True), ("#", True), ("a/#/b", False), ("a#", False), ("a/b+", False), ("", False)],
)
def test_filter_syntax(topic_filter: str, valid: bool) -> None:
    assert is_valid_filter(topic_filter) is valid


def test_suback_encoding() -> None:
    assert encode_suback(7, [0x80, 0]) == bytes((0x90, 0x04, 0x00, 0x07, 0x80, 0x00))


@pytest.mark.parametrize(("username", "password"), [("gateway", "secret"), ("gateway", None), (None, None)])
def test_gateway_connect_decodes_as_sent(username: str | None, password: str | None) -> None:
    connect = parse_connect(_body(encode_connect("gateway-1-0a0b0c0d", username, password, keepalive_s=0)))
    assert (connect.client_id, connect.clean_session, connect.keepalive_s) == ("gateway-1-0a0b0c0d", True, 0)
    assert (connect.username, connect.password) == (username, None if password is None else password.encode())
    assert connect.will_topic is None
