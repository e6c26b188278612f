"""Deliver a validated webhook and decide what to answer: delivered, translated for the clock there, or why not.

1. Publish as sent: a clock that subscribes to the topic gets the body byte for byte, and the answer carries
   what it answered (AWTRIX NG's /result), if it answers.
2. If that reached nobody, but the token's clock listens under another firmware's tree (the embedded broker's
   receipt says so; on another broker probes tell), translate the mode and body into that firmware's dialect
   (common/firmware/translate/), check them by its rules like a posted body, and publish there:
   "translated_for" says for which firmware. What has no faithful translation is 422 untranslatable.
3. Else 202: device_not_listening when the token has a connection that listens to something else,
   no_device_connected when it has none.
With HIDE_PRESENCE every answer that depends on who is connected is {"accepted": true}; nothing is waited for.
"""

import json
from collections.abc import Iterator

from common.firmware import CLOCKS, BodyRule, Firmware
from common.firmware.translate import Body, CannotTranslate, dialect_of, targets, translate
from common.topics import topic_for
from gateway.errors import ApiError, DeviceRejected, InvalidAppName, Untranslatable
from gateway.publishing.outcome import Outcome
from gateway.rules.fit import check_fits
from gateway.rules.modes import resolve_mode
from gateway.rules.webhook import Webhook
from gateway.settings import GatewaySettings

Answer = tuple[int, dict[str, object]]
_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def deliver(publisher: object, webhook: Webhook, settings: GatewaySettings) -> Answer:
    """Publish webhook (translated if that is what reaches its clock) and return the answer's status and fields."""
    hidden = settings.hide_presence
    outcome = send(publisher, webhook.topic, webhook.payload, 0.0 if hidden else settings.result_timeout_s)
    if outcome.reached and outcome.replies is None and not hidden:  # the plain delivery: nothing else to decide
        return 200, {"delivered": True, "mode": webhook.mode}
    if hidden and outcome.reached != 0:
        return 200, {"accepted": True, "mode": webhook.mode}
    if outcome.reached is None:
        return 200, {"delivered": None, "reason": "broker_gives_no_delivery_signal", "mode": webhook.mode}
    if outcome.reached:
        return delivered(webhook.firmware, webhook.mode, webhook.mode, outcome)
    if outcome.busy:  # its clock is there, still answering earlier commands
        return (200, {"accepted": True, "mode": webhook.mode}) if hidden else (202, not_delivered("device_busy", webhook.mode))
    try:
        return Translation(publisher, webhook, settings, outcome).answer()
    except ApiError:
        if hidden:  # whether a translation was tried, and how it went, tells who is connected
            return 200, {"accepted": True, "mode": webhook.mode}
        raise


def not_delivered(reason: str, mode: str) -> dict[str, object]:
    """Return the fields of a 202 answer."""
    return {"delivered": False, "reason": reason, "mode": mode}


def send(publisher: object, topic: str, payload: bytes, wait_s: float) -> Outcome:
    """Publish with the publisher's send() when it has one (its outcome), else publish() (delivered or not)."""
    send_with = getattr(publisher, "send", None)
    if send_with is not None:
        return send_with(topic, payload, wait_s)
    delivered_ = publisher.publish(topic, payload)  # type: ignore[attr-defined]
    return Outcome(None if delivered_ is None else int(delivered_))


def delivered(firmware: Firmware, mode: str, published: str, outcome: Outcome, translated_for: str | None = None) -> Answer:
    """Return the 200 answer for a delivered publish, with the clock's answers; raise DeviceRejected for a refusal."""
    fields: dict[str, object] = {"delivered": True, "mode": mode}
    if translated_for is not None:
        fields["translated_for"] = translated_for
    if outcome.replies is None:  # nobody answers it (the plain delivery path: nothing more to do)
        return 200, fields
    answers = firmware.answers(published)
    for topic in answers:
        fields[topic.rsplit("/", 1)[-1]] = next((parse(body) for came, body in outcome.replies if came == topic), None)
    for came, body in outcome.replies:
        verdict = parse(body)
        if came == answers[-1] and isinstance(verdict, dict) and verdict.get("ok") is False:
            error = verdict.get("error") if isinstance(verdict.get("error"), dict) else {}
            message = error.get("message", "no reason given")  # type: ignore[union-attr]
            raise DeviceRejected(error, f"The clock refused the command: {message}.")  # type: ignore[arg-type]
    return 200, fields


