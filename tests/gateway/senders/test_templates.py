"""Each preset turns its service's webhook bodies (payloads/, see SOURCES.md) into the notification it promises."""

import json
from pathlib import Path

import pytest

from gateway.rules.webhook import RawWebhook, parse_webhook
from gateway.senders.fields import FIELD_NAMES
from gateway.senders.templates import INLINE, presets, template_names
from gateway.settings import GatewaySettings

PAYLOADS = Path(__file__).parent / "payloads"
TOKEN = "Tok3n_for-tests-0123456"
GREEN, RED, PURPLE, BLUE, ORANGE = "#00FF00", "#FF0000", "#A000FF", "#0000FF", "#FFA500"
CASES = [
    ("github", "push", {"text": "ada-dev pushed 2 commits to awtrix-dashboard/main: Weather app: bigger icons"}),
    ("github", "push.deleted", {"text": "ada-dev deleted old-layout in awtrix-dashboard"}),
    (
        "github",
        "issues.opened",
        {"text": "Issue #12 opened in awtrix-dashboard: Temperature shows -- after midnight", "color": GREEN},
    ),
    (
        "github",
        "issues.closed",
        {"text": "Issue #12 closed in awtrix-dashboard: Temperature shows -- after midnight", "color": PURPLE},
    ),
    (
        "github",
        "pull_request.opened",
        {"text": "PR #31 opened in awtrix-dashboard: Rain bar for the weather app", "color": GREEN},
    ),
    (
        "github",
        "pull_request.merged",
        {"text": "PR #31 merged in awtrix-dashboard: Rain bar for the weather app", "color": PURPLE},
    ),
    ("github", "release.published", {"text": "Release Rain bar published in awtrix-dashboard", "color": BLUE}),
    ("github", "workflow_run.success", {"text": "CI success on awtrix-dashboard/main", "color": GREEN}),
    ("github", "workflow_run.failure", {"text": "CI failure on awtrix-dashboard/main", "color": RED}),
    ("github", "ping", {"text": "GitHub webhook for awtrix-dashboard works"}),
    ("grafana", "firing", {"text": "Firing (2): Freezer too warm, Freezer door open - Check the kitchen", "color": RED}),
    ("grafana", "resolved", {"text": "Resolved: Freezer too warm - Check the kitchen", "color": GREEN}),
    ("alertmanager", "firing", {"text": "[FIRING:2] DiskAlmostFull: Disk 90% full", "color": ORANGE}),
    ("alertmanager", "resolved", {"text": "[RESOLVED] DiskAlmostFull: Disk 90% full", "color": GREEN}),
    ("alertmanager", "critical", {"text": "[FIRING] NodeDown: A node stopped answering", "color": RED}),
    ("uptimekuma", "down", {"text": "Photo library is down: timeout of 48000ms exceeded", "color": RED}),
    ("uptimekuma", "up", {"text": "Photo library is up: 200 - OK", "color": GREEN}),
    ("uptimekuma", "test", {"text": "My Uptime Kuma Alert Testing"}),
    ("homeassistant", "notify", {"text": "Laundry: The washing machine is done"}),
    ("homeassistant", "default-title", {"text": "Front door opened"}),
    ("homeassistant", "with-data", {"text": "Rain in 10 minutes", "icon": "rain", "color": "#0080FF", "duration": 15}),
    ("generic", "title-and-message", {"text": "Backup: Nightly backup finished: 14.2 GB"}),
    ("generic", "other-shape", {"text": '[{"sensor": "garage", "temperature": 4.5}]'}),
]


def published(template: str, body: bytes, event: str | None = None, **query: str) -> dict[str, object]:
    """Return the notification the gateway would publish for a webhook with this template and body."""
    raw = RawWebhook(
        query_tokens=[TOKEN],
        authorization=None,
        mode="notify",
        content_type="application/json",
        body=body,
        query={"mode": "notify", "token": TOKEN, "template": template, **query},
        headers={"X-GitHub-Event": event} if event else {},
    )
    return json.loads(parse_webhook(raw, GatewaySettings()).payload)


@pytest.mark.parametrize(("template", "case", "notification"), CASES, ids=[f"{t}-{c}" for t, c, _ in CASES])
def test_preset_renders_the_services_payload(template: str, case: str, notification: dict[str, object]) -> None:
    body = (PAYLOADS / template / f"{case}.json").read_bytes()
    event = case.split(".")[0] if template == "github" else None
    assert published(template, body, event) == notification


def test_every_preset_has_payloads_and_every_payload_a_case() -> None:
    folders = {path.name for path in PAYLOADS.iterdir() if path.is_dir()}
    assert folders == set(presets())
    files = {(path.parent.name, path.name.removesuffix(".json")) for path in PAYLOADS.glob("*/*.json")}
    assert files == {(template, case) for template, case, _ in CASES}


def test_presets_use_only_the_gateways_field_names_and_yes_is_no_preset() -> None:
    for fields in presets().values():
        assert set(fields) <= set(FIELD_NAMES)
        assert "text" in fields
    assert INLINE not in presets()
    assert template_names()[-1] == INLINE


def test_query_fields_override_a_preset_and_are_templates_too() -> None:
    body = (PAYLOADS / "grafana" / "firing.json").read_bytes()
    notification = published("grafana", body, icon="bell", color="{{ 'blue' if status == 'firing' else 'green' }}")
    assert notification == {
        "text": "Firing (2): Freezer too warm, Freezer door open - Check the kitchen",
        "icon": "bell",
        "color": BLUE,
    }


def test_inline_template_renders_any_json() -> None:
    body = (PAYLOADS / "github" / "workflow_run.failure.json").read_bytes()
    color = "{{ 'green' if workflow_run.conclusion == 'success' else 'red' }}"
    assert published(INLINE, body, text="Build {{ workflow_run.conclusion }}", color=color) == {
        "text": "Build failure",
        "color": RED,
    }
