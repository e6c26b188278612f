"""Deliver one webhook to each of several clocks and answer with every clock's outcome, by index, never by token."""

from collections.abc import Sequence

from flask import Flask, Response

from gateway.app.delivery import Answer, deliver
from gateway.errors import ApiError
from gateway.rules.webhook import Webhook
from gateway.settings import GatewaySettings


def deliver_each(publisher: object, webhooks: Sequence[Webhook], settings: GatewaySettings) -> list[Answer | ApiError]:
    """Deliver to every clock in turn; an error is that clock's outcome, and raised when every clock's failed."""
    outcomes: list[Answer | ApiError] = []
    for webhook in webhooks:
        try:
            outcomes.append(deliver(publisher, webhook, settings))
        except ApiError as err:  # the broker refused or is away, or this clock refused: the others may still have it
            outcomes.append(err)
    errors = [outcome for outcome in outcomes if isinstance(outcome, ApiError)]
    if len(errors) == len(outcomes):
        raise errors[0]
    return outcomes


def several_answer(app: Flask, mode: str, outcomes: Sequence[Answer | ApiError]) -> Response:
    """Answer {"mode", "results": [{"index", ...}]}: 200 when every clock's answer was 200, else 202."""
    results = [_result(index, outcome) for index, outcome in enumerate(outcomes)]
    missed = any(isinstance(outcome, ApiError) or outcome[0] != 200 for outcome in outcomes)
    response = app.json.response({"mode": mode, "results": results})
    response.status_code = 202 if missed else 200
    return response


def _result(index: int, outcome: Answer | ApiError) -> dict[str, object]:
    """Return one clock's entry: what its own webhook would have answered, without the mode, under its index."""
    if isinstance(outcome, ApiError):
        return {"index": index, "error": outcome.described()}
    fields = {key: value for key, value in outcome[1].items() if key != "mode"}
    return {"index": index, **fields}
