"""Read JSON whose strings a phone delimited with curly quotes (U+201C/U+201D, U+2018/U+2019) as straight ones.

Only quotes that open or close a string change: a curly quote opens a string where JSON expects one, and
one of the same pair closes it when what follows (after whitespace) is ':', ',', '}', ']' or the end of
the text, as after any JSON string. Curly quotes anywhere else, and everything inside straight-quoted
strings, stay exactly as typed. The caller parses the result and keeps the original error if that fails,
so nothing else about a broken body is ever guessed.
"""

import re

DOUBLE = "\u201c\u201d"  # left and right double quotation marks
SINGLE = "\u2018\u2019"  # left and right single quotation marks
CURLY = DOUBLE + SINGLE
_NEXT_QUOTE = re.compile(f'["{CURLY}]')
_STRAIGHT_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_CLOSES = {family: re.compile(rf"\\.|[{family}](?=[ \t\r\n]*(?:[:,}}\]]|\Z))", re.DOTALL) for family in (DOUBLE, SINGLE)}
_INNER = re.compile(r'\\.|"', re.DOTALL)


def straighten(text: str) -> str | None:
    """Return text with its curly string delimiters made straight, or None when no curly quote delimits a string."""
    if not any(quote in text for quote in CURLY):
        return None
    parts: list[str] = []
    position, changed = 0, False
    while (found := _NEXT_QUOTE.search(text, position)) is not None:
        start = found.start()
        parts.append(text[position:start])
        if text[start] == '"':
            straight = _STRAIGHT_STRING.match(text, start)
            if straight is None:  # unterminated: the parser reports it
                return None
            parts.append(straight.group())
            position = straight.end()
            continue
        end = _closing_quote(text, start + 1, DOUBLE if text[start] in DOUBLE else SINGLE)
        if end is None:
            return None
        parts.append('"' + _INNER.sub(_escape_straight_quote, text[start + 1 : end]) + '"')
        position, changed = end + 1, True
    parts.append(text[position:])
    return "".join(parts) if changed else None


def _closing_quote(text: str, start: int, family: str) -> int | None:
    for match in _CLOSES[family].finditer(text, start):
        if match.group()[0] != "\\":  # an escape sequence is string content, whatever it escapes
            return match.start()
    return None


def _escape_straight_quote(match: re.Match[str]) -> str:
    # A straight quote inside a curly-quoted string is content: in a straight-quoted string it needs its backslash.
    return '\\"' if match.group() == '"' else match.group()
