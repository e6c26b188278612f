"""What the gateway clears on a broker that keeps retained messages, so that nothing a device retains outlives it.

Mosquitto must accept retained messages, or AWTRIX NG (whose will is retained) cannot connect. NG retains its
availability and state/... while it is connected; once its will says offline, every gateway connection clears
those topics with empty retained publishes (retained_by_ng). Anything else a device leaves retained where it may
publish (stats/..., screen, other state/... topics) is found and cleared by a sweep each gateway connection runs
at start and every SWEEP_S: it subscribes to SWEPT for a moment, and clears what arrives flagged retained.
"""

from common.firmware import awtrix_ng
from common.topics import TOPIC_ROOT, namespace, token_of_topic

SWEEP_S = 60.0
SWEPT = (f"{TOPIC_ROOT}/+/stats/#", f"{TOPIC_ROOT}/+/screen", f"{TOPIC_ROOT}/+/state/#")


def retained_by_ng(token: str) -> list[str]:
    """Return the topics an NG clock of token retains, to clear once it is offline."""
    return [namespace(token) + suffix for suffix in awtrix_ng.RETAINED_TOPICS]


def foreign_retained(topic: str) -> bool:
    """Return True for a retained message in a device's namespace that no clock keeps there while connected."""
    token = token_of_topic(topic)
    suffix = topic[len(namespace(token)) :] if token is not None else ""
    if suffix.startswith("state/"):
        return suffix not in awtrix_ng.RETAINED_TOPICS
    return suffix == "screen" or suffix == "stats" or suffix.startswith("stats/")
