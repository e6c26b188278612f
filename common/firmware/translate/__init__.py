"""Translate a webhook written for one firmware into another's dialect: pure functions driven by tables.

Pairs: AWTRIX 2 -> AWTRIX 3 (from_awtrix2.py), AWTRIX 3 -> AWTRIX NG (ng_topics.py, ng_apps.py, ng_settings.py), and
AWTRIX 2 -> AWTRIX NG through AWTRIX 3. A body is the parsed JSON (None for an empty body, a str for a text mode).
What has no faithful equivalent raises CannotTranslate naming the key (or the mode). The gateway decides when
to translate (only when nothing listens to the topic as sent) and checks the result by the target's own rules.
"""

from common.firmware import Firmware, awtrix2, awtrix3, awtrix_ng
from common.firmware.translate import from_awtrix2, ng_topics
from common.firmware.translate.base import Body, CannotTranslate

__all__ = ["Body", "CannotTranslate", "dialect_of", "targets", "translate"]

# Which firmwares a dialect's webhooks are translated for, in the order they are tried.
_TARGETS: dict[str, tuple[Firmware, ...]] = {
    awtrix2.FIRMWARE.name: (awtrix3.FIRMWARE, awtrix_ng.FIRMWARE),
    awtrix3.FIRMWARE.name: (awtrix_ng.FIRMWARE,),
    awtrix_ng.FIRMWARE.name: (),
}


def dialect_of(mode: str, firmware: Firmware, body: Body) -> Firmware:
    """Return the dialect a webhook is written in: its mode's firmware, or AWTRIX 2 for a shared mode in its keys."""
    if firmware is awtrix3.FIRMWARE and mode in awtrix2.FIRMWARE.modes and isinstance(body, dict):
        if from_awtrix2.written_for_awtrix2(mode, body):
            return awtrix2.FIRMWARE
    return firmware


def targets(dialect: Firmware) -> tuple[Firmware, ...]:
    """Return the firmwares a webhook in dialect can be translated for, in the order to try them."""
    return _TARGETS.get(dialect.name, ())


def translate(mode: str, body: Body, dialect: Firmware, target: Firmware) -> tuple[str, Body]:
    """Return (mode, body) in target's dialect for a webhook in dialect; raise CannotTranslate."""
    if dialect is awtrix2.FIRMWARE:
        mode, body = from_awtrix2.to_awtrix3(mode, body)
        dialect = awtrix3.FIRMWARE
    if dialect is target:
        return mode, body
    if dialect is awtrix3.FIRMWARE and target is awtrix_ng.FIRMWARE:
        return ng_topics.to_ng(mode, body)
    raise CannotTranslate(mode, f"there is no translation from {dialect.title} to {target.title}")