def parse(body: bytes) -> object:
    """Return a clock's answer as JSON, or its text when it is not JSON."""
    try:
        return json.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace")


class Translation:
    """Step 2 and 3 of the module docstring, for a webhook whose topic as sent reached nobody."""

    def __init__(self, publisher: object, webhook: Webhook, settings: GatewaySettings, outcome: Outcome) -> None:
        """Remember what the first publish said about who listens (None: the broker cannot say; probe)."""
        self.publisher, self.webhook, self.settings = publisher, webhook, settings
        self.trees, self.connections = outcome.trees, outcome.connections
        self.probed: dict[str, bool] = {}
        self.wait_s = 0.0 if settings.hide_presence else settings.result_timeout_s

    def answer(self) -> Answer:
        """Translate for each firmware the token's clock may listen under; else say why nothing was delivered."""
        webhook = self.webhook
        body = body_of(webhook.firmware, webhook.mode, webhook.payload)
        dialect = dialect_of(webhook.mode, webhook.firmware, body)
        for target in self.candidates(dialect):
            try:
                mode, translated = translate(webhook.mode, body, dialect, target)
                mode, payload = self.checked(target, mode, translated)
            except (CannotTranslate, ApiError) as err:  # no equivalent, or the target's rules refuse the translation
                if self.listens(target):
                    raise self.untranslatable(err, target) from None
                continue
            outcome = send(self.publisher, topic_for(webhook.token, mode), payload, self.wait_s)
            if outcome.reached:
                if self.settings.hide_presence:
                    return 200, {"accepted": True, "mode": webhook.mode}
                return delivered(target, webhook.mode, mode, outcome, target.name)
        if self.settings.hide_presence:
            return 200, {"accepted": True, "mode": webhook.mode}
        reason = "device_not_listening" if self.anyone_listens() else "no_device_connected"
        return 202, not_delivered(reason, webhook.mode)

    def candidates(self, dialect: Firmware) -> Iterator[Firmware]:
        """Yield the firmwares to translate for, in order: with a known listener only those it listens under."""
        for target in targets(dialect):
            if self.trees is None or target.name in self.trees:
                yield target

    def checked(self, target: Firmware, mode: str, body: Body) -> tuple[str, bytes]:
        """Return the translated mode and payload once they pass the target's own rules, like a posted webhook."""
        try:
            resolved = resolve_mode(mode, self.settings.extra_modes)
        except InvalidAppName as err:
            raise Untranslatable(err.message, target.name, mode) from None
        payload = payload_of(resolved.body, body)
        check_fits(target, mode, topic_for(self.webhook.token, mode), payload)
        return mode, payload

    def listens(self, firmware: Firmware) -> bool:
        """Return True when the token has a clock listening under firmware's tree (asking the broker by a probe if need be)."""
        if self.trees is not None:
            return firmware.name in self.trees
        if firmware.name not in self.probed:
            probe = getattr(self.publisher, "probe", None)
            self.probed[firmware.name] = bool(probe is not None and probe(self.webhook.token, firmware))
        return self.probed[firmware.name]

    def anyone_listens(self) -> bool:
        """Return True when the token has a connection that subscribes to anything (so the mode reached nothing)."""
        if self.connections is not None:
            return self.connections > 0
        return any(self.listens(firmware) for firmware in CLOCKS)

    def untranslatable(self, err: Exception, target: Firmware) -> ApiError:
        """Return the error for a webhook whose translation for target fails (422 untranslatable, or the target's own)."""
        if isinstance(err, ApiError):
            return err
        assert isinstance(err, CannotTranslate)
        message = f"The clock runs {target.title}, and {err.key!r} cannot be translated for it: {err.reason}."
        return Untranslatable(message, target.name, err.key)


def body_of(firmware: Firmware, mode: str, payload: bytes) -> Body:
    """Return a published payload as a body again: None when empty, the text of a text mode, else parsed JSON."""
    if not payload:
        return None
    if firmware.rule_of(mode) is BodyRule.STRING:
        return payload.decode("utf-8")
    return json.loads(payload)


def payload_of(rule: BodyRule, body: Body) -> bytes:
    """Return the payload to publish for a translated body under the target mode's rule."""
    if body is None or rule is BodyRule.IGNORED:
        return b""
    if isinstance(body, str) and rule is BodyRule.STRING:
        return body.encode("utf-8")
    return _COMPACT.encode(body).encode("utf-8")

