"""Topic matching and the token-indexed subscription table."""

import pytest

from broker.routing import SubscriptionIndex, topic_matches

T = "abcdefghijkl"
U = "mnopqrstuvwx"


@pytest.mark.parametrize(
    ("topic_filter", "topic", "expected"),
    [
        (f"awtrix/{T}/notify", f"awtrix/{T}/notify", True),
        (f"awtrix/{T}/notify", f"awtrix/{T}/notify/dismiss", False),
        (f"awtrix/{T}/#", f"awtrix/{T}/notify", True),
        (f"awtrix/{T}/#", f"awtrix/{T}/custom/solar", True),
        (f"awtrix/{T}/+", f"awtrix/{T}/notify", True),
        (f"awtrix/{T}/+", f"awtrix/{T}/custom/solar", False),
        (f"awtrix/{T}/+/solar", f"awtrix/{T}/custom/solar", True),
        (f"awtrix/{T}/custom/#", f"awtrix/{T}/custom", True),
        (f"awtrix/{T}/notify", f"awtrix/{U}/notify", False),
    ],
)
def test_topic_matches(topic_filter: str, topic: str, expected: bool) -> None:
    assert topic_matches(topic_filter, topic) is expected


def test_index_matches_only_the_topics_token() -> None:
    index = SubscriptionIndex()
    index.add("a", f"awtrix/{T}/#", 0)
    index.add("b", f"awtrix/{U}/#", 1)
    assert index.match(f"awtrix/{T}/notify") == {"a": 0}
    assert index.match(f"awtrix/{U}/notify") == {"b": 1}
    assert index.match("elsewhere/notify") == {}


def test_index_reports_a_subscriber_once_with_its_highest_qos() -> None:
    index = SubscriptionIndex()
    index.add("a", f"awtrix/{T}/#", 0)
    index.add("a", f"awtrix/{T}/notify", 1)
    assert index.match(f"awtrix/{T}/notify") == {"a": 1}


def test_index_refuses_filters_outside_any_namespace() -> None:
    index = SubscriptionIndex()
    assert not index.add("a", "#", 0)
    assert not index.add("a", "awtrix/+/notify", 0)
    assert len(index) == 0


def test_index_remove_and_remove_all_leave_nothing_behind() -> None:
    index = SubscriptionIndex()
    index.add("a", f"awtrix/{T}/notify", 0)
    index.add("a", f"awtrix/{T}/stats", 0)
    index.add("b", f"awtrix/{T}/notify", 0)
    assert index.remove("a", f"awtrix/{T}/notify")
    assert not index.remove("a", f"awtrix/{T}/notify")
    assert index.filters_of("a") == {f"awtrix/{T}/stats"}
    assert index.remove_all("a") == 1
    assert index.remove_all("b") == 1
    assert len(index) == 0
    assert index._by_token == {}
