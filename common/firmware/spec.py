"""The shape of a firmware's table: its modes (topics under the device's prefix), their bodies, its limits, its replies."""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

# App and notification names on AWTRIX 3 and NG (a name becomes a file name on the clock).
NAME = re.compile(r"[A-Za-z0-9_-]{1,32}")
# What the broker calls a connection whose subscriptions belong to no firmware (e.g. a mosquitto_sub on #).
OTHER = "other"


class BodyRule(Enum):
    """What body a mode accepts; the value is how an error message describes it."""

    OBJECT = "a JSON object"
    OBJECT_OR_EMPTY = "a JSON object or an empty body"
    OBJECTS = "a JSON object or an array of objects"
    OBJECTS_OR_EMPTY = "a JSON object, an array of objects or an empty body"
    IGNORED = "any body; it is not forwarded"
    STRING = "a JSON string"


@dataclass(frozen=True)
class Firmware:
    """One firmware dialect: the modes a webhook may name for it, what its clocks can take, and how they answer."""

    name: str
    title: str
    # mode -> body rule; a mode is also the topic under the device's prefix it is published to
    modes: Mapping[str, BodyRule]
    # modes a webhook may use only when the operator lists them in EXTRA_MODES
    dangerous: frozenset[str] = frozenset()
    # "<prefix><name>" modes, e.g. custom/<app>: prefix -> the body they take
    named: Mapping[str, BodyRule] = field(default_factory=dict)
    # names a named mode may not use although they match NAME (NG reads cmd/.../result as a reply)
    reserved_names: frozenset[str] = frozenset()
    # the largest MQTT packet (fixed header, topic and payload) the clock reads; larger ones it drops unread
    max_packet_bytes: int | None = None
    # mode (or named prefix) -> size of the ArduinoJson document the clock parses that body into
    documents: Mapping[str, int] = field(default_factory=dict)
    # the most containers (objects, arrays) the clock's JSON reader allows around any value
    max_value_depth: int | None = None
    # STRING modes -> the longest text the clock takes without harm
    text_limits: Mapping[str, int] = field(default_factory=dict)
    # the filters (under the prefix) a clock of this firmware subscribes to: they tell the broker who listens
    listens: frozenset[str] = frozenset()
    # every routed command is answered on "<mode><result_suffix>" (NG: "/result"), a topic only the gateway reads
    result_suffix: str | None = None
    # command -> what the clock publishes in answer before its result, or instead of one (AWTRIX 3 sendscreen)
    replies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # a topic a clock of this firmware subscribes to and ignores: a publish there tells whether one listens
    probe: str | None = None

    def safe_modes(self) -> list[str]:
        """Return the fixed modes that need no operator consent, plus the named forms (e.g. custom/<app>)."""
        names = [mode for mode in self.modes if mode not in self.dangerous]
        return names + [f"{prefix}<name>" for prefix in self.named]

    def rule_of(self, mode: str) -> BodyRule | None:
        """Return the body rule of a fixed or named mode of this firmware (not checking the name), or None."""
        rule = self.modes.get(mode)
        if rule is not None:
            return rule
        prefix = self.named_prefix_of(mode)
        return None if prefix is None else self.named[prefix]

    def named_prefix_of(self, mode: str) -> str | None:
        """Return the named-mode prefix mode starts with, or None."""
        for prefix in self.named:
            if mode.startswith(prefix):
                return prefix
        return None

    def answers(self, mode: str) -> tuple[str, ...]:
        """Return the topics a clock publishes in answer to mode, in order (the last is the verdict); () if none."""
        if self.rule_of(mode) is None:
            return ()
        before = self.replies.get(mode, ())
        return (*before, mode + self.result_suffix) if self.result_suffix else before

    def is_result(self, topic: str) -> bool:
        """Return True when topic (under a prefix) is where this firmware answers a command: only the gateway reads it."""
        suffix = self.result_suffix
        return suffix is not None and topic.endswith(suffix) and self.rule_of(topic[: -len(suffix)]) is not None

    def receiving_filter(self, topic: str) -> str | None:
        """Return the filter of this firmware's own subscriptions that brings it topic, or None."""
        for topic_filter in self.listens:
            if topic_filter == topic or (topic_filter.endswith("/#") and topic.startswith(topic_filter[:-1])):
                return topic_filter
        return None

    def document_of(self, mode: str) -> int | None:
        """Return the size of the JSON document the clock parses mode's body into, or None."""
        if mode in self.documents:
            return self.documents[mode]
        prefix = self.named_prefix_of(mode)
        return self.documents.get(prefix) if prefix is not None else None
