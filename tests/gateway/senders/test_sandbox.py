"""Hostile templates are refused with a stable code, quickly; ordinary ones render as Jinja would."""

import time

import pytest

from gateway.errors import ApiError
from gateway.senders.render import render_fields

MAX_CHARS = 8192
TIME_BOUND_S = 1.0  # far above what any of them takes (most stop within milliseconds); the machine may be busy
DATA = {"items": list(range(3000)), "big": "x" * 60000, "alert": {"values": {"B": 1.5}, "items": "mine"}, "none": None}


def render(source: str, data: object = DATA) -> str:
    return render_fields({"text": ("inline template", source)}, data, "push", MAX_CHARS)["text"]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ alert.values.B }}", "1.5"),  # a JSON key before the dict method of the same name
        ("{{ alert.items }}", "mine"),
        ("{{ alert['values']['B'] * 2 }}", "3.0"),
        ("[{{ none }}] [{{ missing.deeper.still }}]", "[] []"),  # null prints nothing; missing keys are empty
        ("{{ event }}", "push"),
        ("{{ items|length }} {{ items[:3]|join(',') }} {{ items|max }}", "3000 0,1,2 2999"),
        ("{% for i in range(3) %}{{ i }}{% endfor %}", "012"),
        ("{% macro shout(s) %}{{ s|upper }}!{% endmacro %}{{ shout('hi') }}", "HI!"),
        ("{{ 'a' ~ 1 ~ none }}", "a1None"),
        ("{{ '%s=%.1f'|format('B', 1.25) }} {{ '%05d' % 42 }}", "B=1.2 00042"),
        ("{{ 'Build ' + 'ok' }} {{ 2 ** 10 }} {{ 'ab' * 3 }}", "Build ok 1024 ababab"),
        ("{{ 'a,b'.split(',')|reverse|join }} {{ 'x'.startswith('x') }}", "ba True"),
        ("{{ {'success': 'green'}.get('success', 'red') }}", "green"),
    ],
)
def test_ordinary_templates_render(source: str, expected: str) -> None:
    assert render(source) == expected


@pytest.mark.parametrize(
    ("source", "code"),
    [
        ("{{ ''.__class__ }}", "template_error"),
        ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "template_error"),
        ("{{ cycler.__init__.__globals__ }}", "template_error"),
        ("{{ namespace.__init__.__globals__['os'] }}", "template_error"),
        ("{{ items|attr('__class__') }}", "template_error"),
        ("{{ items|map(attribute='__class__')|list }}", "template_error"),
        ("{{ self.__init__ }}", "template_error"),
        ("{{ lipsum(10) }}", "template_error"),
        ("{% include 'other' %}", "template_error"),
        ("{% import 'other' as o %}", "template_error"),
        ("{% extends 'base' %}", "template_error"),
        ("{{ '{:>999999999}'.format(1) }}", "template_error"),
        ("{{ 'x'.zfill(10**9) }} {{ 'x'.ljust(10**9) }}", "template_error"),
        ("{{ (1).to_bytes(10**9, 'big') }}", "template_error"),
        ("{{ '%999999999s' % 1 }}", "template_error"),
        ("{{ '%*d'|format(10**9, 1) }}", "template_error"),
        ("{{ [1, 2]|sum(start=[]) }}", "template_error"),
        ("{{ alert|tojson(indent=100) }}", "template_error"),
        ("{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}", "template_error"),
        ("{% for i in range(10**9) %}{% endfor %}", "template_too_expensive"),
        ("{% for i in range(60000) %}{% for j in range(60000) %}{% endfor %}{% endfor %}", "template_too_expensive"),
        ("{% set r = range(60000) %}{% for i in r %}{% for j in r %}{% endfor %}{% endfor %}", "template_too_expensive"),
        ("{% for i in items %}{% for j in items %}{{ '' }}{% endfor %}{% endfor %}", "template_too_expensive"),
        ("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", "template_too_expensive"),
        ("{% for x in items recursive %}{{ loop(items) }}{% endfor %}", "template_too_expensive"),
        ("{{ 'x' * 10**10 }}", "template_too_expensive"),
        ("{{ 2 ** 1000000 }}", "template_too_expensive"),
        ("{{ (2 ** 60000) * (2 ** 60000) }}", "template_too_expensive"),
        ("{{ 'x'|center(10**9) }}", "template_too_expensive"),
        ("{{ big ~ big }}", "template_too_expensive"),
        ("{{ big + big }}", "template_too_expensive"),
        ("{{ big.replace('x', big) }}", "template_too_expensive"),
        ("{{ big|replace('x', 'xx') }}", "template_too_expensive"),
        (
            "{% set ns = namespace(s='xx') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
            "template_too_expensive",
        ),
        ("{% set l = [big, big, big] %}{{ l|join }}", "template_too_expensive"),
        ("{% set l = [big, big, big] %}{{ l|string }}", "template_too_expensive"),
        ("{% set l = [big, big, big] %}{{ l }}", "template_too_expensive"),
        ("{{ items|batch(10**9, 'x')|list }}", "template_too_expensive"),
        ("{{ range(60000)|map('string')|join }}", "template_too_expensive"),
        ("{% for i in range(15000) %}{{ (items|sort)[0] }}{% endfor %}", "template_too_expensive"),
        ("{% for c in big %}{% endfor %}", "template_too_expensive"),
        ("{% for i in range(9000) %}x{% endfor %}", "body_too_large"),
        ("{{ items[:2000]|join(',') }}", "body_too_large"),
    ],
)
def test_hostile_template_is_refused_with_its_code_quickly(source: str, code: str) -> None:
    started = time.monotonic()
    with pytest.raises(ApiError) as caught:
        render(source)
    assert caught.value.code == code, caught.value.message
    assert time.monotonic() - started < TIME_BOUND_S


def test_the_budget_is_spent_per_request_not_per_process() -> None:
    for _ in range(3):  # a first rendering that spent most of the budget leaves the next one a whole budget
        assert render("{% for i in range(10000) %}{% endfor %}done") == "done"
