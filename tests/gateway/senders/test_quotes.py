"""Curly quotes: JSON whose strings curly quotes delimit reads as straight; nothing else about broken JSON is guessed."""

import json
import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from gateway.errors import InvalidJson
from gateway.rules.body import parse_json
from gateway.senders.quotes import CURLY, DOUBLE, SINGLE, straighten

LEFT, RIGHT = "\u201c", "\u201d"  # the double pair
LEFT_SINGLE, RIGHT_SINGLE = "\u2018", "\u2019"  # the single pair


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        (f"{{{LEFT}text{RIGHT}:{RIGHT}connectplus{RIGHT}}}", {"text": "connectplus"}),  # IFTTT on iOS, as reported
        (f"{{{LEFT}text{RIGHT}: {LEFT}He said {LEFT}hi{RIGHT} today{RIGHT}}}", {"text": f"He said {LEFT}hi{RIGHT} today"}),
        (
            f"{{{LEFT_SINGLE}text{RIGHT_SINGLE}: {LEFT_SINGLE}it{RIGHT_SINGLE}s here{RIGHT_SINGLE}}}",
            {"text": f"it{RIGHT_SINGLE}s here"},
        ),
        (f'{{{LEFT}text{RIGHT}: {LEFT}a "quoted" word{RIGHT}}}', {"text": 'a "quoted" word'}),
        (
            f'{{"text": "{LEFT}straight{RIGHT}", {LEFT}icon{RIGHT}: {LEFT}36{RIGHT}}}',
            {"text": f"{LEFT}straight{RIGHT}", "icon": "36"},
        ),
        (f"[{LEFT}a{RIGHT} , {LEFT}b{RIGHT}]", ["a", "b"]),
        (f"{{{LEFT}text{RIGHT}: {LEFT}line\\nbreak{RIGHT}}}", {"text": "line\nbreak"}),
    ],
)
def test_curly_string_delimiters_are_read_as_straight(typed: str, value: object) -> None:
    assert parse_json(typed) == value


@pytest.mark.parametrize(
    "typed",
    [
        f"{{{LEFT}text{RIGHT}: 1,}}",  # a trailing comma: curly quotes are not its only fault
        f"{{{LEFT}text{RIGHT}: {LEFT}open",  # unterminated
        f"{{'text': {LEFT}x{RIGHT}}}",  # straight single quotes are not JSON, and are not guessed
        f"{{{LEFT}text{RIGHT} {LEFT}x{RIGHT}}}",  # a missing colon
        f"{{{LEFT}n{RIGHT}: NaN}}",
    ],
)
def test_other_faults_keep_the_original_error_position(typed: str) -> None:
    with pytest.raises(json.JSONDecodeError) as original:
        json.loads(typed)
    with pytest.raises(InvalidJson) as caught:
        parse_json(typed)
    if "NaN" not in typed:
        assert f"line {original.value.lineno} column {original.value.colno}:" in caught.value.message


def test_valid_json_is_never_rewritten_even_with_curly_quotes_inside_strings() -> None:
    text = json.dumps({"text": f"{LEFT}a{RIGHT}, {LEFT}b{RIGHT}"}, ensure_ascii=False)
    assert parse_json(text) == json.loads(text)


def test_straighten_gives_none_without_curly_delimiters() -> None:
    assert straighten('{"text": "plain"}') is None
    assert straighten(f'{{"text": "{LEFT}inside{RIGHT}"}}') is None


# Property tests: whatever JSON a phone re-quotes reads back the same; anything else keeps its error.

_SCALARS = st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.text(max_size=12)
_VALUES = st.recursive(
    _SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=8
)


@st.composite
def curly_rendering(draw: st.DrawFn, value: object) -> str:
    """Serialise value as JSON with each string delimited by a random straight or curly pair."""
    if isinstance(value, str):
        content = json.dumps(value, ensure_ascii=False)[1:-1]
        family = draw(st.sampled_from(['"', DOUBLE, SINGLE]))
        if family == '"':
            return f'"{content}"'
        # A quote of the same pair followed by what may follow a string would close it early: such text is ambiguous.
        assume(re.search(f"[{family}][ \\t\\r\\n]*(?:[:,}}\\]]|$)", content) is None)
        return draw(st.sampled_from(family)) + content + draw(st.sampled_from(family))
    if isinstance(value, list):
        return "[" + ", ".join(draw(curly_rendering(item)) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{draw(curly_rendering(k))}: {draw(curly_rendering(v))}" for k, v in value.items()) + "}"
    return json.dumps(value)


@given(st.data(), _VALUES)
def test_any_json_with_curly_string_delimiters_reads_as_the_same_value(data: st.DataObject, value: object) -> None:
    assert parse_json(data.draw(curly_rendering(value))) == value


_JSONISH = st.text(alphabet='{}[]:," \n\\ab1' + CURLY, max_size=24)


@given(_JSONISH)
def test_a_read_that_json_refuses_only_ever_changed_quote_characters(text: str) -> None:
    try:
        json.loads(text)
        return
    except json.JSONDecodeError as err:
        original = err
    try:
        value = parse_json(text)
    except InvalidJson as refused:
        assert f"line {original.lineno} column {original.colno}:" in refused.message
        return
    repaired = straighten(text)
    assert repaired is not None
    assert value == json.loads(repaired)
    unquoted = re.compile(f'["\\\\{CURLY}]')
    assert unquoted.sub("", repaired) == unquoted.sub("", text)
