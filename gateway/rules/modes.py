"""Resolve the mode a webhook names against the firmware tables (common/firmware), or say why it is refused."""

from collections.abc import Set
from dataclasses import dataclass

from common.firmware import FIRMWARES, NAME, BodyRule, Firmware, awtrix2, awtrix3, awtrix_ng
from gateway.errors import InvalidAppName, MissingMode, ModeNotEnabled, UnknownMode


@dataclass(frozen=True)
class Mode:
    """A mode that passed the allow-list: its name (the topic under awtrix/<token>/), body rule and firmware."""

    name: str
    body: BodyRule
    firmware: Firmware = awtrix3.FIRMWARE  # the dialect whose topic it is (notify: AWTRIX 3's, also AWTRIX 2's)


AWTRIX2_MODES = tuple(awtrix2.FIRMWARE.safe_modes())
AWTRIX3_MODES = tuple(awtrix3.FIRMWARE.safe_modes())
NG_MODES = tuple(awtrix_ng.FIRMWARE.safe_modes())
DANGEROUS_MODES = frozenset().union(*(firmware.dangerous for firmware in FIRMWARES))
# Every "<prefix><name>" mode, e.g. custom/<app>, cmd/apps/pushed/<name>, with its firmware.
NAMED_PREFIXES: dict[str, Firmware] = {prefix: firmware for firmware in FIRMWARES for prefix in firmware.named}
CUSTOM_PREFIX = "custom/"
# The first table naming a mode owns it (FIRMWARES lists AWTRIX 3 before AWTRIX 2, which shares notify and settings).
_OWNERS: dict[str, Firmware] = {mode: fw for fw in reversed(FIRMWARES) for mode in fw.modes}
# The fixed modes, resolved once (a Mode is immutable): a webhook's mode is looked up, not built.
_FIXED: dict[str, Mode] = {mode: Mode(mode, firmware.modes[mode], firmware) for mode, firmware in _OWNERS.items()}


def resolve_mode(name: str | None, extra_modes: Set[str]) -> Mode:
    """Return the Mode for a requested mode name, or raise the error that says why it is refused."""
    if not name:
        raise MissingMode()
    fixed = _FIXED.get(name)
    if fixed is not None:
        if name in DANGEROUS_MODES and name not in extra_modes:
            raise ModeNotEnabled()
        return fixed
    for prefix, firmware in NAMED_PREFIXES.items():
        if name == prefix[:-1] or name.startswith(prefix):
            app = name[len(prefix) :]
            if NAME.fullmatch(app) is None or app in firmware.reserved_names:
                raise InvalidAppName(
                    f"Use mode={prefix}<name> where <name> is 1 to 32 characters from A-Z, a-z, 0-9, '_' and '-'"
                    + (f", other than {', '.join(sorted(firmware.reserved_names))}." if firmware.reserved_names else ".")
                )
            return Mode(name, firmware.named[prefix], firmware)
    raise UnknownMode(f"Unknown mode; use one of: {', '.join(allowed_modes(extra_modes))}.")


def allowed_modes(extra_modes: Set[str]) -> list[str]:
    """Return every mode name this gateway accepts, sorted, with named modes as patterns (custom/<name>)."""
    safe = {mode for firmware in FIRMWARES for mode in firmware.safe_modes()}
    return sorted(safe | (DANGEROUS_MODES & set(extra_modes)))
