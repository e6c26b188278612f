"""What the firmware tables tell the broker: who answers a command, which topics are answers, who listens where."""

from collections.abc import Hashable, Iterable

from common.firmware import CLOCKS, OTHER, Firmware

Answering = tuple[tuple[Firmware, tuple[str, ...]], ...]
_NAMED_KEPT = 1024


def _compute(topic: str) -> Answering:
    return tuple((firmware, answers) for firmware in CLOCKS if (answers := firmware.answers(topic)))


# Answers of every fixed mode of every clock firmware, computed once; named modes are computed when met.
_FIXED: dict[str, Answering] = {mode: _compute(mode) for firmware in CLOCKS for mode in firmware.modes}
_NAMED: dict[str, Answering] = {}


def answering(topic: str) -> Answering:
    """Return (firmware, answer topics) for each firmware whose clocks answer a command on topic (under a prefix)."""
    found = _FIXED.get(topic)
    if found is not None:
        return found
    found = _NAMED.get(topic)
    if found is None:
        if len(_NAMED) >= _NAMED_KEPT:
            _NAMED.clear()
        found = _NAMED[topic] = _compute(topic)
    return found


def is_answer(topic: str) -> bool:
    """Return True when topic (under a prefix) is where a clock answers a command: it is routed to no subscriber."""
    return any(firmware.is_result(topic) for firmware in CLOCKS)


def trees_of(filters: Iterable[str]) -> set[str]:
    """Return the firmware trees a connection's filters (under its prefix) cover: firmware names, or "other"."""
    trees = set()
    for topic_filter in filters:
        owners = [firmware.name for firmware in CLOCKS if topic_filter in firmware.listens]
        trees.update(owners or (OTHER,))
    return trees


def listening(subscribers: dict[Hashable, set[str]], prefix_length: int) -> tuple[int, frozenset[str]]:
    """Return (connections, trees) for a token's subscribers and their filters (full filters, prefix included)."""
    trees: set[str] = set()
    for filters in subscribers.values():
        trees |= trees_of(topic_filter[prefix_length:] for topic_filter in filters)
    return len(subscribers), frozenset(trees)
