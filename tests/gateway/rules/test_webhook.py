"""Pure webhook validation: token, content type, UTF-8, JSON, body rules, re-serialisation and size limits."""

import json

import pytest

from common.firmware.awtrix3 import MAX_PACKET_BYTES
from common.mqtt_codec import publish_packet_bytes
from common.topics import topic_for
from gateway.errors import ApiError
from gateway.rules.body import parse_body, parse_json
from gateway.rules.modes import BodyRule
from gateway.rules.tokens import parse_token
from gateway.rules.webhook import RawWebhook, Webhook, parse_webhook
from gateway.settings import GatewaySettings

TOKEN = "Tok3n_for-tests-0123456"
OTHER = "another-token-0123456789"
JSON = "application/json"


def code_of(call: object, *args: object) -> str:
    with pytest.raises(ApiError) as caught:
        call(*args)  # type: ignore[operator]
    return caught.value.code


def body(raw: bytes, rule: BodyRule = BodyRule.OBJECT, content_type: str | None = JSON, limit: int = 8192) -> bytes:
    return parse_body(raw, content_type, rule, limit)


@pytest.mark.parametrize(
    ("query", "authorization"),
    [
        ([TOKEN], None),
        ([], f"Bearer {TOKEN}"),
        ([], f"bearer   {TOKEN}  "),
        ([TOKEN], f"Bearer {TOKEN}"),
        ([TOKEN, TOKEN], None),
        ([TOKEN], "Basic dXNlcjpwYXNz"),
    ],
)
def test_token_is_read_from_query_or_bearer_header(query: list[str], authorization: str | None) -> None:
    assert parse_token(query, authorization) == TOKEN


@pytest.mark.parametrize(
    ("query", "authorization", "code"),
    [
        ([], None, "missing_token"),
        ([""], None, "missing_token"),
        ([], "Basic dXNlcjpwYXNz", "missing_token"),
        ([TOKEN], f"Bearer {OTHER}", "conflicting_tokens"),
        ([TOKEN, OTHER], None, "conflicting_tokens"),
        (["short"], None, "invalid_token"),
        (["has space in the token"], None, "invalid_token"),
        (["a" * 65], None, "invalid_token"),
        ([], "Bearer ", "invalid_token"),
        ([], "Bearer awtrix/#/notify", "invalid_token"),
    ],
)
def test_token_problem_is_refused_with_code(query: list[str], authorization: str | None, code: str) -> None:
    assert code_of(parse_token, query, authorization) == code


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        'Application/JSON;charset="UTF-8"',
        "application/vnd.awtrix+json",
        "text/plain",
        "text/plain; charset=us-ascii",
    ],
)
def test_body_content_type_is_accepted(content_type: str) -> None:
    assert body(b'{"text":"hi"}', content_type=content_type) == b'{"text":"hi"}'


@pytest.mark.parametrize(
    "content_type",
    [None, "", "application/x-www-form-urlencoded", "text/html", "+json", "application/json; charset=latin-1"],
)
def test_body_content_type_is_refused_with_415(content_type: str | None) -> None:
    with pytest.raises(ApiError) as caught:
        body(b'{"text":"hi"}', content_type=content_type)
    assert (caught.value.status, caught.value.code) == (415, "unsupported_media_type")


def test_body_is_reserialised_compactly_in_key_order_as_utf8() -> None:
    raw = '\ufeff{ "text" : "Grüße ☀" ,\n  "color": [255, 0,  0],\r\n "stack":false }\n'.encode()
    assert body(raw) == '{"text":"Grüße ☀","color":[255,0,0],"stack":false}'.encode()


def test_body_escapes_are_reserialised_as_the_characters_they_mean() -> None:
    assert body(b'{"text":"caf\\u00e9 \\"q\\" \\ud83d\\ude00"}') == '{"text":"café \\"q\\" 😀"}'.encode()


def test_body_that_is_not_utf8_is_refused_with_invalid_encoding() -> None:
    with pytest.raises(ApiError) as caught:
        body(b'{"text":"caf\xe9"}')
    assert (caught.value.status, caught.value.code) == (400, "invalid_encoding")
    assert "offset 12" in caught.value.message


def test_invalid_json_reports_line_and_column() -> None:
    with pytest.raises(ApiError) as caught:
        body(b'{\n  "text": "a",\n  "icon": }')
    assert (caught.value.status, caught.value.code) == (400, "invalid_json")
    assert "line 3 column 11" in caught.value.message


