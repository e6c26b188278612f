"""Every AWTRIX, one URL, end to end: gunicorn with several workers, each broker, the clock stand-ins."""

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from common.tokens import generate_token
from tests.e2e.conftest import System
from tests.support.devices.awtrix3 import Awtrix3
from tests.support.devices.awtrix_ng import AwtrixNg
from tests.support.http import webhook

SEED = {"force": True, "icon": 36, "text": "New mail from Alice", "color": [255, 255, 255]}
COLOR_KEYS = ("textColor", "backgroundColor", "progressColor", "progressTrackColor", "chartColor")
IN_FLIGHT = 48
RESULT_TIMEOUT_S = 1.0  # the gateway's default


@pytest.fixture
def clocks(system: System) -> Iterator[Callable[..., Awtrix3 | AwtrixNg]]:
    """Return a factory of clock stand-ins on the system's broker, closed after the test."""
    made: list[Awtrix3 | AwtrixNg] = []

    def make(kind: str, token: str, **options: object) -> Awtrix3 | AwtrixNg:
        cls = Awtrix3 if kind == "awtrix3" else AwtrixNg
        clock = cls(system.relay.host, system.relay.device_port, token, **options).start()  # type: ignore[arg-type]
        made.append(clock)
        return clock

    yield make
    for clock in made:
        clock.close()


@pytest.mark.parametrize("kind", ["awtrix3", "awtrix-ng"])
def test_seed_recipe_shows_its_text_on_every_clock(system: System, clocks: Callable[..., Awtrix3 | AwtrixNg], kind: str) -> None:
    token = generate_token()
    clock = clocks(kind, token)
    answer = webhook(system.http_port, token, payload=SEED)
    assert (answer.status, answer.body["delivered"]) == (200, True)
    assert answer.body.get("translated_for") == (None if kind == "awtrix3" else "awtrix-ng")
    assert clock.shown.get(timeout=5)[2]["text"] == "New mail from Alice"  # type: ignore[index]


def test_ng_refusal_comes_back_as_422_with_its_field(system: System, clocks: Callable[..., AwtrixNg]) -> None:
    token = generate_token()
    clocks("awtrix-ng", token)
    answer = webhook(system.http_port, token, mode="cmd/notify", payload={"text": "x", "backgroundColor": "nope"})
    assert (answer.status, answer.body["error"]["code"]) == (422, "device_rejected")
    assert answer.body["error"]["device"] == {
        "code": "validationFailed",
        "message": '"backgroundColor" is not a valid color',
        "field": "backgroundColor",
    }


def expected(n: int) -> tuple[int, str | None]:
    """Webhook n is accepted when even; when odd, refused on the colour key n picks."""
    return (200, None) if n % 2 == 0 else (422, COLOR_KEYS[n % len(COLOR_KEYS)])


def test_each_webhook_in_flight_gets_its_own_clocks_answer(system: System, clocks: Callable[..., AwtrixNg]) -> None:
    token = generate_token()
    clock = clocks("awtrix-ng", token, delay_s=0.004)  # each command takes a while: many wait at once

    def send(n: int) -> tuple[int, str | None]:
        body: dict[str, object] = {"text": f"n={n}"}
        if n % 2:
            body[COLOR_KEYS[n % len(COLOR_KEYS)]] = "nope"
        answer = webhook(system.http_port, token, mode="cmd/notify", payload=body)
        field = answer.body["error"]["device"]["field"] if answer.status == 422 else None
        return answer.status, field

    with ThreadPoolExecutor(IN_FLIGHT) as pool:
        answers = list(pool.map(send, range(IN_FLIGHT * 2)))
    assert answers == [expected(n) for n in range(IN_FLIGHT * 2)]
    assert clock.commands == IN_FLIGHT * 2


def test_clock_that_stops_answering_gives_result_null_in_time_and_the_gateway_goes_on(
    system: System, clocks: Callable[..., Awtrix3 | AwtrixNg]
) -> None:
    silent, other = generate_token(), generate_token()
    clock, awtrix3 = clocks("awtrix-ng", silent), clocks("awtrix3", other)
    clock.answering = False
    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        waiting = [pool.submit(webhook, system.http_port, silent, "cmd/apps/next", {}) for _ in range(8)]
        meanwhile = webhook(system.http_port, other, payload={"text": "meanwhile"})
        answers = [future.result() for future in waiting]
    assert (meanwhile.status, awtrix3.shown.get(timeout=5)[2]) == (200, {"text": "meanwhile"})
    if system.relay.kind == "embedded":  # the worker's greenlets wait; with MQTT_URL a gthread thread waits per webhook
        assert meanwhile.elapsed_s < RESULT_TIMEOUT_S
    assert [(a.status, a.body) for a in answers] == [(200, {"delivered": True, "mode": "cmd/apps/next", "result": None})] * 8
    assert time.monotonic() - started < RESULT_TIMEOUT_S + 2.0


def test_awtrix3_clock_online_answers_device_not_listening_to_an_ng_mode(system: System, clocks: Callable[..., Awtrix3]) -> None:
    token = generate_token()
    clocks("awtrix3", token)
    answer = webhook(system.http_port, token, mode="cmd/notify", payload={"text": "x"})
    assert (answer.status, answer.body["reason"]) == (202, "device_not_listening")


def test_awtrix2_basics_reach_an_awtrix3_clock_translated(system: System, clocks: Callable[..., Awtrix3]) -> None:
    token = generate_token()
    clock = clocks("awtrix3", token)
    answer = webhook(system.http_port, token, mode="basics", payload={"app": "next"})
    assert (answer.status, answer.body) == (200, {"delivered": True, "mode": "basics", "translated_for": "awtrix3"})
    assert clock.handled.get(timeout=5) == ("nextapp", b"")
