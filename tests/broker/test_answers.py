"""The embedded broker says who listens, and hands each clock's answer to the gateway publish it answers, only."""

import json

from common.topics import topic_for
from tests.support.clients import Clients
from tests.support.devices.awtrix3 import SCREEN, Awtrix3
from tests.support.devices.awtrix_ng import AwtrixNg
from tests.support.embedded import EmbeddedBroker
from tests.support.relays import Relay

OK = b'{"ok":true}'


def ng(relay: Relay, token: str, **options: object) -> AwtrixNg:
    return AwtrixNg(relay.host, relay.device_port, token, **options).start()  # type: ignore[arg-type]


def test_receipt_of_a_token_without_connections_says_so(mqtt: Clients, token: str) -> None:
    receipt = mqtt.gateway().receipt(topic_for(token, "notify"), b"{}")
    assert (receipt.reached, receipt.connections, receipt.trees, receipt.awaiting) == (0, 0, frozenset(), 0)


def test_receipt_names_the_tree_a_clock_listens_under(relay: Relay, mqtt: Clients, token: str) -> None:
    gateway = mqtt.gateway()
    clock = Awtrix3(relay.host, relay.device_port, token).start()
    try:
        receipt = gateway.receipt(topic_for(token, "cmd/notify"), b"{}")
        assert (receipt.reached, receipt.connections, receipt.trees) == (0, 1, frozenset({"awtrix3"}))
        other = mqtt.device(token)
        other.subscribe(f"awtrix/{token}/stats")
        assert gateway.receipt(topic_for(token, "cmd/notify"), b"{}").trees == frozenset({"awtrix3", "other"})
    finally:
        clock.close()


def test_ng_answer_goes_to_the_gateway_publish_it_answers(relay: Relay, mqtt: Clients, token: str) -> None:
    gateway = mqtt.gateway()
    clock = ng(relay, token)
    try:
        first = gateway.receipt(topic_for(token, "cmd/notify"), b'{"text":"one"}')
        second = gateway.receipt(topic_for(token, "cmd/notify"), b'{"color":[1,2,3]}')
        assert (first.reached, first.awaiting, second.awaiting) == (1, 1, 1)
        assert gateway.next_reply() == (1, "cmd/notify/result", OK)
        sequence, topic, refusal = gateway.next_reply()
        assert (sequence, topic) == (2, "cmd/notify/result")
        assert json.loads(refusal)["error"]["field"] == "color"
    finally:
        clock.close()


def test_ng_results_reach_no_device_not_even_of_the_same_token(relay: Relay, mqtt: Clients, token: str) -> None:
    gateway, watcher = mqtt.gateway(), mqtt.device(token)
    watcher.subscribe(f"awtrix/{token}/#")
    clock = ng(relay, token)
    try:
        gateway.receipt(topic_for(token, "cmd/apps/next"), b"")
        assert gateway.next_reply()[1] == "cmd/apps/next/result"
        watcher.sync()
        seen = []
        while not watcher.messages.empty():
            seen.append(watcher.messages.get().topic)
        assert f"awtrix/{token}/cmd/apps/next" in seen
        assert not any(topic.endswith("/result") for topic in seen)
    finally:
        clock.close()


def test_screen_get_is_answered_with_the_screen_then_the_result(relay: Relay, mqtt: Clients, token: str) -> None:
    gateway = mqtt.gateway()
    clock = ng(relay, token)
    try:
        assert gateway.receipt(topic_for(token, "cmd/screen/get"), b"").awaiting == 2
        assert [gateway.next_reply()[1], gateway.next_reply()[1]] == ["state/screen", "cmd/screen/get/result"]
    finally:
        clock.close()


def test_awtrix3_sendscreen_is_answered_with_its_screen_which_its_subscribers_still_see(
    relay: Relay, mqtt: Clients, token: str
) -> None:
    gateway, watcher = mqtt.gateway(), mqtt.device(token)
    watcher.subscribe(f"awtrix/{token}/screen")
    clock = Awtrix3(relay.host, relay.device_port, token).start()
    try:
        assert gateway.receipt(topic_for(token, "sendscreen"), b"").awaiting == 1
        assert gateway.next_reply() == (1, "screen", SCREEN)
        watcher.expect_only(f"awtrix/{token}/screen", SCREEN)
    finally:
        clock.close()


def test_two_ng_clocks_of_one_token_each_answer_their_own(relay: Relay, mqtt: Clients, token: str) -> None:
    gateway = mqtt.gateway()
    clocks = [ng(relay, token), ng(relay, token)]
    try:
        receipt = gateway.receipt(topic_for(token, "cmd/notify"), b'{"text":"both"}')
        assert (receipt.reached, receipt.awaiting) == (2, 2)
        assert [gateway.next_reply(), gateway.next_reply()] == [(1, "cmd/notify/result", OK)] * 2
    finally:
        for clock in clocks:
            clock.close()


def test_nothing_is_kept_once_every_answer_came_or_the_clock_left(
    relay: Relay, embedded_broker: EmbeddedBroker, mqtt: Clients, token: str
) -> None:
    gateway = mqtt.gateway()
    clock = ng(relay, token)
    gateway.receipt(topic_for(token, "cmd/notify"), b'{"text":"x"}')
    gateway.next_reply()
    assert embedded_broker.call(lambda: len(embedded_broker.broker.hub.answers)) == 0  # type: ignore[union-attr]
    clock.answering = False
    gateway.receipt(topic_for(token, "cmd/notify"), b'{"text":"y"}')
    assert embedded_broker.call(lambda: len(embedded_broker.broker.hub.answers)) == 1  # type: ignore[union-attr]
    clock.close()
    gateway.sync()
    for _ in range(100):
        if embedded_broker.call(lambda: len(embedded_broker.broker.hub.answers)) == 0:  # type: ignore[union-attr]
            break
    assert embedded_broker.call(lambda: len(embedded_broker.broker.hub.answers)) == 0  # type: ignore[union-attr]