@pytest.mark.parametrize("text", ["\ufeff{}", '{"text":"a",}', "[1 2]", "", '{"text"}', '{"text":"a"} x', "{\n  \"a\": }"])
def test_invalid_json_message_is_json_loads_own(text: str) -> None:
    with pytest.raises(json.JSONDecodeError) as expected:
        json.loads(text)
    with pytest.raises(ApiError) as caught:
        parse_json(text)
    problem = expected.value
    assert caught.value.message == f"Invalid JSON at line {problem.lineno} column {problem.colno}: {problem.msg}."


def test_a_second_byte_order_mark_is_invalid_json() -> None:
    with pytest.raises(ApiError) as caught:
        body("\ufeff\ufeff{}".encode())
    assert caught.value.code == "invalid_json"
    assert "BOM" in caught.value.message


@pytest.mark.parametrize(
    "raw",
    [
        b'{"text":"a",}',
        b"{'text':'a'}",
        b'{"text":"a"} {"text":"b"}',
        b'{"n":NaN}',
        b'{"n":Infinity}',
        b'{"n":-Infinity}',
        b'{"n":1e999}',
        b'{"n":' + b"9" * 5000 + b"}",
        b'{"a":' + b"[" * 3000 + b"]" * 3000 + b"}",
        b'{"text":"\\ud800"}',
    ],
)
def test_body_json_that_cannot_be_forwarded_is_refused_with_invalid_json(raw: bytes) -> None:
    assert code_of(body, raw) == "invalid_json"


def test_text_plain_body_that_does_not_parse_is_invalid_json() -> None:
    assert code_of(body, b"New mail from Alice", BodyRule.OBJECT, "text/plain") == "invalid_json"


@pytest.mark.parametrize(
    ("rule", "raw", "payload"),
    [
        (BodyRule.OBJECT, b'{"power":true}', b'{"power":true}'),
        (BodyRule.OBJECT_OR_EMPTY, b"", b""),
        (BodyRule.OBJECT_OR_EMPTY, b" \r\n", b""),
        (BodyRule.OBJECT_OR_EMPTY, b"{ }", b"{}"),
        (BodyRule.OBJECTS, b'[{"name":"Time","show":false}]', b'[{"name":"Time","show":false}]'),
        (BodyRule.OBJECTS_OR_EMPTY, b"", b""),
        (BodyRule.OBJECTS_OR_EMPTY, b'{"text":"4 kW"}', b'{"text":"4 kW"}'),
        (BodyRule.OBJECTS_OR_EMPTY, b'[{"text":"a"}, {"text":"b"}]', b'[{"text":"a"},{"text":"b"}]'),
        (BodyRule.OBJECTS_OR_EMPTY, b"[]", b"[]"),
        (BodyRule.STRING, b'"Simpsons:d=4,o=5,b=160:c.6"', b"Simpsons:d=4,o=5,b=160:c.6"),
        (BodyRule.STRING, b'"caf\\u00e9"', "café".encode()),
        (BodyRule.IGNORED, b"", b""),
        (BodyRule.IGNORED, b'{"anything":1}', b""),
    ],
)
def test_body_rule_produces_payload(rule: BodyRule, raw: bytes, payload: bytes) -> None:
    assert body(raw, rule) == payload


def test_ignored_body_is_not_parsed_at_all() -> None:
    assert body(b"\xff not json", BodyRule.IGNORED, content_type="image/png") == b""


@pytest.mark.parametrize(
    ("rule", "raw", "code"),
    [
        (BodyRule.OBJECT, b"", "body_required"),
        (BodyRule.OBJECT, b"  \n", "body_required"),
        (BodyRule.STRING, b"", "body_required"),
        (BodyRule.OBJECT, b"[]", "body_not_object"),
        (BodyRule.OBJECT, b'[{"text":"a"}]', "body_not_object"),
        (BodyRule.OBJECT, b'"text"', "body_not_object"),
        (BodyRule.OBJECT, b"null", "body_not_object"),
        (BodyRule.OBJECT_OR_EMPTY, b"42", "body_not_object"),
        (BodyRule.OBJECTS, b"", "body_required"),
        (BodyRule.OBJECTS_OR_EMPTY, b'[{"text":"a"}, "b"]', "body_not_object"),
        (BodyRule.OBJECTS_OR_EMPTY, b"true", "body_not_object"),
        (BodyRule.STRING, b'{"sound":"x"}', "body_not_string"),
    ],
)
def test_body_that_breaks_the_mode_rule_is_refused_with_code(rule: BodyRule, raw: bytes, code: str) -> None:
    assert code_of(body, raw, rule) == code


def test_body_without_content_type_is_refused_but_empty_body_needs_none() -> None:
    assert code_of(body, b'{"color":"#FF0000"}', BodyRule.OBJECT_OR_EMPTY, None) == "unsupported_media_type"
    assert body(b"", BodyRule.OBJECT_OR_EMPTY, content_type=None) == b""


