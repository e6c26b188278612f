"""The shape of a firmware's table: its modes (topics under the device's prefix), the body each takes, its limits."""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

# App and notification names on AWTRIX 3 and NG (a name becomes a file name on the clock).
NAME = re.compile(r"[A-Za-z0-9_-]{1,32}")


class BodyRule(Enum):
    """What body a mode accepts; the value is how an error message describes it."""

    OBJECT = "a JSON object"
    OBJECT_OR_EMPTY = "a JSON object or an empty body"
    OBJECTS = "a JSON object or an array of objects"
    OBJECTS_OR_EMPTY = "a JSON object, an array of objects or an empty body"
    IGNORED = "any body; it is not forwarded"
    STRING = "a JSON string"


class FieldType(Enum):
    """The form a firmware's key takes the value of one of the gateway's fields in."""

    TEXT = "text"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    COLOR_HEX = "color_hex"  # "#RRGGBB" (AWTRIX 3, NG)
    COLOR_RGB = "color_rgb"  # [r, g, b] (AWTRIX 2)
    MILLISECONDS = "milliseconds"  # the field says seconds; the key takes whole milliseconds (NG's durationMs)


@dataclass(frozen=True)
class Field:
    """Where one of the gateway's fields (text, icon, color, ...) goes in a firmware's body, and in what form."""

    key: str
    type: FieldType


@dataclass(frozen=True)
class Notifications:
    """The modes whose body shows text like a notification, and the key each of the gateway's fields maps to.

    A plain-text body becomes {fields["text"].key: <the text>}; query and form fields are merged by this table.
    """

    modes: frozenset[str]
    # whether the "<named_prefix><name>" modes (custom apps) take the same body
    named: bool
    fields: Mapping[str, Field]


@dataclass(frozen=True)
class Firmware:
    """One firmware dialect: the modes a webhook may name for it, and what its clocks can take."""

    name: str
    # mode -> body rule; a mode is also the topic under the device's prefix it is published to
    modes: Mapping[str, BodyRule]
    # modes a webhook may use only when the operator lists them in EXTRA_MODES
    dangerous: frozenset[str] = frozenset()
    # "<prefix><name>" modes, e.g. custom/<app>, and the body they take
    named_prefix: str | None = None
    named_rule: BodyRule | None = None
    # the largest MQTT packet (fixed header, topic and payload) the clock reads; larger ones it drops unread
    max_packet_bytes: int | None = None
    # the modes that take a notification-like body, for senders that cannot write JSON (plain text, fields, templates)
    notifications: Notifications | None = None

    def safe_modes(self) -> list[str]:
        """Return the fixed modes that need no operator consent, plus the named form (e.g. custom/<app>)."""
        names = [mode for mode in self.modes if mode not in self.dangerous]
        if self.named_prefix is not None:
            names.append(f"{self.named_prefix}<app>")
        return names
