"""Turn the parts of a webhook request into a Webhook, or raise the ApiError that says why not."""

from collections.abc import Sequence
from dataclasses import dataclass, field

from common.firmware import Firmware, awtrix3
from common.topics import topic_for
from gateway.rules.body import parse_body
from gateway.rules.fit import check_fits
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
    firmware: Firmware = field(default=awtrix3.FIRMWARE, repr=False)  # whose topic the mode is


def parse_webhook(raw: RawWebhook, settings: GatewaySettings) -> Webhook:
    """Validate a raw webhook and return what to publish; raise an ApiError naming the first problem."""
    token = parse_token(raw.query_tokens, raw.authorization)
    mode = resolve_mode(raw.mode, settings.extra_modes)
    payload = parse_body(raw.body, raw.content_type, mode.body, settings.max_body_bytes)
    topic = topic_for(token, mode.name)
    check_fits(mode.firmware, mode.name, topic, payload)
    return Webhook(token=token, mode=mode.name, topic=topic, payload=payload, firmware=mode.firmware)
