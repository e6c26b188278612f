"""Publish one webhook to each of several clocks and answer with every clock's outcome, by index, never by token."""

from collections.abc import Sequence

from flask import Flask, Response

from gateway.errors import ApiError
from gateway.publishing import Publisher

Outcome = bool | None | ApiError


def publish_each(publisher: Publisher, topics: Sequence[str], payload: bytes) -> list[Outcome]:
    """Publish payload to every topic in turn; a broker error is that topic's outcome, and raised when every topic failed."""
    outcomes: list[Outcome] = []
    for topic in topics:
        try:
            outcomes.append(publisher.publish(topic, payload))
        except ApiError as err:  # the broker refused, timed out or is away: the others may still have it
            outcomes.append(err)
    errors = [outcome for outcome in outcomes if isinstance(outcome, ApiError)]
    if len(errors) == len(outcomes):
        raise errors[0]
    return outcomes


def several_answer(app: Flask, hide_presence: bool, mode: str, outcomes: Sequence[Outcome]) -> Response:
    """Answer {"mode", "results": [{"index", ...}]}: 200 when every clock got it (or cannot be told apart), else 202."""
    results = [_result(index, outcome, hide_presence) for index, outcome in enumerate(outcomes)]
    missed = any(isinstance(outcome, ApiError) or (outcome is False and not hide_presence) for outcome in outcomes)
    response = app.json.response({"mode": mode, "results": results})
    response.status_code = 202 if missed else 200
    return response


def _result(index: int, outcome: Outcome, hide_presence: bool) -> dict[str, object]:
    if isinstance(outcome, ApiError):
        return {"index": index, "error": {"code": outcome.code, "message": outcome.message}}
    if hide_presence:
        return {"index": index, "accepted": True}
    if outcome is None:
        return {"index": index, "delivered": None, "reason": "broker_gives_no_delivery_signal"}
    if not outcome:
        return {"index": index, "delivered": False, "reason": "no_device_connected"}
    return {"index": index, "delivered": True}
