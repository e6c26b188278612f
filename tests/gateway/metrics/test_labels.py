"""The metrics' label values are fixed and bounded: mode families from the firmware tables, answers from the error catalog."""

import json
import re
from pathlib import Path

import pytest

from common.firmware import FIRMWARES
from gateway.app.openapi import openapi_document
from gateway.errors import ERROR_CODES
from gateway.metrics.definitions import series_bound
from gateway.metrics.labels import ANSWERS, FAMILIES, KINDS, OTHER, answer_of, family_of, labels_of, slot_of
from gateway.ratelimit.limiter import BREACH_MESSAGES
from gateway.settings import GatewaySettings

README = (Path(__file__).resolve().parents[3] / "README.md").read_text()


def test_every_fixed_mode_of_every_firmware_is_a_family_of_its_own() -> None:
    for firmware in FIRMWARES:
        for mode in firmware.modes:
            assert FAMILIES[family_of(mode)] == mode


@pytest.mark.parametrize(
    ("mode", "family"),
    [("custom/solar", "custom"), ("custom/" + "x" * 40, "custom"), ("custom", "custom"), ("custom/", "custom"),
     (None, OTHER), ("", OTHER), ("notify/extra", OTHER),
     ("cmd/apps/pushed/x", "cmd/apps/pushed"), ("cmd/notify/dismiss/x", "cmd/notify/dismiss"), ("NOTIFY", OTHER),
     ("awtrix/abc", OTHER), ("sleep", "sleep")],
)  # fmt: skip
def test_named_modes_count_as_their_prefix_and_anything_else_as_other(mode: str | None, family: str) -> None:
    assert FAMILIES[family_of(mode)] == family


def test_answers_are_the_delivery_outcomes_and_every_error_code() -> None:
    delivery = ("delivered", "translated", "no_device_connected", "device_not_listening", "device_busy", "accepted")
    assert ANSWERS[:8] == (*delivery, "delivery_unknown", "several")
    assert set(ANSWERS[8:]) == set(ERROR_CODES)
    document = json.dumps(openapi_document(GatewaySettings()))
    reasons = set(re.findall(r'"reason": \{"enum": \[([^\]]*)\]', document)[0].replace('"', "").split(", "))
    assert reasons and reasons <= set(ANSWERS)  # every 202 reason the API can give is a label value


@pytest.mark.parametrize(
    ("fields", "answer"),
    [({"delivered": True, "mode": "notify"}, "delivered"),
     ({"delivered": True, "mode": "notify", "translated_for": "awtrix_ng", "result": None}, "translated"),
     ({"delivered": False, "reason": "device_busy", "mode": "notify"}, "device_busy"),
     ({"delivered": False, "reason": "device_not_listening", "mode": "notify"}, "device_not_listening"),
     ({"delivered": None, "reason": "broker_gives_no_delivery_signal", "mode": "notify"}, "delivery_unknown"),
     ({"accepted": True, "mode": "notify"}, "accepted"),
     ({"delivered": False, "reason": "a-new-reason", "mode": "notify"}, "http_error")],
)  # fmt: skip
def test_a_delivered_webhooks_answer_fields_give_its_label(fields: dict[str, object], answer: str) -> None:
    assert answer_of(fields) == answer


def test_rate_limit_kinds_are_the_limiters() -> None:
    assert set(KINDS) == set(BREACH_MESSAGES)


def test_every_slot_maps_back_to_its_labels_and_an_unknown_answer_is_an_http_error() -> None:
    assert labels_of(slot_of("custom/solar", "rate_limited")) == ("custom", "rate_limited")
    assert labels_of(slot_of("notify", "not-a-code")) == ("notify", "http_error")
    slots = {slot_of(family, answer) for family in FAMILIES for answer in ANSWERS}
    assert slots == set(range(len(FAMILIES) * len(ANSWERS)))


def test_readme_states_the_bound_on_the_number_of_series() -> None:
    stated = re.search(r"at most \*\*([\d,]+) series\*\*", README)
    assert stated is not None, "README's Monitoring section states the gateway's series bound"
    assert int(stated.group(1).replace(",", "")) == series_bound()
