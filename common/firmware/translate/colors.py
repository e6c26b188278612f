"""AWTRIX 3's colours as the numbers it draws, written as AWTRIX NG's "#RRGGBB" (fw-facts part D).

AWTRIX 3 reads "#F80" as 0x000F80 and "red" as black, while NG would expand one and refuse the other: so a colour
is first evaluated the way AWTRIX 3 evaluates it (getColorFromJsonVariant, Functions.cpp:62-91), then written out.
"""

from common.firmware.translate.base import CannotTranslate

_LONG_MAX, _LONG_MIN = 2**31 - 1, -(2**31)
_HEX = "0123456789abcdefABCDEF"


def a3_color(value: object) -> int | None:
    """Return the 24-bit colour AWTRIX 3 draws for value, or None where it falls back to the key's default."""
    if isinstance(value, str):
        return _strtol16(value.replace("#", "")) & 0xFFFFFF
    if isinstance(value, list) and len(value) == 3:
        red, green, blue = (_uint8(part) for part in value)
        return red << 16 | green << 8 | blue
    if isinstance(value, list) and len(value) == 4 and value[0] == "HSV":
        return 0  # recognised, and drawn black in 0.98
    return None


def ng_color(key: str, value: object) -> str:
    """Return AWTRIX NG's "#RRGGBB" for an AWTRIX 3 colour; raise CannotTranslate where AWTRIX 3 uses a default."""
    color = a3_color(value)
    if color is None:
        raise CannotTranslate(key, "is not a colour AWTRIX 3 reads (it would use its default colour)")
    return f"#{color:06X}"


def _uint8(value: object) -> int:
    """ArduinoJson's as<uint8_t>(): out of range is 0, floats truncate, numeric strings are parsed."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return 0
    if isinstance(value, float):
        value = int(value) if value == value and abs(value) < 2**63 else 0
    return value if isinstance(value, int) and 0 <= value <= 255 else 0


def _strtol16(text: str) -> int:
    """C's (uint32_t) strtol(text, NULL, 16): whitespace, a sign, 0x, hex digits, garbage after them ignored."""
    text = text.lstrip(" \t\n\r\f\v")
    sign = -1 if text[:1] == "-" else 1
    text = text[1:] if text[:1] in "+-" else text
    if text[:2].lower() == "0x" and text[2:3] and text[2] in _HEX:
        text = text[2:]
    digits = ""
    for char in text:
        if char not in _HEX:
            break
        digits += char
    value = sign * int(digits, 16) if digits else 0
    return max(_LONG_MIN, min(_LONG_MAX, value)) & 0xFFFFFFFF
