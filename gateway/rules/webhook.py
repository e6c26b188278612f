"""Turn the parts of a webhook request into a Webhook, or raise the ApiError that says why not."""

from collections.abc import Sequence
from dataclasses import dataclass, field

from common.firmware.awtrix3 import MAX_PACKET_BYTES
from common.mqtt_codec import publish_packet_bytes
from common.topics import topic_for
from gateway.errors import BodyTooLarge
from gateway.rules.body import parse_body
from gateway.rules.modes import resolve_mode
from gateway.rules.tokens import parse_token
from gateway.settings import GatewaySettings


@dataclass(frozen=True)
class RawWebhook:
    """The parts of an HTTP request a webhook is made from, as received."""

    query_tokens: Sequence[str] = field(repr=False)
    authorization: str | None = field(repr=False)
    mode: str | None
    content_type: str | None
    body: bytes = field(repr=False)


@dataclass(frozen=True)
class Webhook:
    """A validated webhook: the exact MQTT topic and payload to publish."""

    token: str = field(repr=False)
    mode: str
    topic: str = field(repr=False)
    payload: bytes = field(repr=False)


def parse_webhook(raw: RawWebhook, settings: GatewaySettings) -> Webhook:
    """Validate a raw webhook and return what to publish; raise an ApiError naming the first problem."""
    token = parse_token(raw.query_tokens, raw.authorization)
    mode = resolve_mode(raw.mode, settings.extra_modes)
    payload = parse_body(raw.body, raw.content_type, mode.body, settings.max_body_bytes)
    topic = topic_for(token, mode.name)
    size = publish_packet_bytes(topic, payload)
    if size > MAX_PACKET_BYTES:
        raise BodyTooLarge(
            f"The MQTT message would be {size} bytes; AWTRIX devices drop messages over {MAX_PACKET_BYTES} bytes."
        )
    return Webhook(token=token, mode=mode.name, topic=topic, payload=payload)
