"""Turn query and form fields (text, icon, color, duration, ...) into the keys and values a firmware's body takes."""

import re
from collections.abc import Callable, Mapping

from common.env import parse_bool
from common.firmware import FIRMWARES, FieldType, Notifications
from gateway.errors import InvalidField

# The gateway's field names, in the order of the tables: what ?<field>= and form bodies may carry.
FIELD_NAMES: tuple[str, ...] = tuple(
    dict.fromkeys(name for firmware in FIRMWARES if firmware.notifications for name in firmware.notifications.fields)
)
# Colour names people type into a link, as bright as an LED matrix shows them (green is 00FF00, not CSS's 008000).
COLOR_NAMES: dict[str, tuple[int, int, int]] = {
    "white": (255, 255, 255), "black": (0, 0, 0), "red": (255, 0, 0), "green": (0, 255, 0), "blue": (0, 0, 255),
    "yellow": (255, 255, 0), "orange": (255, 165, 0), "purple": (160, 0, 255), "pink": (255, 105, 180),
    "cyan": (0, 255, 255), "magenta": (255, 0, 255), "gray": (128, 128, 128), "grey": (128, 128, 128),
}  # fmt: skip
_HEX = re.compile(r"#?([0-9a-fA-F]{6})")
_RGB = re.compile(r"\[?\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*\]?")
_INTEGER = re.compile(r"[+-]?\d{1,9}")
_SECONDS = re.compile(r"\+?\d{1,7}(?:\.\d{1,3})?")


def notifications_of(mode: str) -> Notifications | None:
    """Return the notification table for a mode, from the first firmware that has the mode; None if it is not one."""
    for firmware in FIRMWARES:
        table = firmware.notifications
        if mode in firmware.modes:
            return table if table is not None and mode in table.modes else None
        prefix = firmware.named_prefix_of(mode)
        if prefix is not None:
            return table if table is not None and prefix in table.named else None
    return None


def fields_in(params: Mapping[str, str]) -> dict[str, str]:
    """Return the gateway's fields among query or form parameters (a repeated one's first value), in table order."""
    return {name: params[name] for name in FIELD_NAMES if name in params}


def converted(fields: Mapping[str, str], table: Notifications) -> dict[str, object]:
    """Return the body keys and values for fields under a firmware's table; an empty field is left out."""
    body: dict[str, object] = {}
    for name, text in fields.items():
        if text == "":
            continue
        field = table.fields.get(name)
        if field is None:
            raise InvalidField(f"This mode has no field {name!r}.")
        body[field.key] = _CONVERTERS[field.type](name, text)
    return body


def parse_color(name: str, text: str) -> tuple[int, int, int]:
    """Return the red, green and blue of RRGGBB, #RRGGBB, r,g,b or a colour name; raise InvalidField."""
    value = text.strip()
    if value.lower() in COLOR_NAMES:
        return COLOR_NAMES[value.lower()]
    if hexadecimal := _HEX.fullmatch(value):
        digits = hexadecimal.group(1)
        return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)
    if (rgb := _RGB.fullmatch(value)) and all(int(part) <= 255 for part in rgb.groups()):
        red, green, blue = (int(part) for part in rgb.groups())
        return red, green, blue
    raise InvalidField(f"{name} must be a colour: RRGGBB, #RRGGBB, r,g,b (0-255) or one of {', '.join(COLOR_NAMES)}.")


def _text(name: str, text: str) -> str:
    return text


def _integer(name: str, text: str) -> int:
    if _INTEGER.fullmatch(text.strip()) is None:
        raise InvalidField(f"{name} must be a whole number.")
    return int(text)


def _boolean(name: str, text: str) -> bool:
    value = parse_bool(text)
    if value is None:
        raise InvalidField(f"{name} must be true or false.")
    return value


def _color_hex(name: str, text: str) -> str:
    return "#{:02X}{:02X}{:02X}".format(*parse_color(name, text))


def _color_rgb(name: str, text: str) -> list[int]:
    return list(parse_color(name, text))


def _milliseconds(name: str, text: str) -> int:
    if _SECONDS.fullmatch(text.strip()) is None:
        raise InvalidField(f"{name} must be a number of seconds.")
    return round(float(text) * 1000)


_CONVERTERS: dict[FieldType, Callable[[str, str], object]] = {
    FieldType.TEXT: _text,
    FieldType.INTEGER: _integer,
    FieldType.BOOLEAN: _boolean,
    FieldType.COLOR_HEX: _color_hex,
    FieldType.COLOR_RGB: _color_rgb,
    FieldType.MILLISECONDS: _milliseconds,
}
