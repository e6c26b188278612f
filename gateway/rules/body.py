"""Check a webhook's body against its mode's rule and turn it into the MQTT payload: compact JSON, or a string's text."""

import json

from common.firmware import BodyRule
from gateway.errors import (
    BodyNotObject,
    BodyNotString,
    BodyRequired,
    BodyTooLarge,
    InvalidEncoding,
    InvalidJson,
    UnsupportedMediaType,
)
from gateway.senders.quotes import straighten

_UTF8_CHARSETS = frozenset({"utf-8", "utf8", "us-ascii"})
_WHITESPACE = b" \t\r\n"
_UNREPAIRED = object()
# AWTRIX 3 drops notify payloads that do not start with '{' and end with '}': no padding.
_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)  # json.dumps' encoder, built once


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
    if content_type == "application/json":  # speed: what nearly every webhook declares
        return
    media_type, *params = (content_type or "").split(";")
    media_type = media_type.strip().lower()
    is_json = media_type == "application/json" or ("/" in media_type and media_type.endswith("+json"))
    if not (is_json or media_type == "text/plain"):
        raise UnsupportedMediaType()
    if params:
        check_charset(params)


def check_charset(params: list[str]) -> None:
    """Raise UnsupportedMediaType when a media type's parameters declare a charset other than UTF-8."""
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
    """Return the JSON value in text; raise InvalidJson with the parser's line and column.

    A text that fails only because curly quotes delimit its strings (phones type them) is read with straight ones.
    """
    try:
        if text.startswith("\ufeff"):  # json.loads' own check and message, which its decoder leaves to it
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        return _DECODER.decode(text)
    except json.JSONDecodeError as err:
        value = _with_straight_quotes(text)
        if value is not _UNREPAIRED:
            return value
        raise InvalidJson(f"Invalid JSON at line {err.lineno} column {err.colno}: {err.msg}.") from err
    except ValueError as err:
        # Raised by int() for numbers with more digits than Python converts (4300).
        raise InvalidJson("A number in the JSON has too many digits.") from err
    except RecursionError as err:
        raise InvalidJson("The JSON is nested too deeply.") from err


def _with_straight_quotes(text: str) -> object:
    # The value of text read with its curly string delimiters made straight, or _UNREPAIRED: then the original error stands.
    repaired = straighten(text)
    if repaired is None:
        return _UNREPAIRED
    try:
        return _DECODER.decode(repaired)
    except (ValueError, RecursionError, InvalidJson):
        return _UNREPAIRED


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


def _reject_constant(name: str) -> object:
    raise InvalidJson(f"{name} is not valid JSON; send a number or null.")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise InvalidJson("A number in the JSON is too large to represent.")
    return value


# What json.loads(text, parse_constant=..., parse_float=...) builds on every call, built once.


# What json.loads(text, parse_constant=..., parse_float=...) builds on every call, built once.
_DECODER = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite_float)
