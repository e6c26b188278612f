"""What the gateway builds from plain text, forms and fields, checked like a posted body, or why it refuses."""

import pytest

from gateway.errors import ApiError
from gateway.rules.webhook import RawWebhook, parse_webhook
from gateway.settings import GatewaySettings

TOKEN = "Tok3n_for-tests-0123456"
JSON, TEXT, FORM = "application/json", "text/plain", "application/x-www-form-urlencoded"


def webhook(body: bytes = b"", content_type: str | None = JSON, mode: str = "notify", **query: str) -> RawWebhook:
    return RawWebhook(
        query_tokens=[TOKEN], authorization=None, mode=mode, content_type=content_type, body=body,
        query={"mode": mode, "token": TOKEN, **query},
    )  # fmt: skip


def payload(raw: RawWebhook, settings: GatewaySettings | None = None) -> bytes:
    return parse_webhook(raw, settings or GatewaySettings()).payload


def code_of(raw: RawWebhook, settings: GatewaySettings | None = None) -> str:
    with pytest.raises(ApiError) as caught:
        parse_webhook(raw, settings or GatewaySettings())
    return caught.value.code


@pytest.mark.parametrize(
    ("raw", "published"),
    [
        (webhook(b'He said "hi"\n', TEXT), b'{"text":"He said \\"hi\\""}'),
        (webhook("Grüße ☀".encode(), "text/plain; charset=utf-8"), '{"text":"Grüße ☀"}'.encode()),
        (webhook(b"[ALERT] door open", TEXT, mode="custom/door"), b'{"text":"[ALERT] door open"}'),
        (webhook(b'{"text": "json"}', TEXT), b'{"text":"json"}'),
        (webhook(b'[{"text": "a"}, {"text": "b"}]', TEXT, mode="custom/pages"), b'[{"text":"a"},{"text":"b"}]'),
        (webhook(b"Door open", TEXT, color="red", icon="36"), b'{"text":"Door open","icon":"36","color":"#FF0000"}'),
        (webhook(b"text=Hello&color=00FF00&duration=5", FORM), b'{"text":"Hello","color":"#00FF00","duration":5}'),
        (webhook(b"text=Hello+world&icon=sun&foo=bar", FORM, text="From the query"), b'{"text":"From the query","icon":"sun"}'),
        (webhook(b'{"text": "hi", "stack": false}', color="FF0000"), b'{"text":"hi","stack":false,"color":"#FF0000"}'),
        (webhook(b'{"text": "body"}', text="query"), b'{"text":"query"}'),
        (webhook(b"", None, text="Hello"), b'{"text":"Hello"}'),
        (webhook(b"", None, text="Hello", foo="ignored"), b'{"text":"Hello"}'),
        (webhook(b'{"text": "x"}', foo="ignored"), b'{"text":"x"}'),
        (webhook(b"", None, color="red"), b'{"color":"#FF0000"}'),  # a body without text is still a notify body
        (webhook(b"", FORM, mode="custom/solar"), b""),  # an empty body deletes a custom app, as a posted one does
    ],
)
def test_built_body_is_published_as_compact_json(raw: RawWebhook, published: bytes) -> None:
    assert payload(raw) == published


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (webhook(b"", None), "body_required"),  # nothing to build from: as before
        (webhook(b"  ", TEXT), "body_required"),
        (webhook(b'{"text": "broken', TEXT), "invalid_json"),
        (webhook(b"\xff", TEXT), "invalid_encoding"),
        (webhook(b"hi", "text/plain; charset=latin-1"), "unsupported_media_type"),
        (webhook(b'{"text":"json sent as a form"}', FORM), "unsupported_media_type"),
        (webhook(b"text=%FF", FORM), "unsupported_media_type"),
        (webhook(b"&".join(b"f%d=x" % n for n in range(100)) + b"&text=x", FORM), "unsupported_media_type"),
        (webhook(b"Door open", TEXT, mode="settings"), "invalid_json"),  # plain text only for notification modes
        (webhook(b"text=hi", FORM, mode="power"), "unsupported_media_type"),
        (webhook(b'{"power": true}', mode="power", text="x"), "fields_not_supported"),
        (webhook(b"", None, mode="nextapp", template="github"), "fields_not_supported"),
        (webhook(b'[{"text": "a"}]', mode="custom/pages", color="red"), "body_not_object"),
        (webhook(b"", None, color="nope"), "invalid_field"),
        (webhook(b"x", TEXT, text="y" * 9000), "body_too_large"),
        (webhook(b"", None, template="nope"), "unknown_template"),
        (webhook(b"text=hi", FORM, template="generic"), "unsupported_media_type"),
        (webhook(b"<xml/>", "application/xml", template="generic"), "unsupported_media_type"),
        (webhook(b'{"message": "' + b"x" * 70000 + b'"}', template="generic"), "body_too_large"),
        (webhook(b"x" * 9000, TEXT), "body_too_large"),
    ],
)
def test_sender_problem_is_refused_with_code(raw: RawWebhook, code: str) -> None:
    assert code_of(raw) == code


def test_a_template_reads_bodies_larger_than_any_it_forwards() -> None:
    body = b'{"message": "big input", "padding": "' + b"x" * 30000 + b'"}'
    assert payload(webhook(body, template="generic")) == b'{"text":"big input"}'
    assert code_of(webhook(body, template="generic"), GatewaySettings(max_template_input_bytes=20000)) == "body_too_large"


def test_a_template_over_no_body_renders_over_nothing() -> None:
    assert payload(webhook(b"", None, template="yes", text="Now {{ missing }}!")) == b'{"text":"Now !"}'


def test_a_surrogate_in_the_templates_input_is_invalid_json_not_a_crash() -> None:
    assert code_of(webhook(b'{"message": "\\ud800"}', template="generic")) == "invalid_json"
