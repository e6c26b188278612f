"""The ArduinoJson 6.21.5 model gives the figures fw-facts §A5.7 measured with the real library."""

import json

import pytest

from common.firmware.arduinojson import deserialize


def compact(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def pixels(count: int) -> bytes:
    return compact({"draw": [{"dp": [n % 32, n // 32, "#FF0000"]} for n in range(count)]})


@pytest.mark.parametrize(
    ("payload", "usage"),
    [
        (b'{"text":"Hello","color":[255,0,0]}', 97),
        (b'{"force":true,"icon":36,"text":"New mail from Bob","color":[255,255,255]}', 152),
        (compact({"bar": list(range(1, 17))}), 276),
        (b'{"a":"x","b":"x","x":"a"}', 54),  # strings are deduplicated across keys and values
    ],
)
def test_memory_usage_is_the_librarys(payload: bytes, usage: int) -> None:
    assert deserialize(payload, 6144) == ("Ok", usage, "obj")


@pytest.mark.parametrize(
    ("payload", "capacity", "error"),
    [
        (compact({"text": "x" * 6122}), 6144, "Ok"),
        (compact({"text": "x" * 6123}), 6144, "NoMemory"),
        (compact({"text": "x" * 8170}), 8192, "Ok"),
        (compact({"text": "x" * 8171}), 8192, "NoMemory"),
        (pixels(76), 6144, "Ok"),
        (pixels(77), 6144, "NoMemory"),
        (pixels(101), 8192, "Ok"),
        (pixels(102), 8192, "NoMemory"),
        (b"[" * 10 + b"1" + b"]" * 10, 6144, "Ok"),
        (b"[" * 11 + b"1" + b"]" * 11, 6144, "TooDeep"),
        (b"{'a':1}", 64, "Ok"),  # single quotes, as the library allows
        (b"", 64, "EmptyInput"),
        (b"1 ", 64, "InvalidInput"),
    ],
)
def test_fits_exactly_where_the_library_says(payload: bytes, capacity: int, error: str) -> None:
    assert deserialize(payload, capacity)[0] == error


def test_everything_after_a_nul_byte_is_invisible() -> None:
    assert deserialize(b'{"a":1}\x00garbage', 64)[0] == "Ok"
    assert deserialize(b'{"a":\x001}', 64)[0] == "IncompleteInput"
