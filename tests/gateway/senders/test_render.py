"""The one renderer of presets and inline templates: what a template sees, and how its errors are answered."""

import pytest

from gateway.errors import ApiError
from gateway.senders.render import render_fields


def render(sources: dict[str, str], data: object = None, event: str = "", max_chars: int = 8192) -> dict[str, str]:
    return render_fields({name: ("inline template", source) for name, source in sources.items()}, data, event, max_chars)


def error_of(source: str, data: object = None) -> ApiError:
    with pytest.raises(ApiError) as caught:
        render({"text": source}, data)
    return caught.value


def test_a_template_sees_the_bodys_keys_the_body_and_the_event() -> None:
    fields = render({"text": "{{ a }} {{ body.a }} {{ body['b c'] }} {{ event }}"}, {"a": 1, "b c": 2}, "push")
    assert fields == {"text": "1 1 2 push"}


def test_a_body_that_is_not_an_object_is_reached_as_body() -> None:
    assert render({"text": "{{ body|length }} {{ body[0].x }}"}, [{"x": "y"}, 2]) == {"text": "2 y"}


def test_reserved_names_win_over_the_bodys_keys_which_stay_reachable() -> None:
    assert render({"text": "{{ event }}/{{ body.event }}"}, {"event": "own"}, "push") == {"text": "push/own"}


def test_each_field_is_rendered_and_trimmed() -> None:
    fields = render({"text": "\n  {{ a }}  \n", "color": "{{ 'green' if a else 'red' }}"}, {"a": 1})
    assert fields == {"text": "1", "color": "green"}


@pytest.mark.parametrize(
    ("source", "line"),
    [
        ("{{ a }", 1),
        ("line one\n{% if %}", 2),
        ("one\ntwo\n{{ 1 // 0 }}", 3),
        ("{% for x in a %}\n{{ x.y.__class__ }}\n{% endfor %}", 2),
    ],
)
def test_a_template_error_is_template_error_with_the_templates_line(source: str, line: int) -> None:
    error = error_of(source, {"a": [{"y": 1}]})
    assert error.code == "template_error"
    assert f"line {line})" in error.message
    assert "field text" in error.message


def test_an_error_message_is_kept_short() -> None:
    assert len(error_of("{{ " + "x." * 400 + "__class__ }}").message) <= 200


def test_a_field_that_writes_more_than_the_limit_is_body_too_large() -> None:
    with pytest.raises(ApiError) as caught:
        render({"text": "{{ 'x' * 200 }}"}, max_chars=100)
    assert (caught.value.status, caught.value.code) == (413, "body_too_large")


def test_every_field_shares_one_budget() -> None:
    loop = "{% for i in range(10000) %}{% endfor %}"
    assert render({"text": loop}) == {"text": ""}
    with pytest.raises(ApiError) as caught:
        render({"text": loop, "color": loop, "icon": loop})  # each alone would do
    assert caught.value.code == "template_too_expensive"
