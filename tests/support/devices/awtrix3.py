"""An AWTRIX 3 (awtrix-light 0.98) clock as its MQTT traffic shows it, HA discovery off (fw-facts part A).

CONNECT: client id awtrix_<6 hex>, credentials only when both are set, keep-alive 15, clean session, the
non-retained will <P>/stats/device = offline. Then the 24 SUBSCRIBEs of MQTTManager.cpp in order, QoS 0, and
its announcements. A notify is shown only when it starts with '{', ends with '}' and fits the 6144-byte
ArduinoJson document; a custom app when it fits 8192 bytes. sendscreen is answered on <P>/screen.
"""

import json
import queue
import secrets

from common.firmware import awtrix3
from common.firmware.arduinojson import deserialize
from tests.support.clients import WHATEVER
from tests.support.devices.wire import Wire, connect_packet

EFFECTS = (
    b'["Fade","MovingLine","BrickBreaker","PingPong","Radar","Checkerboard","Fireworks","PlasmaCloud","Ripple",'
    b'"Snake","Pacifica","TheaterChase","Plasma","Matrix","SwirlIn","SwirlOut","LookingEyes","TwinklingStars",'
    b'"ColorWaves"]'
)
TRANSITIONS = b'["Random","Slide","Dim","Zoom","Rotate","Pixelate","Curtain","Ripple","Blink","Reload","Fade"]'
SCREEN = json.dumps([(x * 8 + y) * 0x010101 for y in range(8) for x in range(32)], separators=(",", ":")).encode()


class Awtrix3(Wire):
    """One AWTRIX 3 clock; shown holds (kind, name, body) for every notification and custom app it displays."""

    def __init__(self, host: str, port: int, token: str, password: str = WHATEVER) -> None:
        """Prepare a clock with prefix awtrix/<token> and username = token."""
        super().__init__(host, port, f"awtrix/{token}")
        self.client_id = f"awtrix_{secrets.token_hex(3)}".encode()
        self.credentials = (token.encode(), password.encode()) if token and password else None
        self.shown: queue.Queue[tuple[str, str, object]] = queue.Queue()
        self.handled: queue.Queue[tuple[str, bytes]] = queue.Queue()  # every message on a topic it handles

    def start(self, wait: bool = True) -> "Awtrix3":
        """Connect and announce itself; return self once the broker has its subscriptions (unless not wait)."""
        will = (f"{self.prefix}/stats/device".encode(), b"offline", False)
        self.connect(connect_packet(self.client_id, will, self.credentials))
        if wait:
            self.wait_subscribed(len(awtrix3.SUBSCRIPTIONS))
        return self

    def on_connected(self) -> None:
        """MQTTManager.cpp:377-436: 24 SUBSCRIBEs, then stats/effects, stats/transitions, stats/device online."""
        for topic_filter in awtrix3.SUBSCRIPTIONS:
            self.subscribe(topic_filter)  # each followed by delay(30) on the clock; the bytes are the same
        self.publish("stats/effects", EFFECTS)
        self.publish("stats/transitions", TRANSITIONS)
        self.publish("stats/device", b"online")

    def on_publish(self, suffix: str, payload: bytes) -> None:
        """processMqttMessage: the payload as a C string, then the handler of the topic."""
        text = payload.split(b"\x00", 1)[0]
        if suffix == "notify":
            if text[:1] == b"{" and text[-1:] == b"}" and deserialize(text, 6144)[0] == "Ok":
                self.handled.put((suffix, text))
                self.shown.put(("notify", "", json.loads(text)))
        elif suffix.startswith("custom/"):
            if text in (b"", b"{}") or deserialize(text, 8192)[0] == "Ok":
                self.handled.put((suffix, text))
                self.shown.put(("custom", suffix[len("custom/") :], json.loads(text) if text else None))
        elif suffix == "sendscreen":
            self.handled.put((suffix, text))
            self.publish("screen", SCREEN)
        elif suffix in awtrix3.SUBSCRIPTIONS and suffix not in ("brightness", "timeformat", "dateformat"):
            self.handled.put((suffix, text))
