"""How AWTRIX NG refuses a command body, as its firmware does: the same code, message and field it would answer.

keys_refusal() is what the key and shape of a body decide (unknown keys, one notification per request, the shape
of apps/order, exactly one audio source, a sleep duration): the gateway refuses those before publishing.
values_refusal() adds what the values decide (colours), which the gateway leaves to the clock; the test
stand-in (tests/support/devices/awtrix_ng.py) applies both, as the firmware does.
"""

from dataclasses import dataclass

from common.firmware import awtrix_ng as ng

INVALID_JSON = "payload is not valid JSON"
COLOR_KEYS = ("textColor", "backgroundColor", "chartColor", "progressColor", "progressTrackColor")
PALETTE_COLOR_KEYS = frozenset({"textColor", "chartColor", "progressColor"})
_HEX = frozenset("0123456789abcdefABCDEF")


@dataclass(frozen=True)
class Refusal:
    """The error part of NG's {"ok":false,"error":{...}} answer."""

    code: str
    message: str
    field: str = ""

    def as_dict(self) -> dict[str, str]:
        """Return the error object as NG writes it (no field when it is empty)."""
        body = {"code": self.code, "message": self.message}
        return body | ({"field": self.field} if self.field else {})


def keys_refusal(mode: str, value: object) -> Refusal | None:
    """Return NG's refusal of a parsed body for mode decided by its keys and shape, or None."""
    if mode == ng.NOTIFY:
        if isinstance(value, list):
            if len(value) > 1:
                return Refusal("validationFailed", "send one notification per request; an array of more than one is not accepted")
            value = value[0] if value else None
        return _unknown_key(value, ng.NOTIFY_KEYS) if isinstance(value, dict) else None
    if mode.startswith(ng.PUSHED):
        apps = value if isinstance(value, list) else [value]
        return next((r for app in apps if isinstance(app, dict) and (r := _unknown_key(app, ng.APP_KEYS))), None)
    if mode == "cmd/settings" and isinstance(value, dict):
        unknown = next((key for key in value if key not in ng.SETTINGS_KEYS), None)
        return Refusal("validationFailed", "unknown field", unknown) if unknown is not None else None
    checks = {"cmd/apps/order": _order_refusal, "cmd/audio/play": _audio_refusal, "cmd/device/sleep": _sleep_refusal}
    check = checks.get(mode)
    return check(value) if check is not None else None


def values_refusal(mode: str, value: object) -> Refusal | None:
    """Return NG's refusal of a notification's or pushed app's colours, or None (only what the stand-in needs)."""
    if not (mode == ng.NOTIFY or mode.startswith(ng.PUSHED)) or not isinstance(value, dict):
        return None
    for key in COLOR_KEYS:
        if key in value and not is_color(value[key], palette=key in PALETTE_COLOR_KEYS):
            return Refusal("validationFailed", f'"{key}" is not a valid color', key)
    return None


def is_color(value: object, palette: bool = False) -> bool:
    """Return True for a colour NG accepts: #RGB, #RRGGBB (# optional), [r,g,b], ["HSV",h,s,v], a packed integer."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    if isinstance(value, str):
        if palette and value.lower() == "palette":
            return True
        digits = value.removeprefix("#")
        return len(digits) in (3, 6) and set(digits) <= _HEX
    if isinstance(value, list) and value[:1] == ["HSV"]:
        return len(value) == 4 and all(_number(part) for part in value[1:])
    return isinstance(value, list) and len(value) >= 3 and all(_integer(part) for part in value[:3])


def _unknown_key(body: dict[str, object], allowed: frozenset[str]) -> Refusal | None:
    unknown = next((key for key in body if key not in allowed), None)
    return None if unknown is None else Refusal("validationFailed", f'unknown key "{unknown}"', unknown)


def _order_refusal(value: object) -> Refusal | None:
    """apps/order: an object with a "disabled" array, an optional "order" array, names non-empty strings."""
    if not isinstance(value, dict) or not isinstance(value.get("disabled"), list):
        return Refusal("invalidJson", INVALID_JSON)
    lists = [value["disabled"], value.get("order", [])]
    if not isinstance(lists[1], list) or not all(isinstance(name, str) and name for names in lists for name in names):
        return Refusal("invalidJson", INVALID_JSON)
    return None


def _audio_refusal(value: object) -> Refusal | None:
    """audio/play: exactly one of its eight sources, and a track number from 1 to 2999."""
    present = [key for key in ng.AUDIO_SOURCES if isinstance(value, dict) and key in value]
    listed = ", ".join(f'"{key}"' for key in ng.AUDIO_SOURCES[:-1]) + f' or "{ng.AUDIO_SOURCES[-1]}"'
    if not present:
        return Refusal("validationFailed", f"exactly one of {listed} is required")
    if len(present) > 1:
        return Refusal("validationFailed", f"exactly one of {listed} is allowed", present[0])
    track = value.get("track") if isinstance(value, dict) else None
    if "track" in present and not (_integer(track) and 1 <= track <= 2999):  # type: ignore[operator]
        return Refusal("validationFailed", "must be a number between 1 and 2999", "track")
    return None


def _sleep_refusal(value: object) -> Refusal | None:
    """device/sleep: durationMs, a positive integer literal."""
    duration = value.get("durationMs") if isinstance(value, dict) else None
    if _integer(duration) and duration > 0:  # type: ignore[operator]
        return None
    return Refusal("validationFailed", "must be a positive integer (milliseconds)", "durationMs")


def _integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
