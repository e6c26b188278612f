"""Resolve the mode a webhook names against the firmware tables (common/firmware), or say why it is refused."""

from collections.abc import Set
from dataclasses import dataclass

from common.firmware import FIRMWARES, NAME, BodyRule, awtrix2, awtrix3
from gateway.errors import InvalidAppName, MissingMode, ModeNotEnabled, UnknownMode


@dataclass(frozen=True)
class Mode:
    """A mode that passed the allow-list: its name (the topic under awtrix/<token>/) and body rule."""

    name: str
    body: BodyRule


AWTRIX2_MODES = tuple(awtrix2.FIRMWARE.safe_modes())
AWTRIX3_MODES = tuple(awtrix3.FIRMWARE.safe_modes())
DANGEROUS_MODES = frozenset().union(*(firmware.dangerous for firmware in FIRMWARES))
CUSTOM_PREFIX = awtrix3.FIRMWARE.named_prefix or ""
_RULES: dict[str, BodyRule] = {mode: rule for firmware in reversed(FIRMWARES) for mode, rule in firmware.modes.items()}
_CUSTOM_RULE = awtrix3.FIRMWARE.named_rule or BodyRule.OBJECTS_OR_EMPTY


def resolve_mode(name: str | None, extra_modes: Set[str]) -> Mode:
    """Return the Mode for a requested mode name, or raise the error that says why it is refused."""
    if not name:
        raise MissingMode()
    if name == "custom" or name.startswith(CUSTOM_PREFIX):
        app = name[len(CUSTOM_PREFIX):] if name.startswith(CUSTOM_PREFIX) else ""
        if NAME.fullmatch(app) is None:
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
