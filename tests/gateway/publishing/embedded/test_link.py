"""The gateway's link to the embedded broker used pipelined: many publishes in one write, answers as they come."""

import secrets
import select

import pytest

from gateway.publishing.embedded.link import BrokerLink, LinkDown
from tests.gateway.conftest import WAIT_S, embedded_settings
from tests.support.clients import Clients
from tests.support.embedded import EmbeddedBroker


def read_answers(link: BrokerLink, expected: int) -> list[list[tuple[int, int | None]]]:
    """Collect answers until expected have arrived; return them grouped by the read that brought them."""
    reads: list[list[tuple[int, int | None]]] = []
    while sum(map(len, reads)) < expected:
        assert select.select([link], [], [], WAIT_S)[0], f"only {sum(map(len, reads))} of {expected} answers came"
        reads.append(link.answers())
    return reads


def test_pipelined_publishes_get_their_own_receipts_in_order_in_one_write(
    embedded_broker: EmbeddedBroker, mqtt: Clients, token: str
) -> None:
    clock = mqtt.device(token)
    assert clock.subscribe(f"awtrix/{token}/#") == [0]
    link = BrokerLink.open(embedded_settings(embedded_broker), f"gateway-test-{secrets.token_hex(4)}", WAIT_S)
    link.nonblocking()
    try:
        absent = f"awtrix/{token}x/notify"  # another namespace: nobody listens there
        ids = [link.queue(f"awtrix/{token}/notify" if n % 2 else absent, b'{"n":%d}' % n) for n in range(50)]
        assert link.flush()  # a few KB: the socket takes them at once
        reads = read_answers(link, 50)
    finally:
        link.close()
    answers = [(packet_id, receipt.reached) for read in reads for packet_id, receipt in read]  # type: ignore[union-attr]
    assert answers == [(packet_id, n % 2) for n, packet_id in enumerate(ids)]
    assert len(reads) == 1  # the broker answered the whole batch, receipts and PUBACKs, with one write
    for n in range(1, 50, 2):
        clock.expect_only(f"awtrix/{token}/notify", b'{"n":%d}' % n)


def test_answers_raises_link_down_once_the_broker_has_closed_the_link(embedded_broker: EmbeddedBroker) -> None:
    link = BrokerLink.open(embedded_settings(embedded_broker), f"gateway-test-{secrets.token_hex(4)}", WAIT_S)
    link.nonblocking()
    assert link.answers() == []  # nothing has arrived, and answers() does not wait for anything
    link.queue("awtrix/#", b"{}")  # a wildcard in a PUBLISH topic breaks the protocol: the broker closes
    assert link.flush()
    with pytest.raises(LinkDown):
        for _ in range(10):
            assert select.select([link], [], [], WAIT_S)[0]
            assert link.answers() == []
    assert link.closed
