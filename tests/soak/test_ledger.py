"""The soak's checker (bench/ledger.py) catches every way a run can break the promise, and passes a clean run."""

import pytest

from bench.fleet import Receipts
from bench.ledger import Addressing, check

# Four tokens: 0 and 1 have a device, 2 and 3 have none. Message n goes to token n % 4.
ADDRESSING = Addressing(tokens=4, devices=2)
CLEAN = "DDUU" * 2


def receipts(*counts: int, misrouted: list[tuple[int, str]] | None = None, dropped: list[int] | None = None) -> Receipts:
    """Receipts with counts[id] copies of each message, and the given misrouted examples."""
    wrong = misrouted or []
    return Receipts(bytearray(counts), sum(counts), len(wrong), wrong, dropped or [])


def test_clean_run_passes_with_its_figures() -> None:
    ledger = check(CLEAN, receipts(1, 1, 0, 0, 1, 1), ADDRESSING)
    assert ledger.passed, ledger.failures
    assert (ledger.sent, ledger.received, ledger.answers["D"], ledger.answers["U"]) == (8, 4, 4, 4)
    assert (ledger.duplicates, ledger.missing, ledger.misrouted) == (0, 0, 0)


@pytest.mark.parametrize(
    ("by_id", "counts", "misrouted", "failure"),
    [
        (CLEAN, (1, 2, 0, 0, 1, 1), [], "1 ids received more than once (ids 1)"),
        (CLEAN, (1, 1, 0, 0, 0, 1), [], "1 answered delivered:true but never received (ids 4)"),
        (CLEAN, (1, 1, 0, 0, 1, 1), [(5, "soak-device-000000")], "1 messages reached a device they were not addressed to"),
        (CLEAN, (1, 1, 1, 0, 1, 1), [], "1 answered 202 (no device) but received (ids 2)"),
        ("DUUU", (1,), [], "1 answered 202 although the token's device was subscribed throughout (ids 1)"),
        ("DDDU", (1, 1, 1), [], "1 answered delivered:true for a token that has no device (ids 2)"),
        ("DDFU", (1, 1), [], "1 answers were 5xx"),
        ("DDOU", (1, 1), [], "1 answers were neither 2xx nor 5xx"),
        ("DD-U", (1, 1), [], "1 requests got no answer"),
        ("DD", (1, 1, 0, 1), [], "1 messages with ids that were never sent"),
        ("", (), [], "no webhook was sent"),
    ],
)
def test_each_broken_promise_fails_the_run(
    by_id: str, counts: tuple[int, ...], misrouted: list[tuple[int, str]], failure: str
) -> None:
    ledger = check(by_id, receipts(*counts, misrouted=misrouted), ADDRESSING)
    assert not ledger.passed
    assert any(reason.startswith(failure) for reason in ledger.failures), ledger.failures


def test_202_for_a_token_whose_device_dropped_is_not_a_failure() -> None:
    dropped = Addressing(tokens=4, devices=2, dropped=frozenset({1}))
    assert check("DUUU", receipts(1), dropped).passed


def test_stray_message_without_an_id_fails_the_run() -> None:
    ledger = check(CLEAN, receipts(1, 1, 0, 0, 1, 1), ADDRESSING, unlabelled=1)
    assert ledger.failures == ["1 messages without an id arrived during the run"]


def test_message_received_after_a_5xx_is_counted_not_failed_for_itself() -> None:
    ledger = check("DF", receipts(1, 1), Addressing(tokens=1, devices=1))
    assert ledger.received_unconfirmed == 1
    assert ledger.failures == ["1 answers were 5xx"]
