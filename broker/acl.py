"""Confine each device to its token's namespace; let only the gateway publish into any namespace."""

from common.tokens import is_valid_token
from common.topics import filter_in_namespace, token_of_topic, topic_in_namespace


def gateway_may_publish(topic: str) -> bool:
    """Return True when topic is a plain topic name inside some token's namespace."""
    token = token_of_topic(topic)
    return token is not None and topic_in_namespace(token, topic)


def device_may_subscribe(token: str, topic_filter: str) -> bool:
    """Return True when every topic the filter can match lies in the device's own namespace."""
    return is_valid_token(token) and filter_in_namespace(token, topic_filter)


def device_may_publish(token: str, topic: str) -> bool:
    """Return True when the topic lies in the device's own namespace."""
    return is_valid_token(token) and topic_in_namespace(token, topic)
