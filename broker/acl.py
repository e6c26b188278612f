"""amqtt topic plugin: confine each device to its token's namespace; let only the gateway publish into any."""

from dataclasses import dataclass

from amqtt.contexts import Action
from amqtt.plugins.base import BaseTopicPlugin
from amqtt.session import Session

from common.tokens import is_valid_token
from common.topics import filter_in_namespace, token_of_topic, topic_in_namespace


class NamespaceAclPlugin(BaseTopicPlugin):
    """Allow a device only `awtrix/<its token>/...`; allow the gateway only to publish into namespaces."""

    @dataclass
    class Config:
        """Who the gateway is."""

        gateway_username: str = "gateway"

    async def topic_filtering(
        self, *, session: Session | None = None, topic: str | None = None, action: Action | None = None
    ) -> bool:
        """Return True when the session may perform action on topic (a name, or a filter to subscribe)."""
        if session is None or not topic:
            return False
        if session.username == self.config.gateway_username:
            return action == Action.PUBLISH and gateway_may_publish(topic)
        return device_may(session.username, topic, action)


def gateway_may_publish(topic: str) -> bool:
    """Return True when topic is a plain topic name inside some token's namespace."""
    token = token_of_topic(topic)
    return token is not None and topic_in_namespace(token, topic)


def device_may(token: str | None, topic: str, action: Action | None) -> bool:
    """Return True when the device owning token may subscribe to, publish or receive topic."""
    if not is_valid_token(token):
        return False
    if action == Action.SUBSCRIBE:
        return filter_in_namespace(token, topic)
    return topic_in_namespace(token, topic)
