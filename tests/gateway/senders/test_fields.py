"""Query and form fields become the keys and values each firmware's table names, converted to the form it takes."""

import pytest

from common.firmware import FIRMWARES, Field, FieldType, Notifications, awtrix2, awtrix3, awtrix_ng
from gateway.errors import ApiError
from gateway.senders.fields import FIELD_NAMES, converted, fields_in, notifications_of

AWTRIX3 = awtrix3.NOTIFICATIONS
# How NG will read as data: textColor as #RRGGBB, durationMs in milliseconds (shared/reference/awtrix-ng.md).
NG_LIKE = Notifications(
    modes=frozenset({"cmd/notify"}),
    named=frozenset({"custom/"}),
    fields={"text": Field("text", FieldType.TEXT), "color": Field("textColor", FieldType.COLOR_HEX),
            "duration": Field("durationMs", FieldType.MILLISECONDS)},
)  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "body"),
    [
        ({"text": "Hello"}, {"text": "Hello"}),
        ({"color": "FF0000"}, {"color": "#FF0000"}),
        ({"color": "#00ff80"}, {"color": "#00FF80"}),
        ({"color": "255,128,0"}, {"color": "#FF8000"}),
        ({"color": "[255, 128, 0]"}, {"color": "#FF8000"}),
        ({"color": "Red"}, {"color": "#FF0000"}),
        ({"color": "green"}, {"color": "#00FF00"}),
        ({"duration": "10"}, {"duration": 10}),
        ({"repeat": "-1"}, {"repeat": -1}),
        ({"progress": " 42 "}, {"progress": 42}),
        ({"rainbow": "yes"}, {"rainbow": True}),
        ({"stack": "False"}, {"stack": False}),
        ({"icon": "36"}, {"icon": "36"}),
        ({"text": "", "icon": ""}, {}),
        ({"sound": "chime", "hold": "1", "wakeup": "on"}, {"sound": "chime", "hold": True, "wakeup": True}),
    ],
)
def test_awtrix3_fields_convert_to_its_keys_and_forms(fields: dict[str, str], body: dict[str, object]) -> None:
    assert converted(fields, AWTRIX3) == body


@pytest.mark.parametrize(
    ("fields", "body"),
    [
        ({"color": "FF8000", "icon": "36", "sound": "101"}, {"color": [255, 128, 0], "icon": 36, "soundfile": 101}),
    ],
)
def test_awtrix2_fields_take_its_own_forms(fields: dict[str, str], body: dict[str, object]) -> None:
    assert converted(fields, awtrix2.NOTIFICATIONS) == body


def test_a_firmware_with_other_keys_needs_only_a_table_row() -> None:
    assert converted({"color": "red", "duration": "1.5"}, NG_LIKE) == {"textColor": "#FF0000", "durationMs": 1500}


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"color": "zzz"}, "color"),
        ({"color": "256,0,0"}, "color"),
        ({"color": "F00"}, "color"),
        ({"duration": "1.5"}, "duration"),
        ({"duration": "ten"}, "duration"),
        ({"repeat": "1" * 10}, "repeat"),
        ({"rainbow": "maybe"}, "rainbow"),
    ],
)
def test_a_value_the_key_cannot_take_is_invalid_field_naming_it(fields: dict[str, str], named: str) -> None:
    with pytest.raises(ApiError) as caught:
        converted(fields, AWTRIX3)
    assert caught.value.code == "invalid_field"
    assert named in caught.value.message


def test_a_field_the_table_lacks_is_invalid_field() -> None:
    with pytest.raises(ApiError) as caught:
        converted({"hold": "true"}, awtrix2.NOTIFICATIONS)
    assert caught.value.code == "invalid_field"


@pytest.mark.parametrize(
    ("mode", "table"),
    [
        ("notify", AWTRIX3),  # AWTRIX 3's table answers for the name both firmwares share
        ("custom/solar", AWTRIX3),
        ("settings", None),
        ("indicator1", None),
        ("app", None),
        ("r2d2", None),
    ],
)
def test_notification_modes_come_from_the_firmware_tables(mode: str, table: Notifications | None) -> None:
    assert notifications_of(mode) is table


def test_every_notification_table_has_a_text_field_and_names_only_its_own_modes() -> None:
    for firmware in FIRMWARES:
        if firmware.notifications is not None:
            assert "text" in firmware.notifications.fields
            assert firmware.notifications.modes <= set(firmware.modes)
            assert firmware.notifications.named <= set(firmware.named)


def test_fields_in_picks_the_known_fields_in_table_order() -> None:
    assert list(fields_in({"token": "x", "color": "red", "mode": "notify", "text": "hi", "foo": "bar"})) == ["text", "color"]
    assert set(FIELD_NAMES) >= {"text", "icon", "color", "duration", "repeat", "rainbow", "progress", "sound"}


def test_ng_fields_map_only_to_keys_ng_accepts_in_a_notification() -> None:
    assert {field.key for field in awtrix_ng.NOTIFICATIONS.fields.values()} <= awtrix_ng.NOTIFY_KEYS
