"""Index device subscriptions by token so routing cost does not grow with the number of devices."""

from collections.abc import Hashable

from common.topics import token_of_topic


def topic_matches(topic_filter: str, topic: str) -> bool:
    """Return True when an MQTT topic filter matches a topic name."""
    if "+" not in topic_filter and "#" not in topic_filter:
        return topic_filter == topic
    filter_levels = topic_filter.split("/")
    topic_levels = topic.split("/")
    for index, level in enumerate(filter_levels):
        if level == "#":
            return True
        if index >= len(topic_levels) or level not in ("+", topic_levels[index]):
            return False
    return len(filter_levels) == len(topic_levels)


class SubscriptionIndex:
    """Subscriptions grouped by the token whose namespace holds their filter.

    Every device filter lies inside one token's namespace (the ACL guarantees it), so a publish
    only has to be matched against the filters of the token in its topic.
    """

    def __init__(self) -> None:
        """Start empty."""
        self._by_token: dict[str, dict[str, dict[Hashable, int]]] = {}
        self._by_subscriber: dict[Hashable, set[tuple[str, str]]] = {}

    def add(self, subscriber: Hashable, topic_filter: str, qos: int) -> bool:
        """Record a subscription; return False when the filter belongs to no token."""
        token = token_of_topic(topic_filter)
        if token is None:
            return False
        self._by_token.setdefault(token, {}).setdefault(topic_filter, {})[subscriber] = qos
        self._by_subscriber.setdefault(subscriber, set()).add((token, topic_filter))
        return True

    def remove(self, subscriber: Hashable, topic_filter: str) -> bool:
        """Forget one subscription; return True when it existed."""
        token = token_of_topic(topic_filter)
        owned = self._by_subscriber.get(subscriber)
        if token is None or owned is None or (token, topic_filter) not in owned:
            return False
        owned.discard((token, topic_filter))
        if not owned:
            del self._by_subscriber[subscriber]
        self._forget(token, topic_filter, subscriber)
        return True

    def remove_all(self, subscriber: Hashable) -> int:
        """Forget every subscription of a subscriber; return how many there were."""
        owned = self._by_subscriber.pop(subscriber, set())
        for token, topic_filter in owned:
            self._forget(token, topic_filter, subscriber)
        return len(owned)

    def match(self, topic: str) -> dict[Hashable, int]:
        """Return each subscriber whose filters match topic, with its highest granted QoS."""
        token = token_of_topic(topic)
        filters = self._by_token.get(token) if token is not None else None
        if not filters:
            return {}
        matched: dict[Hashable, int] = {}
        for topic_filter, subscribers in filters.items():
            if topic_matches(topic_filter, topic):
                for subscriber, qos in subscribers.items():
                    matched[subscriber] = max(qos, matched.get(subscriber, 0))
        return matched

    def holds(self, subscriber: Hashable, topic_filter: str) -> bool:
        """Return True when subscriber holds exactly this filter."""
        token = token_of_topic(topic_filter)
        owned = self._by_subscriber.get(subscriber)
        return owned is not None and (token, topic_filter) in owned

    def subscribers_of(self, token: str) -> dict[Hashable, set[str]]:
        """Return every subscriber holding a filter in token's namespace, with those filters."""
        found: dict[Hashable, set[str]] = {}
        for topic_filter, subscribers in self._by_token.get(token, {}).items():
            for subscriber in subscribers:
                found.setdefault(subscriber, set()).add(topic_filter)
        return found

    def filters_of(self, subscriber: Hashable) -> set[str]:
        """Return the filters a subscriber holds."""
        return {topic_filter for _, topic_filter in self._by_subscriber.get(subscriber, set())}

    def __len__(self) -> int:
        """Return the number of subscriptions held."""
        return sum(len(owned) for owned in self._by_subscriber.values())

    def _forget(self, token: str, topic_filter: str, subscriber: Hashable) -> None:
        filters = self._by_token[token]
        subscribers = filters[topic_filter]
        subscribers.pop(subscriber, None)
        if not subscribers:
            del filters[topic_filter]
            if not filters:
                del self._by_token[token]
