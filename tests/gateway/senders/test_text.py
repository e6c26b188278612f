"""A text/plain body that is not JSON is a notification's text; JSON stays JSON."""

import pytest

from gateway.senders.text import plain_text


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ('He said "hi"', 'He said "hi"'),
        ("  Door open\n", "Door open"),
        ("line one\nline two", "line one\nline two"),
        ("[ALERT] door open", "[ALERT] door open"),
        ("21.5", "21.5"),
        ('"quoted"', '"quoted"'),
        ("", None),
        ("   ", None),
        ('{"text": "hi"}', None),
        ('{"text": "broken', None),  # JSON, and broken: invalid_json, never shown as text
        ('[{"text": "page 1"}]', None),
    ],
)
def test_plain_text_or_json(body: str, text: str | None) -> None:
    assert plain_text(body) == text
