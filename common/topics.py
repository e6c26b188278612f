"""Map tokens to their MQTT namespace and decide what lies inside it."""

from common.tokens import is_valid_token

TOPIC_ROOT = "awtrix"


def namespace(token: str) -> str:
    """Return the topic prefix owned by token, with its trailing slash."""
    return f"{TOPIC_ROOT}/{token}/"


def topic_for(token: str, mode: str) -> str:
    """Return the topic a webhook in this mode publishes to."""
    return namespace(token) + mode


def token_of_topic(topic: str) -> str | None:
    """Return the token whose namespace holds this topic name or filter, else None."""
    parts = topic.split("/", 2)
    if len(parts) != 3 or parts[0] != TOPIC_ROOT or not parts[2]:
        return None
    return parts[1] if is_valid_token(parts[1]) else None


def topic_in_namespace(token: str, topic: str) -> bool:
    """Return True when a topic name (no wildcards) lies inside token's namespace."""
    return token_of_topic(topic) == token and "+" not in topic and "#" not in topic and "\x00" not in topic


def is_valid_filter(topic_filter: str) -> bool:
    """Return True when a topic filter is well formed [MQTT-4.7.1]."""
    if not topic_filter:
        return False
    levels = topic_filter.split("/")
    for index, level in enumerate(levels):
        if ("#" in level and (level != "#" or index != len(levels) - 1)) or ("+" in level and level != "+"):
            return False
    return True


def filter_in_namespace(token: str, topic_filter: str) -> bool:
    """Return True when a well-formed filter can only match topics inside token's namespace."""
    return token_of_topic(topic_filter) == token and "\x00" not in topic_filter and is_valid_filter(topic_filter)
