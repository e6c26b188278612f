"""Publishing webhooks to a broker: one interface, and one implementation per kind of broker."""

from gateway.publishing.embedded.publisher import EmbeddedPublisher
from gateway.publishing.interface import BrokerPublisher, Connects, Publisher
from gateway.publishing.mqtt.mqtt_client import MqttPublisher
from gateway.settings import BrokerSettings

__all__ = ["BrokerPublisher", "Connects", "Publisher", "publisher_for"]


def publisher_for(broker: BrokerSettings, publish_timeout_s: float) -> BrokerPublisher:
    """Return the publisher for a broker: our own links to the embedded broker, paho for an external one."""
    if broker.external or broker.tls:
        return MqttPublisher(broker, publish_timeout_s)
    return EmbeddedPublisher(broker, publish_timeout_s)
