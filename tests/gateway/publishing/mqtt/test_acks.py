"""PendingAcks: PUBACKs find their publish whichever arrives first, and stale ones never match."""

import threading
import time

from gateway.publishing.mqtt.acks import PendingAcks


def test_ack_that_arrives_before_the_claim_is_kept_for_it() -> None:
    acks = PendingAcks()
    sent_at = time.monotonic()
    acks.acked(7, 0)
    ack = acks.claim(7, sent_at)
    assert ack.done.is_set()
    assert (ack.reason_code, ack.lost) == (0, False)


def test_ack_that_arrives_after_the_claim_wakes_the_waiter() -> None:
    acks = PendingAcks()
    ack = acks.claim(7, time.monotonic())
    assert not ack.done.is_set()
    threading.Thread(target=acks.acked, args=(7, 16)).start()
    assert ack.done.wait(5)
    assert ack.reason_code == 16


def test_entry_older_than_the_publish_belongs_to_an_earlier_message() -> None:
    acks = PendingAcks()
    acks.acked(7, 0)  # a late PUBACK for an earlier message with packet id 7
    ack = acks.claim(7, time.monotonic())
    assert not ack.done.is_set()
    assert ack.reason_code is None


def test_released_ack_leaves_nothing_behind() -> None:
    acks = PendingAcks()
    ack = acks.claim(7, time.monotonic())
    acks.acked(7, 0)
    acks.release(7, ack)
    assert len(acks) == 0


def test_abandoned_ack_is_removed_by_its_late_puback() -> None:
    acks = PendingAcks()
    ack = acks.claim(7, time.monotonic())
    acks.release(7, ack)  # the waiter timed out
    assert len(acks) == 1
    acks.acked(7, 0)
    assert len(acks) == 0
    assert not ack.done.is_set()


def test_abandoned_entry_is_replaced_when_the_packet_id_is_reused() -> None:
    acks = PendingAcks()
    acks.release(7, acks.claim(7, time.monotonic()))
    fresh = acks.claim(7, time.monotonic())
    assert not fresh.abandoned
    acks.acked(7, 0)
    assert fresh.done.is_set()


def test_lose_all_wakes_only_waiters_without_a_puback() -> None:
    acks = PendingAcks()
    answered, waiting = acks.claim(1, time.monotonic()), acks.claim(2, time.monotonic())
    acks.acked(1, 0)
    acks.lose_all()
    assert (answered.lost, waiting.lost) == (False, True)
    assert waiting.done.is_set()
