"""Read a text/plain body that is not JSON as a notification's text: IFTTT ingredients with quotes, shell one-liners."""

from gateway.errors import InvalidJson
from gateway.rules.body import parse_json


def plain_text(text: str) -> str | None:
    """Return the notification text of a text/plain body, trimmed; None when the body is empty or JSON to be read as such.

    A body starting with '{' is JSON (a broken one is answered invalid_json, never shown as text); one starting
    with '[' is JSON when it parses (a custom app's pages), text otherwise ("[ALERT] door open").
    """
    stripped = text.strip()
    if not stripped or stripped.startswith("{"):
        return None
    if stripped.startswith("["):
        try:
            parse_json(stripped)
        except InvalidJson:
            return stripped
        return None
    return stripped
