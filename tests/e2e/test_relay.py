"""End to end over sockets: webhook -> gunicorn (several workers) -> embedded broker process -> device."""

import json
import shutil
import subprocess
import time

from common.tokens import generate_token
from tests.e2e.conftest import System
from tests.support.clients import Clients
from tests.support.http import request, wait_for_answer, webhook

IFTTT_BODY = {"force": True, "icon": 36, "text": "New mail", "color": [255, 255, 255]}


def test_webhook_reaches_subscribed_device_as_compact_json(system: System, mqtt: Clients) -> None:
    token = generate_token()
    clock = mqtt.device(token)
    clock.subscribe(f"awtrix/{token}/notify")
    answer = webhook(system.http_port, token, payload=IFTTT_BODY)
    assert (answer.status, answer.body["delivered"]) == (200, True)
    clock.expect_only(f"awtrix/{token}/notify", json.dumps(IFTTT_BODY, separators=(",", ":")).encode())


def test_webhook_for_token_without_device_answers_202_no_device_connected(system: System) -> None:
    answer = webhook(system.http_port, generate_token())
    assert answer.status == 202
    assert answer.body == {"delivered": False, "reason": "no_device_connected", "mode": "notify"}


def test_token_in_bearer_header_works_like_the_query(system: System, mqtt: Clients) -> None:
    token = generate_token()
    clock = mqtt.device(token)
    clock.subscribe(f"awtrix/{token}/#")
    assert webhook(system.http_port, token, mode="custom/solar", payload={"text": "4 kW"}, via_header=True).status == 200
    clock.expect_only(f"awtrix/{token}/custom/solar", b'{"text":"4 kW"}')


def test_every_worker_reports_delivery_consistently(system: System, mqtt: Clients) -> None:
    token = generate_token()
    clock = mqtt.device(token)
    clock.subscribe(f"awtrix/{token}/notify")
    answers = [webhook(system.http_port, token, payload={"n": n}) for n in range(12)]
    assert [a.status for a in answers] == [200] * 12
    assert [json.loads(clock.next_message().payload)["n"] for _ in range(12)] == list(range(12))


def test_delivered_follows_subscribe_and_unsubscribe_within_one_second(system: System, mqtt: Clients) -> None:
    token = generate_token()
    clock = mqtt.device(token)
    clock.subscribe(f"awtrix/{token}/notify")
    wait_for_answer(system.http_port, token, 200, within_s=1.0)
    clock.paho.unsubscribe(f"awtrix/{token}/notify")
    wait_for_answer(system.http_port, token, 202, within_s=1.0)


def test_clean_disconnect_reports_no_device_within_one_second(system: System, mqtt: Clients) -> None:
    token = generate_token()
    clock = mqtt.device(token)
    clock.subscribe(f"awtrix/{token}/#")
    wait_for_answer(system.http_port, token, 200, within_s=1.0)
    clock.close()
    wait_for_answer(system.http_port, token, 202, within_s=1.0)


def test_vanished_device_reports_no_device_within_one_and_a_half_keepalives(system: System, mqtt: Clients) -> None:
    token = generate_token()
    clock = mqtt.device(token, keepalive=2)
    clock.subscribe(f"awtrix/{token}/#")
    wait_for_answer(system.http_port, token, 200, within_s=1.0)
    clock.paho.loop_stop()  # power loss: no DISCONNECT, no PINGREQ, the TCP connection stays open
    started = time.monotonic()
    # The embedded broker closes the connection at 1.5 x keep-alive. Mosquitto 2.0.11 is slower and
    # uneven (measured: keep-alive 2 -> 5 s, 4 -> 11 s, 10 -> 17 s); the README documents the difference.
    allowed = 1.5 * 2 + (0.5 if system.relay.kind == "embedded" else 6.0)
    wait_for_answer(system.http_port, token, 202, within_s=allowed)
    assert time.monotonic() - started <= allowed


def test_regenerated_token_takes_effect_at_once(system: System, mqtt: Clients) -> None:
    old, new = generate_token(), generate_token()
    clock = mqtt.device(old, client_id="awtrix_c0ffee")
    clock.subscribe(f"awtrix/{old}/notify")
    assert webhook(system.http_port, old).status == 200
    clock.close()
    renewed = mqtt.device(new, client_id="awtrix_c0ffee")
    renewed.subscribe(f"awtrix/{new}/notify")
    assert webhook(system.http_port, old).status == 202
    assert webhook(system.http_port, new, payload={"text": "new"}).status == 200
    renewed.expect_only(f"awtrix/{new}/notify", b'{"text":"new"}')


def test_mosquitto_sub_works_as_a_device(system: System) -> None:
    token = generate_token()
    command = [
        "stdbuf",  # line-buffered output: the SUBACK line below is read while mosquitto_sub runs
        "-oL",
        shutil.which("mosquitto_sub") or "/usr/bin/mosquitto_sub",
        "-h",
        "127.0.0.1",
        "-p",
        str(system.relay.device_port),
        "-u",
        token,
        "-t",
        f"awtrix/{token}/#",
        "-v",
        "-d",  # prints "received SUBACK": the webhook is sent once the subscription is in place
        "-C",
        "1",
        "-W",
        "15",
    ]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as sub:
        assert sub.stdout is not None
        for line in sub.stdout:  # ends at the SUBACK, or when mosquitto_sub gives up (-W)
            if "received SUBACK" in line:
                break
        assert webhook(system.http_port, token, payload={"text": "from curl"}).status == 200
        out, err = sub.communicate(timeout=15)
    assert sub.returncode == 0, err
    messages = [line for line in out.splitlines() if line.startswith("awtrix/")]
    assert messages == [f'awtrix/{token}/notify {{"text":"from curl"}}']


def test_healthz_is_ok_while_connected(system: System) -> None:
    answer = request(system.http_port, "GET", "/healthz")
    assert answer.status == 200
