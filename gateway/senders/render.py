"""Render a notification's fields from templates over a sender's JSON: one renderer for presets and inline templates."""

import functools
from collections.abc import Mapping
from types import TracebackType

from jinja2 import Template, TemplateSyntaxError

from gateway.errors import ApiError, BodyTooLarge, TemplateError
from gateway.senders import budget
from gateway.senders.sandbox import TemplateSandbox

COMPILED_TEMPLATES = 128  # inline templates come from the URL: a sender repeats the same few
MAX_MESSAGE_CHARS = 200
_SANDBOX = TemplateSandbox()
# Jinja names the frames of a template's code after its file; from_string templates have none.
_TEMPLATE_FILE = "<template>"


def render_fields(sources: Mapping[str, tuple[str, str]], data: object, event: str, max_chars: int) -> dict[str, str]:
    """Return each field's rendered text, trimmed, over the sender's JSON.

    sources maps a field to (where its template comes from, the template). A template sees the JSON object's
    keys as variables, the whole value as `body`, and the event name a sender put in a header (GitHub's
    X-GitHub-Event) as `event`. All fields share one budget. Raises TemplateError, TemplateTooExpensive or
    BodyTooLarge (a field longer than max_chars).
    """
    variables = {**data, "body": data, "event": event} if isinstance(data, dict) else {"body": data, "event": event}
    token = budget.start()
    try:
        return {name: _render(name, source, variables, max_chars, origin) for name, (origin, source) in sources.items()}
    finally:
        budget.finish(token)


@functools.lru_cache(maxsize=COMPILED_TEMPLATES)
def compiled(source: str) -> Template:
    """Return source compiled in the sandbox (each source once); raise TemplateSyntaxError or what compiling raised."""
    return _SANDBOX.compile_template(source)


def _render(name: str, source: str, variables: dict[str, object], max_chars: int, origin: str) -> str:
    where = f"{origin}, field {name}"
    try:
        pieces, size = [], 0
        for piece in compiled(source).generate(variables):
            size += len(piece)
            if size > max_chars:
                raise BodyTooLarge(f"The template ({where}) writes more than {max_chars} characters.")
            pieces.append(piece)
        return "".join(pieces).strip()
    except ApiError:
        raise
    except TemplateSyntaxError as err:
        raise TemplateError(_message(where, err.lineno, err.message or "syntax error")) from err
    except Exception as err:  # whatever the template's own code raised: its author's error, not the gateway's
        raise TemplateError(_message(where, _template_line(err.__traceback__), f"{type(err).__name__}: {err}")) from err


def _template_line(trace: TracebackType | None) -> int | None:
    line = None
    while trace is not None:
        if trace.tb_frame.f_code.co_filename == _TEMPLATE_FILE:
            line = trace.tb_lineno
        trace = trace.tb_next
    return line


def _message(where: str, line: int | None, problem: str) -> str:
    at = f" line {line}" if line is not None else ""
    text = f"Template error ({where}{at}): {problem}"
    return text if len(text) <= MAX_MESSAGE_CHARS else text[: MAX_MESSAGE_CHARS - 1] + "…"
