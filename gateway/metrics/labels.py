"""The fixed label values of the gateway's metrics: nothing a sender chose ever becomes a label.

A webhook is counted under its mode family and its answer. Families come from the firmware tables
(common/firmware/): each fixed mode is its own family, every "<prefix><name>" mode (custom/<app>) counts
as its prefix ("custom"), and anything else, a missing or unknown mode included, as "other". Answers are the
delivery outcomes and the error catalog's codes (gateway/errors.py). Both sets are fixed when the process
starts, so the number of series is bounded (README, "Monitoring").
"""

from common.firmware import FIRMWARES
from gateway.errors import ERROR_CODES

OTHER = "other"
_NAMED = tuple(dict.fromkeys(f.named_prefix for f in FIRMWARES if f.named_prefix))  # e.g. ("custom/",)
FAMILIES: tuple[str, ...] = (
    *dict.fromkeys(mode for firmware in FIRMWARES for mode in firmware.modes),
    *(prefix.rstrip("/") for prefix in _NAMED),
    OTHER,
)
DELIVERED, NO_DEVICE, NOT_LISTENING, UNKNOWN = "delivered", "no_device_connected", "device_not_listening", "delivery_unknown"
DELIVERY_ANSWERS = (DELIVERED, NO_DEVICE, NOT_LISTENING, UNKNOWN)
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


def delivery_answer(delivered: bool | None) -> str:
    """Return the answer label of a publish: what the broker said, whatever HIDE_PRESENCE lets the sender see.

    When the publishers learn to say "connected but not subscribed to this topic", that outcome maps to
    NOT_LISTENING here (its label value is already in ANSWERS, so the series bound does not change).
    """
    if delivered is None:
        return UNKNOWN
    return DELIVERED if delivered else NO_DEVICE


def kind_index(kind: str | None) -> int:
    """Return the index in KINDS of a rate limit's kind, or NO_KIND."""
    return KINDS.index(kind) if kind in KINDS else NO_KIND
