"""The broker's counts: plain ints the hub and its connections bump, read by broker/metrics.py when Prometheus scrapes.

Nothing here is per connection: an idle device costs nothing, and a counted event costs an attribute increment.
Counted whether or not METRICS_PORT is set (it is cheaper than asking); only the listener is optional.
"""

from common.mqtt_codec import MalformedPacket, PacketTooLarge

LOGIN_REFUSALS = ("invalid_username", "bad_gateway_secret", "client_id_rejected", "unsupported_protocol")
DROPS = ("acl", "oversize", "no_subscriber", "subscriber_not_keeping_up")
LAG_BUCKETS_S = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class BrokerStats:
    """Everything the broker counts, in plain ints (one event loop bumps them; a scrape copies them on that loop)."""

    def __init__(self) -> None:
        """Start at zero."""
        self.connections_opened = self.connections_refused = 0
        self.keepalive_expired = self.connect_timeouts = self.protocol_errors = 0
        self.messages_routed = self.deliveries = 0
        self.bytes_in = self.bytes_out = 0
        self.logins_refused = dict.fromkeys(LOGIN_REFUSALS, 0)
        self.dropped = dict.fromkeys(DROPS, 0)
        self.lag = [0] * (len(LAG_BUCKETS_S) + 1)  # the last one is +Inf
        self.lag_sum_s = 0.0

    def routed(self, matched: int, reached: int) -> None:
        """Count a message some subscriptions matched: reached of the matched connections took it."""
        if reached:
            self.messages_routed += 1
            self.deliveries += reached
        self.dropped["subscriber_not_keeping_up"] += matched - reached

    def timed_out(self, logged_in: bool) -> None:
        """Count a connection closed for silence: past 1.5 x its keep-alive, or without a CONNECT in time."""
        if logged_in:
            self.keepalive_expired += 1
        else:
            self.connect_timeouts += 1

    def malformed(self, error: MalformedPacket) -> None:
        """Count a connection closed for breaking the protocol; a packet over the size limit is a dropped message."""
        if isinstance(error, PacketTooLarge):
            self.dropped["oversize"] += 1
        else:
            self.protocol_errors += 1

    def lagged(self, lag_s: float) -> None:
        """Count one measurement of how late the event loop ran a timer."""
        index = next((i for i, bound in enumerate(LAG_BUCKETS_S) if lag_s <= bound), len(LAG_BUCKETS_S))
        self.lag[index] += 1
        self.lag_sum_s += lag_s
