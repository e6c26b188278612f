"""List the modes a webhook may use and the body each one accepts."""

import re
from collections.abc import Set
from dataclasses import dataclass
from enum import Enum

from gateway.errors import InvalidAppName, MissingMode, ModeNotEnabled, UnknownMode


class BodyRule(Enum):
    """What body a mode accepts; the value is how an error message describes it."""

    OBJECT = "a JSON object"
    OBJECT_OR_EMPTY = "a JSON object or an empty body"
    OBJECTS = "a JSON object or an array of objects"
    OBJECTS_OR_EMPTY = "a JSON object, an array of objects or an empty body"
    IGNORED = "any body; it is not forwarded"
    STRING = "a JSON string"


@dataclass(frozen=True)
class Mode:
    """A mode that passed the allow-list: its name (the topic under awtrix/<token>/) and body rule."""

    name: str
    body: BodyRule


AWTRIX2_MODES = ("basics", "notify", "draw", "app", "settings", "temporaryapp")
AWTRIX3_MODES = (
    "notify", "notify/dismiss", "custom/<app>", "switch", "nextapp", "previousapp", "settings", "power",
    "indicator1", "indicator2", "indicator3", "moodlight", "sound", "rtttl",
)
# A device cannot be woken from sleep remotely, doupdate flashes firmware, apps can scramble the loop.
DANGEROUS_MODES = frozenset({"reboot", "doupdate", "sleep", "apps"})

CUSTOM_PREFIX = "custom/"
_APP_NAME = re.compile(r"[A-Za-z0-9_-]{1,32}")

_RULES: dict[str, BodyRule] = {
    **dict.fromkeys(
        ("notify", "app", "basics", "draw", "settings", "temporaryapp", "switch", "power", "sound", "sleep"),
        BodyRule.OBJECT,
    ),
    **dict.fromkeys(("indicator1", "indicator2", "indicator3", "moodlight"), BodyRule.OBJECT_OR_EMPTY),
    **dict.fromkeys(("notify/dismiss", "nextapp", "previousapp", "reboot", "doupdate"), BodyRule.IGNORED),
    "rtttl": BodyRule.STRING,
    # AWTRIX 3 takes one {"name","show","pos"} object or an array of them.
    "apps": BodyRule.OBJECTS,
}
_CUSTOM_RULE = BodyRule.OBJECTS_OR_EMPTY


def resolve_mode(name: str | None, extra_modes: Set[str]) -> Mode:
    """Return the Mode for a requested mode name, or raise the error that says why it is refused."""
    if not name:
        raise MissingMode()
    if name == "custom" or name.startswith(CUSTOM_PREFIX):
        app = name[len(CUSTOM_PREFIX):] if name.startswith(CUSTOM_PREFIX) else ""
        if _APP_NAME.fullmatch(app) is None:
            raise InvalidAppName()
        return Mode(name, _CUSTOM_RULE)
    rule = _RULES.get(name)
    if rule is None:
        raise UnknownMode(f"Unknown mode; use one of: {', '.join(allowed_modes(extra_modes))}.")
    if name in DANGEROUS_MODES and name not in extra_modes:
        raise ModeNotEnabled()
    return Mode(name, rule)


def allowed_modes(extra_modes: Set[str]) -> list[str]:
    """Return every mode name this gateway accepts, sorted, with custom/<app> as a pattern."""
    safe = set(AWTRIX2_MODES) | set(AWTRIX3_MODES)
    return sorted(safe | (DANGEROUS_MODES & set(extra_modes)))
