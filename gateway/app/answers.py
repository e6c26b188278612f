"""Build the webhook's JSON answers."""

import functools

from flask import Flask, Response
from flask.json.provider import JSONProvider

# Distinct webhook answers kept encoded: one per answer and mode, and custom/<app> modes are many.
ENCODED_ANSWERS = 1024


def json_answer(app: Flask, status: int, **fields: object) -> Response:
    """Return the response Flask makes of (fields, status), byte for byte."""
    try:
        body, content_type = _encoded(app.json, app.debug, tuple(fields.items()))
    except TypeError:  # unhashable: it carries a clock's answer, encoded afresh
        response = app.json.response(fields)
        response.status_code = status
        return response
    return app.response_class(body, status=status, content_type=content_type)


@functools.lru_cache(maxsize=ENCODED_ANSWERS)
def _encoded(provider: JSONProvider, debug: bool, fields: tuple[tuple[str, object], ...]) -> tuple[bytes, str]:
    # Speed: a webhook's answer is one of a few, so each is encoded once (by Flask's own provider: same bytes).
    response = provider.response(dict(fields))
    return response.get_data(), response.content_type or ""
