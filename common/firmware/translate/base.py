"""What every translation shares: the error, and AWTRIX 3's way of reading values (ArduinoJson's as<T>())."""

import json
import math

# A webhook body: parsed JSON, None for an empty body, a str for a text mode (rtttl).
Body = object


class CannotTranslate(Exception):
    """A key (or a mode) has no faithful equivalent in the target dialect."""

    def __init__(self, key: str, reason: str) -> None:
        """Name the key (or mode) and say why."""
        super().__init__(f"{key}: {reason}")
        self.key, self.reason = key, reason


def as_bool(value: object) -> bool:
    """Return ArduinoJson's as<bool>(): numbers other than 0 and every string are true, null is false."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    return isinstance(value, str)


def as_int(value: object) -> int:
    """Return ArduinoJson's as<long>(): floats truncated, numeric strings parsed, anything else 0."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else 0
    if isinstance(value, str):
        try:
            return int(float(value))
        except ValueError:
            return 0
    return 0


def as_string(value: object) -> str:
    """Return ArduinoJson's as<String>(): a string as is, anything else serialised (36 -> "36", null -> "null")."""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return json.dumps(value, separators=(",", ":"))


def number(key: str, value: object) -> int | float:
    """Return value when it is a JSON number; raise CannotTranslate otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CannotTranslate(key, "must be a number to be translated")
    return value


def choice(key: str, value: object, words: tuple[str, ...]) -> str:
    """Return words[value] for an index 0..len-1; raise CannotTranslate for anything else."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < len(words):
        raise CannotTranslate(key, f"must be a number from 0 to {len(words) - 1} to be translated")
    return words[value]
