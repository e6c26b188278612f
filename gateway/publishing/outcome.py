"""What a publish came to: how many devices got it, who listens when none did, and what the clocks answered."""

from typing import NamedTuple

from common.receipts import Receipt

# The clocks' answers to one publish: (topic under the prefix, the clock's bytes), in the order they came.
Replies = tuple[tuple[str, bytes], ...]


class Outcome(NamedTuple):
    """The broker's account of one publish (a tuple: one is made per webhook, it must be cheap)."""

    reached: int | None  # devices it was handed to; None: the broker cannot say (MQTT 3.1.1 without receipts)
    connections: int | None = None  # when it reached none: the token's connections that subscribe to anything
    trees: frozenset[str] | None = None  # ... and the firmware trees they listen under; None: unknown
    replies: Replies | None = None  # the clocks' answers that came in time; None: none was announced or waited for
    busy: int = 0  # clocks that did not get it because they still owe many answers

    @classmethod
    def of(cls, receipt: Receipt | None, replies: Replies | None = None) -> "Outcome":
        """Return the outcome a receipt (None: none came) and the answers gathered for it describe."""
        if receipt is None:
            return cls(None)
        # tuple.__new__ directly: a NamedTuple's own __new__ is a Python function, and this runs once per webhook.
        return tuple.__new__(cls, (receipt.reached, receipt.connections, receipt.trees, replies, receipt.busy))