def test_body_over_the_limit_is_refused_with_413() -> None:
    raw = b'{"text":"' + b"x" * 90 + b'"}'
    assert len(body(raw, limit=len(raw))) == len(raw)
    with pytest.raises(ApiError) as caught:
        body(raw, limit=len(raw) - 1)
    assert (caught.value.status, caught.value.code) == (413, "body_too_large")


@pytest.mark.parametrize(
    ("topic", "payload_bytes", "expected"),
    [
        ("a", 0, 1 + 1 + 2 + 1 + 2),
        ("a", 122, 1 + 1 + 127),
        ("a", 123, 1 + 2 + 128),
        ("a", 16378, 1 + 2 + 16383),
        ("a", 16379, 1 + 3 + 16384),
        ("é", 0, 1 + 1 + 2 + 2 + 2),
    ],
)
def test_publish_packet_bytes_counts_header_topic_packet_id_and_payload(topic: str, payload_bytes: int, expected: int) -> None:
    assert publish_packet_bytes(topic, b"x" * payload_bytes) == expected


# A custom app's document (8192 bytes) holds any text that fits the packet; a notify's (6144) does not.
APP = "custom/solar"


def app_with_packet_of(size: int) -> bytes:
    """Return a compact custom app body whose QoS 1 PUBLISH to TOKEN's custom/solar topic is exactly size bytes."""
    overhead = publish_packet_bytes(topic_for(TOKEN, APP), b'{"text":""}')
    text_length = size - overhead - 1  # the remaining length needs one more byte beyond 127
    raw = b'{"text":"' + b"x" * text_length + b'"}'
    assert publish_packet_bytes(topic_for(TOKEN, APP), raw) == size
    return raw


def raw_webhook(raw_body: bytes, mode: str = "notify", content_type: str | None = JSON) -> RawWebhook:
    return RawWebhook(query_tokens=[TOKEN], authorization=None, mode=mode, content_type=content_type, body=raw_body)


def test_packet_of_exactly_8192_bytes_is_accepted() -> None:
    webhook = parse_webhook(raw_webhook(app_with_packet_of(MAX_PACKET_BYTES), APP), GatewaySettings())
    assert publish_packet_bytes(webhook.topic, webhook.payload) == 8192


def test_packet_of_8193_bytes_is_refused_with_413() -> None:
    with pytest.raises(ApiError) as caught:
        parse_webhook(raw_webhook(app_with_packet_of(MAX_PACKET_BYTES + 1), APP), GatewaySettings(max_body_bytes=9000))
    assert (caught.value.status, caught.value.code) == (413, "body_too_large")
    assert "8193" in caught.value.message


def test_packet_limit_applies_to_the_compact_payload_not_the_raw_body() -> None:
    compact = app_with_packet_of(MAX_PACKET_BYTES)
    padded = compact.replace(b'{"text":', b'{ "text" :  ')
    webhook = parse_webhook(raw_webhook(padded, APP), GatewaySettings(max_body_bytes=9000))
    assert webhook.payload == compact


def test_parse_webhook_returns_topic_and_payload_for_the_mode() -> None:
    webhook = parse_webhook(raw_webhook(b'{"text": "4 kW"}', mode="custom/solar"), GatewaySettings())
    assert webhook == Webhook(token=TOKEN, mode="custom/solar", topic=f"awtrix/{TOKEN}/custom/solar", payload=b'{"text":"4 kW"}')


def test_parse_webhook_checks_token_before_mode_before_body() -> None:
    nothing_right = RawWebhook(query_tokens=[], authorization=None, mode="r2d3", content_type=None, body=b"\xff")
    assert code_of(parse_webhook, nothing_right, GatewaySettings()) == "missing_token"
    assert code_of(parse_webhook, raw_webhook(b"\xff", mode="r2d3"), GatewaySettings()) == "unknown_mode"


def test_parse_webhook_honours_extra_modes() -> None:
    assert code_of(parse_webhook, raw_webhook(b"", mode="reboot"), GatewaySettings()) == "mode_not_enabled"
    webhook = parse_webhook(raw_webhook(b"", mode="reboot"), GatewaySettings(extra_modes=frozenset({"reboot"})))
    assert (webhook.topic, webhook.payload) == (f"awtrix/{TOKEN}/reboot", b"")


def test_webhook_and_raw_webhook_reprs_never_show_the_token_or_body() -> None:
    raw = raw_webhook(b'{"text":"private"}')
    shown = repr(raw) + repr(parse_webhook(raw, GatewaySettings()))
    assert TOKEN not in shown
    assert "private" not in shown
