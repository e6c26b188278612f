"""The fixed label values of the gateway's metrics: nothing a sender chose ever becomes a label.

A webhook is counted under its mode family and its answer. Families come from the firmware tables
(common/firmware/): each fixed mode is its own family, every "<prefix><name>" mode (custom/<app>) counts
as its prefix ("custom"), and anything else, a missing or unknown mode included, as "other". Answers are the
delivery outcomes and the error catalog's codes (gateway/errors.py). Both sets are fixed when the process
starts, so the number of series is bounded (README, "Monitoring").
"""

from collections.abc import Mapping

from common.firmware import FIRMWARES
from gateway.errors import ERROR_CODES

OTHER = "other"
_NAMED = tuple(dict.fromkeys(prefix for firmware in FIRMWARES for prefix in firmware.named))  # e.g. "custom/"
FAMILIES: tuple[str, ...] = tuple(
    dict.fromkeys(
        [*(mode for firmware in FIRMWARES for mode in firmware.modes), *(prefix.rstrip("/") for prefix in _NAMED), OTHER]
    )
)
DELIVERED, TRANSLATED, ACCEPTED, UNKNOWN = "delivered", "translated", "accepted", "delivery_unknown"
# delivered: as sent; translated: for the firmware the clock listens under; accepted: HIDE_PRESENCE says no more;
# delivery_unknown: a broker without MQTT 5; the rest are the reasons of a 202 (gateway/app/delivery.py).
# SEVERAL: a webhook to several clocks (each clock's outcome is in its answer, not in the metrics).
SEVERAL = "several"
DELIVERY_ANSWERS = (
    DELIVERED, TRANSLATED, "no_device_connected", "device_not_listening", "device_busy", ACCEPTED, UNKNOWN, SEVERAL,
)  # fmt: skip
ANSWERS: tuple[str, ...] = (*DELIVERY_ANSWERS, *ERROR_CODES)
# Which limit refused a webhook (gateway/ratelimit/limiter.py): its token's, or its client address's.
KINDS = ("token", "address")
NO_KIND = -1

_FAMILY = {family: index for index, family in enumerate(FAMILIES)}
_FIXED = {mode: _FAMILY[mode] for firmware in FIRMWARES for mode in firmware.modes}
_PREFIXES = tuple((prefix, _FAMILY[prefix.rstrip("/")]) for prefix in _NAMED)
_ANSWER = {answer: index for index, answer in enumerate(ANSWERS)}
_OTHER_INDEX = _FAMILY[OTHER]


def family_of(mode: str | None) -> int:
    """Return the index in FAMILIES of a requested mode, well-formed or not."""
    index = _FIXED.get(mode)  # type: ignore[arg-type]
    if index is not None:
        return index
    for prefix, named in _PREFIXES:
        if mode and (mode.startswith(prefix) or mode == prefix[:-1]):
            return named
    return _OTHER_INDEX


def slot_of(mode: str | None, answer: str) -> int:
    """Return the index of (family, answer) in a flat table of len(FAMILIES) x len(ANSWERS) counts."""
    return family_of(mode) * len(ANSWERS) + _ANSWER.get(answer, _ANSWER["http_error"])


def labels_of(slot: int) -> tuple[str, str]:
    """Return the (family, answer) label values of a slot."""
    family, answer = divmod(slot, len(ANSWERS))
    return FAMILIES[family], ANSWERS[answer]


def answer_of(fields: Mapping[str, object]) -> str:
    """Return the answer label of a delivered webhook's answer fields (gateway/app/delivery.py), e.g. device_busy."""
    if "results" in fields:
        return SEVERAL
    if fields.get("delivered") is True:
        return TRANSLATED if "translated_for" in fields else DELIVERED
    if fields.get("accepted") is True:
        return ACCEPTED
    if fields.get("delivered") is None:
        return UNKNOWN
    reason = fields.get("reason")
    return reason if isinstance(reason, str) and reason in _ANSWER else "http_error"


def kind_index(kind: str | None) -> int:
    """Return the index in KINDS of a rate limit's kind, or NO_KIND."""
    return KINDS.index(kind) if kind in KINDS else NO_KIND
