"""The parts of the OpenAPI document about senders that cannot write the clock's JSON: fields, templates, several tokens."""

from typing import Any

from gateway.senders.fields import FIELD_NAMES
from gateway.senders.templates import template_names

# Tokens, comma-separated (spaces around commas allowed); each must be well-formed, which the answer says.
TOKEN_LIST_PATTERN = r"^[A-Za-z0-9_-]*(?:[ \t]*,[ \t]*[A-Za-z0-9_-]*)*$"  # noqa: S105 (a pattern, not a password)
FIELD_DESCRIPTIONS = {
    "text": "The text to show.",
    "icon": "An icon on the clock, by file name (AWTRIX 3), e.g. 36.",
    "color": "The text colour: RRGGBB, #RRGGBB, r,g,b or a name (red, green, blue, ...); sent as #RRGGBB.",
    "duration": "Seconds to show it, a whole number.",
    "repeat": "How many times the text scrolls, a whole number.",
    "rainbow": "true or false (also 1/0, yes/no, on/off).",
    "progress": "A progress bar, 0 to 100 (-1: none).",
    "sound": "A sound on the clock, by name.",
    "hold": "true: stays until dismissed (notify only).",
    "stack": "false: replaces the notification shown now (notify only).",
    "wakeup": "true: turns the display on for it (notify only).",
}
OUTCOME_CODES = ("broker_unavailable", "broker_timeout", "broker_rejected")


def sender_parameters(max_tokens: int) -> list[dict[str, Any]]:
    """Return the token parameter (several allowed), the template parameter and a parameter per field."""
    token = {
        "name": "token",
        "in": "query",
        "required": False,
        "description": (
            "The device token; or send 'Authorization: Bearer <token>' instead (not both, unless equal). "
            f"Up to {max_tokens} tokens, comma-separated, send the same webhook to several clocks."
        ),
        "schema": {"type": "string", "pattern": TOKEN_LIST_PATTERN},
    }
    template = {
        "name": "template",
        "in": "query",
        "required": False,
        "description": "Render the JSON body with a preset (github, grafana, ...), or with the fields' own templates (yes).",
        "schema": {"type": "string", "enum": template_names()},
    }
    return [token, template, *(_field(name) for name in FIELD_NAMES)]


def form_body() -> dict[str, Any]:
    """Return the application/x-www-form-urlencoded request body: the same fields as the query."""
    properties = {name: {"type": "string", "description": FIELD_DESCRIPTIONS.get(name, "")} for name in FIELD_NAMES}
    return {"schema": {"type": "object", "properties": properties}}


def several_answer() -> dict[str, Any]:
    """Return the schema of the answer to a webhook that names several tokens."""
    outcome = {
        "oneOf": [
            _closed({"index": _INDEX, "delivered": {"const": True}}),
            _closed({"index": _INDEX, "delivered": {"type": "null"}, "reason": {"const": "broker_gives_no_delivery_signal"}}),
            _closed({"index": _INDEX, "delivered": {"const": False}, "reason": {"const": "no_device_connected"}}),
            _closed({"index": _INDEX, "accepted": {"const": True}}),
            _closed(
                {
                    "index": _INDEX,
                    "error": _closed({"code": {"type": "string", "enum": list(OUTCOME_CODES)}, "message": {"type": "string"}}),
                }
            ),
        ]
    }
    return _closed({"mode": {"type": "string"}, "results": {"type": "array", "minItems": 2, "items": outcome}})


def _field(name: str) -> dict[str, Any]:
    # Strings all: the gateway converts them (and a wrong one is answered invalid_field).
    description = FIELD_DESCRIPTIONS.get(name, "A field of the notification.")
    return {"name": name, "in": "query", "required": False, "description": description, "schema": {"type": "string"}}


_INDEX = {"type": "integer", "minimum": 0, "description": "The token's position among the distinct tokens named, from 0."}


def _closed(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": list(properties), "properties": properties, "additionalProperties": False}
