"""Matching NG answers to commands in the broker's order, with several gateways publishing (mqtt/observer.py)."""

from gateway.publishing.mqtt.observer import Observer
from gateway.publishing.mqtt.retained import foreign_retained

T = "abcdefghijklmnop"
NOTIFY, RESULT = f"awtrix/{T}/cmd/notify", f"awtrix/{T}/cmd/notify/result"


def test_each_answer_goes_to_the_oldest_unanswered_command_whoever_published_it() -> None:
    observer = Observer()
    mine = observer.expect(b"me-2", "cmd/notify")
    for correlation in (b"other-1", b"me-2", b"other-3"):  # three gateways' commands, in the broker's order
        observer.seen(NOTIFY, b"{}", correlation)
    observer.seen(RESULT, b'{"ok":false}', None)
    assert not mine.done.is_set()
    observer.seen(RESULT, b'{"ok":true}', None)
    assert observer.wait(b"me-2", mine, 0) == (("cmd/notify/result", b'{"ok":true}'),)
    assert len(observer) == 1


def test_screen_get_collects_the_screen_then_the_result() -> None:
    observer = Observer()
    waiter = observer.expect(b"me-1", "cmd/screen/get")
    observer.seen(f"awtrix/{T}/cmd/screen/get", b"", b"me-1")
    observer.seen(f"awtrix/{T}/state/screen", b"[1]", None)
    assert not waiter.done.is_set()
    observer.seen(f"awtrix/{T}/cmd/screen/get/result", b'{"ok":true}', None)
    assert observer.wait(b"me-1", waiter, 0) == (("state/screen", b"[1]"), ("cmd/screen/get/result", b'{"ok":true}'))


def test_a_clock_coming_or_going_forgets_what_was_owed_and_offline_asks_for_a_clearing() -> None:
    observer = Observer()
    observer.seen(NOTIFY, b"{}", b"lost")  # reached no clock: it will never be answered
    assert observer.seen(f"awtrix/{T}/availability", b"online", None) is None
    waiter = observer.expect(b"me-1", "cmd/notify")
    observer.seen(NOTIFY, b"{}", b"me-1")
    observer.seen(RESULT, b'{"ok":true}', None)
    assert observer.wait(b"me-1", waiter, 0) == (("cmd/notify/result", b'{"ok":true}'),)
    assert observer.seen(f"awtrix/{T}/availability", b"offline", None) == T


def test_a_waiter_without_answer_gets_nothing_in_time() -> None:
    observer = Observer()
    waiter = observer.expect(b"me-1", "cmd/notify")
    assert observer.wait(b"me-1", waiter, 0.05) == ()


def test_only_what_no_clock_keeps_is_swept() -> None:
    assert foreign_retained(f"awtrix/{T}/stats/anything")
    assert foreign_retained(f"awtrix/{T}/screen")
    assert foreign_retained(f"awtrix/{T}/state/rogue")
    assert not foreign_retained(f"awtrix/{T}/state/device")  # NG keeps it while connected
    assert not foreign_retained(f"awtrix/{T}/availability")
