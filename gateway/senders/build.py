"""Build the body a sender meant, from plain text, query or form fields, or a template, for the rules to check as if posted."""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from common.firmware import Notifications
from gateway.errors import BodyNotObject, BodyTooLarge, FieldsNotSupported, InvalidJson, UnsupportedMediaType
from gateway.rules.body import check_charset, check_content_type, decode_utf8, parse_json
from gateway.senders.fields import converted, fields_in, notifications_of
from gateway.senders.render import render_fields
from gateway.senders.templates import INLINE, preset
from gateway.senders.text import plain_text
from gateway.settings import GatewaySettings

JSON = "application/json"
TEXT = "text/plain"
FORM = "application/x-www-form-urlencoded"
ROUTING = ("mode", "token")  # the query parameters every webhook may carry; any other may be a field
MAX_FORM_FIELDS = 64
EVENT_HEADER = "X-GitHub-Event"
_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class SenderRequest:
    """The parts of a webhook request a built body is made from."""

    mode: str
    query: Mapping[str, str] = field(repr=False)
    headers: Mapping[str, str] = field(repr=False)
    content_type: str | None
    body: bytes = field(repr=False)


def sender_body(request: SenderRequest, settings: GatewaySettings) -> tuple[bytes, str | None]:
    """Return the body and media type to check: the request's own, or the JSON its sender meant."""
    media, template, fields = media_type(request.content_type), request.query.get("template"), fields_in(request.query)
    if template is None and not fields and media not in (TEXT, FORM):
        return request.body, request.content_type
    table = notifications_of(request.mode)
    if table is None:
        if template is None and not fields:
            return request.body, request.content_type  # text and forms for other modes: refused as before
        raise FieldsNotSupported()
    if template is not None:
        return encoded(templated(template, fields, request, table, settings)), JSON
    if len(request.body) > settings.max_body_bytes:
        raise BodyTooLarge(f"The body is larger than this gateway's limit of {settings.max_body_bytes} bytes.")
    if media == FORM:
        base = converted(form_body_fields(request.body), table)
    elif media == TEXT and (text := plain_text(decode_utf8(request.body))) is not None:
        base = {table.fields["text"].key: text}
    elif not fields:
        return request.body, request.content_type  # JSON in a text/plain body: checked as posted
    else:
        base = posted_object(request)
    merged = {**base, **converted(fields, table)}  # the query wins
    return (encoded(merged) if merged else b""), JSON


def templated(
    name: str, fields: Mapping[str, str], request: SenderRequest, table: Notifications, settings: GatewaySettings
) -> dict[str, object]:
    """Return the body keys a template (a preset, and the query's fields) makes of the request's JSON."""
    origin = "inline template" if name == INLINE else f"template {name}"
    sources = {key: (origin, source) for key, source in preset(name).items()}
    sources.update((key, ("query", source)) for key, source in fields.items())
    data = template_input(request, settings.max_template_input_bytes)
    rendered = render_fields(sources, data, request.headers.get(EVENT_HEADER) or "", settings.max_body_bytes)
    return converted(rendered, table)


def template_input(request: SenderRequest, limit: int) -> object:
    """Return the JSON a template reads: the body (JSON, also as text/plain), or {} when there is none."""
    if len(request.body) > limit:
        raise BodyTooLarge(f"A template reads at most {limit} bytes (MAX_TEMPLATE_INPUT_BYTES).")
    if not request.body.strip():
        return {}
    if media_type(request.content_type) == FORM:
        raise UnsupportedMediaType("A template reads a JSON body; send it as application/json.")
    check_content_type(request.content_type)
    return parse_json(decode_utf8(request.body))


def posted_object(request: SenderRequest) -> dict[str, object]:
    """Return the posted JSON object that fields are merged into ({} for no body)."""
    if not request.body.strip():
        return {}
    check_content_type(request.content_type)
    value = parse_json(decode_utf8(request.body))
    if not isinstance(value, dict):
        raise BodyNotObject("Fields merge into a JSON object; this body is not one.")
    return value


def form_body_fields(body: bytes) -> dict[str, str]:
    """Return the gateway's fields in a form body; one that carries none (curl -d '{...}' sends JSON as a form) is refused."""
    found = fields_in(form_fields(body))
    if body.strip() and not found:
        raise UnsupportedMediaType(
            "This form body carries none of the fields (text, icon, color, ...); send JSON as 'Content-Type: application/json'."
        )
    return found


def form_fields(body: bytes) -> dict[str, str]:
    """Return an application/x-www-form-urlencoded body's fields (a repeated one's first value)."""
    try:
        pairs = parse_qsl(decode_utf8(body), keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS, errors="strict")
    except ValueError as err:  # more than MAX_FORM_FIELDS fields, or a %-escape that is not UTF-8
        raise UnsupportedMediaType(f"A form body has at most {MAX_FORM_FIELDS} fields of UTF-8 text.") from err
    found: dict[str, str] = {}
    for name, value in pairs:
        found.setdefault(name, value)
    return found


def media_type(content_type: str | None) -> str:
    """Return a Content-Type's media type in lower case; raise UnsupportedMediaType for a charset other than UTF-8."""
    media, *params = (content_type or "").split(";")
    check_charset(params)
    return media.strip().lower()


def encoded(body: Mapping[str, object]) -> bytes:
    """Return body as compact UTF-8 JSON."""
    try:
        return _COMPACT.encode(body).encode("utf-8")
    except UnicodeEncodeError as err:
        raise InvalidJson("A string contains an unpaired surrogate escape such as \\ud800.") from err
