"""An AWTRIX NG 1.1.0 clock as its MQTT traffic shows it (fw-facts part B).

CONNECT: client id = its 12-hex-digit uid, keep-alive 15, clean session, both credentials when either is set,
the retained will <P>/availability = offline. Then SUBSCRIBE <P>/cmd/# and its retained announcements (and the
empty retained Home Assistant config outside its prefix, which brokers refuse). Each command it routes is
checked as the firmware does (unknown keys, shapes, colours: common/firmware/ng_rules.py), shown, and answered
on <command>/result; screen/get publishes <P>/state/screen first. Set answering = False and it goes on
executing commands without answering any.
"""

import json
import queue
import secrets
import threading
import time

from common.firmware import NAME, awtrix_ng
from common.firmware.ng_rules import Refusal, keys_refusal, values_refusal
from tests.support.clients import WHATEVER
from tests.support.devices.wire import Wire, connect_packet, publish_packet

OK = b'{"ok":true}'
CAPABILITIES = b'{"effects":["Fade"],"paletteEffects":[],"transitions":["Random"],"overlays":["rain"],"radio":false}'
SCREEN = json.dumps({"width": 32, "height": 8, "pixels": [0] * 256}, separators=(",", ":")).encode()
# Topics whose empty payload means delete / off / stop, and commands whose body is ignored.
EMPTY_ALLOWED = ("cmd/display/moodlight", "cmd/indicators/", "cmd/audio/stop", awtrix_ng.PUSHED)
IGNORED = ("cmd/notify/dismiss", "cmd/apps/next", "cmd/apps/previous", "cmd/screen/get", "cmd/settings/reset",
           "cmd/device/reboot")  # fmt: skip


def result_bytes(refusal: Refusal | None) -> bytes:
    """Return NG's /result payload, escaped as its appendJsonEscaped does (json.dumps without ASCII escapes)."""
    if refusal is None:
        return OK
    message = json.dumps(refusal.message, ensure_ascii=False)
    body = f'{{"ok":false,"error":{{"code":"{refusal.code}","message":{message}'
    if refusal.field:
        body += f',"field":{json.dumps(refusal.field, ensure_ascii=False)}'
    return (body + "}}").encode()


class AwtrixNg(Wire):
    """One NG clock; shown holds (kind, name, body) of every notification and pushed app it accepts."""

    def __init__(self, host: str, port: int, token: str, password: str = WHATEVER, delay_s: float = 0.0) -> None:
        """Prepare a clock with prefix awtrix/<token>; delay_s is how long each command takes to run."""
        super().__init__(host, port, f"awtrix/{token}")
        self.uid = secrets.token_hex(6)
        self.credentials = (token.encode(), password.encode()) if token or password else None
        self.delay_s = delay_s
        self.answering = True
        self.shown: queue.Queue[tuple[str, str, object]] = queue.Queue()
        self.answered: queue.Queue[tuple[str, bytes]] = queue.Queue()  # (result topic suffix, payload) sent
        self.commands = 0
        self._busy = threading.Lock()

    def start(self, wait: bool = True) -> "AwtrixNg":
        """Connect and announce itself; return self once the broker has its subscriptions (unless not wait)."""
        will = (f"{self.prefix}/availability".encode(), b"offline", True)
        self.connect(connect_packet(self.uid.encode(), will, self.credentials))
        if wait:
            self.wait_subscribed(1)
        return self

    def on_connected(self) -> None:
        """MqttService::onOnline and the tick after it (MqttService.cpp:44-72)."""
        self.subscribe("cmd/#")
        self.publish("availability", b"online", retain=True)
        self.publish("state/capabilities", CAPABILITIES, retain=True)
        self.publish("state/prefix", self.prefix.encode(), retain=True)
        self.send(publish_packet(f"homeassistant/device/{self.uid}/config".encode(), b"", retain=True))
        self.publish("state/apps/active", b"Time", retain=True)
        for button in ("left", "select", "right"):
            self.publish(f"state/buttons/{button}", b"0", retain=True)
        self.publish("state/settings", b'{"brightness":120}', retain=True)
        self.publish("state/audio", b'{"playing":false}', retain=True)

    def on_publish(self, suffix: str, payload: bytes) -> None:
        """MqttService::handleMessage: skip our own results, route, execute, answer."""
        if suffix.endswith(awtrix_ng.RESULT) and self._routes(suffix[: -len(awtrix_ng.RESULT)]):
            return  # isResultEcho
        if not self._routes(suffix):
            return  # NoMatch: nothing at all
        with self._busy:
            self.commands += 1
            if self.delay_s:
                time.sleep(self.delay_s)
            refusal = self._execute(suffix, payload)
            if suffix == awtrix_ng.SCREEN_GET and self.answering:
                self.publish("state/screen", SCREEN)
            if self.answering:
                self.answered.put((suffix + awtrix_ng.RESULT, result_bytes(refusal)))
                self.publish(suffix + awtrix_ng.RESULT, result_bytes(refusal))

    @staticmethod
    def _routes(suffix: str) -> bool:
        """Return True when routeMqtt routes suffix (a command under cmd/ it knows; names are checked later)."""
        return suffix.startswith("cmd/") and awtrix_ng.FIRMWARE.rule_of(suffix) is not None and suffix != awtrix_ng.PUSHED

    def _execute(self, suffix: str, payload: bytes) -> Refusal | None:
        if suffix.startswith(awtrix_ng.PUSHED) and NAME.fullmatch(suffix[len(awtrix_ng.PUSHED) :]) is None:
            return Refusal("invalidName", "name must match [A-Za-z0-9_-]{1,32}", "name")
        if suffix.startswith(IGNORED):
            return None
        if not payload and suffix.startswith(EMPTY_ALLOWED):
            return None
        try:
            value = json.loads(payload)
        except ValueError:
            return Refusal("invalidJson", "payload is not valid JSON")
        if suffix.startswith(awtrix_ng.PUSHED) and not isinstance(value, dict | list):
            return Refusal("invalidJson", "payload is not valid JSON")
        refusal = keys_refusal(suffix, value) or values_refusal(suffix, value)
        if refusal is None and suffix == awtrix_ng.NOTIFY:
            self.shown.put(("notify", "", value))
        elif refusal is None and suffix.startswith(awtrix_ng.PUSHED):
            self.shown.put(("app", suffix[len(awtrix_ng.PUSHED) :], value))
        return refusal
