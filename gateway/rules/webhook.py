"""Turn the parts of a webhook request into a Webhook, or raise the ApiError that says why not."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from common.firmware import Firmware, awtrix3
from common.topics import topic_for
from gateway.rules.body import parse_body
from gateway.rules.fit import check_fits
from gateway.rules.modes import resolve_mode
from gateway.rules.tokens import parse_tokens
from gateway.senders.build import ROUTING, SenderRequest, sender_body
from gateway.settings import GatewaySettings

JSON = "application/json"


@dataclass(frozen=True)
class RawWebhook:
    """The parts of an HTTP request a webhook is made from, as received."""

    query_tokens: Sequence[str] = field(repr=False)
    authorization: str | None = field(repr=False)
    mode: str | None
    content_type: str | None
    body: bytes = field(repr=False)
    # the whole query string and the headers, for senders' fields, templates and event names
    query: Mapping[str, str] = field(default_factory=dict, repr=False)
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class Webhook:
    """A validated webhook: the MQTT payload and the topic of each token it names, in the order named."""

    tokens: tuple[str, ...] = field(repr=False)
    mode: str
    topics: tuple[str, ...] = field(repr=False)
    payload: bytes = field(repr=False)
    firmware: Firmware = field(default=awtrix3.FIRMWARE, repr=False)  # whose topic the mode is

    @property
    def token(self) -> str:
        """Return the token of a webhook for one clock (the first of several)."""
        return self.tokens[0]

    @property
    def topic(self) -> str:
        """Return the topic of a webhook for one clock (the first of several)."""
        return self.topics[0]

    def each(self) -> tuple["Webhook", ...]:
        """Return the webhook for each clock it names, in the order named."""
        pairs = zip(self.tokens, self.topics, strict=True)
        return tuple(replace(self, tokens=(token,), topics=(topic,)) for token, topic in pairs)


def parse_webhook(raw: RawWebhook, settings: GatewaySettings) -> Webhook:
    """Validate a raw webhook and return what to publish; raise an ApiError naming the first problem."""
    tokens = parse_tokens(raw.query_tokens, raw.authorization, settings.max_tokens_per_request)
    mode = resolve_mode(raw.mode, settings.extra_modes)
    body, content_type, query = raw.body, raw.content_type, raw.query
    # Anything but plain JSON (text, a form, fields, a template) may need the JSON its sender meant, checked below
    # like any posted body. Tested here, not in a function: every webhook pays for the test.
    if content_type != JSON or len(query) > (ROUTING[0] in query) + (ROUTING[1] in query):
        body, content_type = sender_body(SenderRequest(mode.name, query, raw.headers, content_type, body), settings)
    payload = parse_body(body, content_type, mode.body, settings.max_body_bytes)
    if len(tokens) == 1:  # speed: most webhooks name one clock, and this runs for each
        topics: tuple[str, ...] = (topic_for(tokens[0], mode.name),)
        longest = topics[0]
    else:
        topics = tuple(topic_for(token, mode.name) for token in tokens)
        longest = max(topics, key=len)  # the longest topic makes the largest packet
    check_fits(mode.firmware, mode.name, longest, payload)
    return Webhook(tokens=tokens, mode=mode.name, topics=topics, payload=payload, firmware=mode.firmware)
