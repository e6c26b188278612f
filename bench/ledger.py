"""Check every webhook of a soak by message id: its answer against what the devices received."""

from collections import Counter
from dataclasses import dataclass, field

from bench.fleet import Receipts
from bench.paced import ANSWER_CODES, UNANSWERED

DELIVERED, UNDELIVERED, FAILED, OTHER = (ANSWER_CODES[kind] for kind in ("delivered", "undelivered", "failed", "other"))
EXAMPLES = 5  # ids shown per kind of failure


@dataclass(frozen=True)
class Addressing:
    """Which token each message id went to, and which tokens had a device subscribed throughout."""

    tokens: int  # message n went to token number n % tokens
    devices: int  # tokens 0..devices-1 had a device subscribed when the run started
    dropped: frozenset[int] = frozenset()  # of those, the ones whose device's connection ended

    def token_of(self, message_id: int) -> int:
        """Return the number of the token message_id was sent to."""
        return message_id % self.tokens

    def had_device(self, message_id: int) -> bool:
        """Return True when a device of that message's token was subscribed for the whole run."""
        token = self.token_of(message_id)
        return token < self.devices and token not in self.dropped


@dataclass
class Ledger:
    """The run's figures by message id, and every way it broke the promise (empty: it kept it)."""

    sent: int
    answers: Counter[str]  # answer letter -> count
    received: int  # messages carrying an id that devices received, copies included
    duplicates: int  # ids received more than once
    missing: int  # answered delivered:true, never received
    misrouted: int  # received by a device whose token is not the message's "to", or on another topic
    received_after_202: int  # answered delivered:false, received anyway
    received_unconfirmed: int  # answered 5xx or other, or unanswered, and received (a 503 broker_timeout may be)
    unlabelled: int  # messages without an id received during the run: nothing sent then should have caused them
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Return True when nothing broke the promise."""
        return not self.failures


def _ids(label: str, ids: list[int]) -> str:
    shown = ", ".join(str(i) for i in ids[:EXAMPLES])
    return f"{len(ids):,} {label} (ids {shown}{', ...' if len(ids) > EXAMPLES else ''})"


def check(by_id: str, receipts: Receipts, addressing: Addressing, unlabelled: int = 0) -> Ledger:
    """Hold each answer against the receipts: delivered:true once at its device, 202 only without a device, no 5xx.

    unlabelled: messages without an id that the devices received meanwhile (late copies of earlier traffic).
    """
    counts = receipts.counts
    times = [counts[i] if i < len(counts) else 0 for i in range(len(by_id))]
    answered_true = [i for i, code in enumerate(by_id) if code == DELIVERED]
    answered_202 = [i for i, code in enumerate(by_id) if code == UNDELIVERED]
    duplicates = [i for i, n in enumerate(times) if n > 1]
    missing = [i for i in answered_true if times[i] == 0]
    after_202 = [i for i in answered_202 if times[i]]
    unconfirmed = [i for i, code in enumerate(by_id) if code in (FAILED, OTHER, UNANSWERED) and times[i]]
    answers = Counter(by_id)
    failures = []
    if not by_id:
        failures.append("no webhook was sent")
    if duplicates:
        failures.append(_ids("ids received more than once", duplicates))
    if missing:
        failures.append(_ids("answered delivered:true but never received", missing))
    if receipts.misrouted:
        examples = ", ".join(f"id {i} at {token}" for i, token in receipts.misrouted_examples[:EXAMPLES])
        failures.append(f"{receipts.misrouted:,} messages reached a device they were not addressed to ({examples})")
    if unknown := sum(counts[len(by_id) :]):
        failures.append(f"{unknown:,} messages with ids that were never sent")
    if after_202:
        failures.append(_ids("answered 202 (no device) but received", after_202))
    if wrong_202 := [i for i in answered_202 if addressing.had_device(i)]:
        failures.append(_ids("answered 202 although the token's device was subscribed throughout", wrong_202))
    if phantom := [i for i in answered_true if addressing.token_of(i) >= addressing.devices]:
        failures.append(_ids("answered delivered:true for a token that has no device", phantom))
    if answers[FAILED]:
        failures.append(f"{answers[FAILED]:,} answers were 5xx")
    if answers[OTHER]:
        failures.append(f"{answers[OTHER]:,} answers were neither 2xx nor 5xx")
    if answers[UNANSWERED]:
        failures.append(f"{answers[UNANSWERED]:,} requests got no answer")
    if unlabelled:
        failures.append(f"{unlabelled:,} messages without an id arrived during the run")
    return Ledger(
        sent=len(by_id),
        answers=answers,
        received=receipts.labelled,
        duplicates=len(duplicates),
        missing=len(missing),
        misrouted=receipts.misrouted,
        received_after_202=len(after_202),
        received_unconfirmed=len(unconfirmed),
        unlabelled=unlabelled,
        failures=failures,
    )
