"""The filters a template may use: Jinja's own, each metered, with the arguments that could blow a value up checked first."""

import re
from collections.abc import Callable, Iterable
from typing import Any

from jinja2.filters import FILTERS
from jinja2.runtime import Context
from jinja2.utils import _PassArg, pass_context

from gateway.errors import TemplateError
from gateway.senders.budget import CALL_COST, charge, check_size, estimated_size, size_of

# Jinja's filters minus the HTML ones (autoescaping is off: the output is JSON text) and random (tests must repeat).
ALLOWED = (
    "abs attr batch capitalize center count d default dictsort filesizeformat first float format groupby indent int "
    "items join last length list lower map max min reject rejectattr replace reverse round select selectattr slice sort "
    "string striptags sum title tojson trim truncate unique upper urlencode wordcount wordwrap"
).split()
# Filters that turn their value into text first: a list of large strings must not become a larger string.
STRINGIFYING = frozenset(
    "capitalize center format indent lower replace string striptags title tojson trim truncate upper urlencode "
    "wordcount wordwrap".split()
)
# Filters that compare their items with each other: about n log n work, charged so.
SORTING = frozenset("dictsort groupby max min sort unique".split())
MAX_PAD = 16  # indent width, tojson indent, wordwrap's wrapstring
# A %-format with a '*' width or precision, or one of five digits or more, pads text without bound.
_WIDE_FORMAT = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(?:\*|\d{5,}|\d*\.(?:\*|\d{5,}))")

Check = Callable[..., None]


def metered_filters() -> dict[str, Callable[..., Any]]:
    """Return the filter table of the template sandbox."""
    return {name: _metered(name, FILTERS[name]) for name in ALLOWED}


def check_format_string(text: object) -> None:
    """Refuse a %-format string whose widths or precisions could pad its output without bound."""
    if isinstance(text, str) and _WIDE_FORMAT.search(text):
        raise TemplateError("Format widths and precisions are limited to four digits, and '*' is not available.")


def _metered(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
    passes = _PassArg.from_obj(original)
    check = _CHECKS.get(name)
    stringifies, sorts = name in STRINGIFYING, name in SORTING

    @pass_context  # also keeps Jinja from calling it at compile time, outside any budget
    def metered(context: Context, value: object, *args: object, **kwargs: object) -> object:
        size = size_of(value)
        charge(CALL_COST + size * (size.bit_length() if sorts else 1))
        if stringifies:
            check_size(estimated_size(value), "text")
        if check is not None:
            value = check(value, *args, **kwargs) or value
        if passes is _PassArg.context:
            result = original(context, value, *args, **kwargs)
        elif passes is _PassArg.eval_context:
            result = original(context.eval_ctx, value, *args, **kwargs)
        elif passes is _PassArg.environment:
            result = original(context.environment, value, *args, **kwargs)
        else:
            result = original(value, *args, **kwargs)
        charge(check_size(size_of(result)))
        return result

    metered.__name__ = f"metered_{name}"
    return metered


def _center(value: object, width: object = 80) -> None:
    if isinstance(width, int):
        check_size(width, "text")


def _indent(value: object, width: object = 4, first: object = False, blank: object = False) -> None:
    size = width if isinstance(width, int) else len(str(width))
    if size > MAX_PAD:
        raise TemplateError(f"indent takes a width of at most {MAX_PAD}.")
    check_size(len(str(value)) + (str(value).count("\n") + 1) * max(size, 0), "text")


def _format(value: object, *args: object, **kwargs: object) -> None:
    check_format_string(value)
    check_size(sum(estimated_size(arg) for arg in (*args, *kwargs.values())), "text")


def check_replace(value: object, old: object = "", new: object = "", count: object = None) -> None:
    """Refuse a replace whose result would be over MAX_VALUE characters."""
    text, old_text, new_text = str(value), str(old), str(new)
    found = text.count(old_text) if old_text else len(text) + 1
    if isinstance(count, int) and count >= 0:
        found = min(found, count)
    check_size(len(text) + found * max(len(new_text) - len(old_text), 0), "text")


def _join(value: Iterable[object], d: object = "", attribute: object = None) -> list[object]:
    items = list(value)
    charge(check_size(len(items)))
    check_size(sum(estimated_size(item) for item in items) + len(str(d)) * len(items), "text")
    return items


def _batch(value: object, linecount: object = 1, fill_with: object = None) -> None:
    if isinstance(linecount, int):
        check_size(linecount)


def _slice(value: object, slices: object = 1, fill_with: object = None) -> None:
    if isinstance(slices, int):
        check_size(slices)


def _tojson(value: object, indent: object = None) -> None:
    if indent is not None and ((isinstance(indent, int) and indent > MAX_PAD) or len(str(indent)) > MAX_PAD):
        raise TemplateError(f"tojson takes an indent of at most {MAX_PAD}.")


def _wordwrap(
    value: object, width: object = 79, break_long_words: object = True, wrapstring: object = None, break_on_hyphens: object = True
) -> None:
    if len(str(wrapstring or "")) > MAX_PAD:
        raise TemplateError(f"wordwrap takes a wrapstring of at most {MAX_PAD} characters.")


def _sum(value: object, attribute: object = None, start: object = 0) -> None:
    if not isinstance(start, int | float):
        raise TemplateError("sum adds numbers only; join text with the join filter.")


_CHECKS: dict[str, Check] = {
    "center": _center,
    "indent": _indent,
    "format": _format,
    "replace": check_replace,
    "join": _join,
    "batch": _batch,
    "slice": _slice,
    "tojson": _tojson,
    "wordwrap": _wordwrap,
    "sum": _sum,
}
