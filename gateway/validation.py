"""Turn the parts of a webhook request into a Webhook, or raise the ApiError that says why not."""

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from common.tokens import is_valid_token
from common.topics import topic_for
from gateway.errors import (
    BodyNotObject,
    BodyNotString,
    BodyRequired,
    BodyTooLarge,
    ConflictingTokens,
    InvalidEncoding,
    InvalidJson,
    InvalidToken,
    MissingToken,
    UnsupportedMediaType,
)
from gateway.modes import BodyRule, resolve_mode
from gateway.settings import GatewaySettings

# AWTRIX 3 (PubSubClient built with MQTT_MAX_PACKET_SIZE=8192) silently drops bigger packets.
MAX_PACKET_BYTES = 8192
_UTF8_CHARSETS = frozenset({"utf-8", "utf8", "us-ascii"})
_WHITESPACE = b" \t\r\n"
# AWTRIX 3 drops notify payloads that do not start with '{' and end with '}': no padding.
_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)  # json.dumps' encoder, built once


@dataclass(frozen=True)
class RawWebhook:
    """The parts of an HTTP request a webhook is made from, as received."""

    query_tokens: Sequence[str] = field(repr=False)
    authorization: str | None = field(repr=False)
    mode: str | None
    content_type: str | None
    body: bytes = field(repr=False)


@dataclass(frozen=True)
class Webhook:
    """A validated webhook: the exact MQTT topic and payload to publish."""

    token: str = field(repr=False)
    mode: str
    topic: str = field(repr=False)
    payload: bytes = field(repr=False)


def parse_webhook(raw: RawWebhook, settings: GatewaySettings) -> Webhook:
    """Validate a raw webhook and return what to publish; raise an ApiError naming the first problem."""
    token = parse_token(raw.query_tokens, raw.authorization)
    mode = resolve_mode(raw.mode, settings.extra_modes)
    payload = parse_body(raw.body, raw.content_type, mode.body, settings.max_body_bytes)
    topic = topic_for(token, mode.name)
    size = publish_packet_bytes(topic, payload)
    if size > MAX_PACKET_BYTES:
        raise BodyTooLarge(
            f"The MQTT message would be {size} bytes; AWTRIX devices drop messages over {MAX_PACKET_BYTES} bytes."
        )
    return Webhook(token=token, mode=mode.name, topic=topic, payload=payload)


def parse_token(query_tokens: Sequence[str], authorization: str | None) -> str:
    """Return the one token named by the query string and/or an 'Authorization: Bearer' header."""
    candidates = token_candidates(query_tokens, authorization)
    if not candidates:
        raise MissingToken()
    if len(candidates) > 1:
        raise ConflictingTokens()
    token = candidates.pop()
    if not is_valid_token(token):
        raise InvalidToken()
    return token


def token_candidates(query_tokens: Sequence[str], authorization: str | None) -> set[str]:
    """Return every distinct token a request names, well-formed or not, in the query or a Bearer header."""
    candidates = {token for token in query_tokens if token}
    scheme, _, credentials = (authorization or "").strip().partition(" ")
    if scheme.lower() == "bearer":
        candidates.add(credentials.strip())
    return candidates


def parse_body(body: bytes, content_type: str | None, rule: BodyRule, max_body_bytes: int) -> bytes:
    """Return the MQTT payload for a request body under a mode's body rule."""
    if len(body) > max_body_bytes:
        raise BodyTooLarge(f"The body is larger than this gateway's limit of {max_body_bytes} bytes.")
    if rule is BodyRule.IGNORED:
        return b""
    if not body.strip(_WHITESPACE):
        if rule in (BodyRule.OBJECT_OR_EMPTY, BodyRule.OBJECTS_OR_EMPTY):
            return b""
        raise BodyRequired(f"This mode needs {rule.value}.")
    check_content_type(content_type)
    value = parse_json(decode_utf8(body))
    check_shape(value, rule)
    if isinstance(value, str):
        text = value  # rtttl: the device wants the melody itself, not a quoted JSON string
    else:
        text = _COMPACT.encode(value)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as err:
        raise InvalidJson("A string contains an unpaired surrogate escape such as \\ud800.") from err


def check_content_type(content_type: str | None) -> None:
    """Accept JSON media types and text/plain (IFTTT's default) in UTF-8; raise UnsupportedMediaType otherwise."""
    media_type, *params = (content_type or "").split(";")
    media_type = media_type.strip().lower()
    is_json = media_type == "application/json" or ("/" in media_type and media_type.endswith("+json"))
    if not (is_json or media_type == "text/plain"):
        raise UnsupportedMediaType()
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in _UTF8_CHARSETS:
            raise UnsupportedMediaType("The body must be UTF-8; declare charset=utf-8 or no charset.")


def decode_utf8(body: bytes) -> str:
    """Return the body as text, without a leading byte order mark; raise InvalidEncoding if not UTF-8."""
    try:
        return body.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as err:
        raise InvalidEncoding(f"The body is not UTF-8 (first bad byte at offset {err.start}).") from err


def parse_json(text: str) -> object:
    """Return the JSON value in text; raise InvalidJson with the parser's line and column."""
    try:
        if text.startswith("\ufeff"):  # json.loads' own check and message, which its decoder leaves to it
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        return _DECODER.decode(text)
    except json.JSONDecodeError as err:
        raise InvalidJson(f"Invalid JSON at line {err.lineno} column {err.colno}: {err.msg}.") from err
    except ValueError as err:
        # Raised by int() for numbers with more digits than Python converts (4300).
        raise InvalidJson("A number in the JSON has too many digits.") from err
    except RecursionError as err:
        raise InvalidJson("The JSON is nested too deeply.") from err


def check_shape(value: object, rule: BodyRule) -> None:
    """Raise BodyNotObject or BodyNotString when a parsed value does not fit the mode's body rule."""
    if rule is BodyRule.STRING:
        if not isinstance(value, str):
            raise BodyNotString()
        return
    if isinstance(value, dict):
        return
    arrays_allowed = rule in (BodyRule.OBJECTS, BodyRule.OBJECTS_OR_EMPTY)
    if not (arrays_allowed and isinstance(value, list) and all(isinstance(item, dict) for item in value)):
        raise BodyNotObject(f"This mode needs {rule.value}.")


def publish_packet_bytes(topic: str, payload: bytes) -> int:
    """Return the size of the QoS 1 MQTT 3.1.1 PUBLISH packet carrying payload to topic."""
    remaining = 2 + len(topic.encode("utf-8")) + 2 + len(payload)
    return 1 + _remaining_length_bytes(remaining) + remaining


def _remaining_length_bytes(remaining: int) -> int:
    count = 1
    while remaining >= 128:
        remaining //= 128
        count += 1
    return count


def _reject_constant(name: str) -> object:
    raise InvalidJson(f"{name} is not valid JSON; send a number or null.")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise InvalidJson("A number in the JSON is too large to represent.")
    return value


# What json.loads(text, parse_constant=..., parse_float=...) builds on every call, built once.
_DECODER = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite_float)
