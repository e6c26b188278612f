"""The HTTP ceiling: the least a Flask JSON webhook endpoint can do (parse the body, answer JSON), nothing published."""

from flask import Flask, request
from flask.typing import ResponseReturnValue

app = Flask(__name__)


@app.post("/cloud")
def cloud() -> ResponseReturnValue:
    """Parse the JSON body and answer as the gateway does when a device got the message."""
    request.get_json(force=True)
    return {"delivered": True, "mode": request.args.get("mode", "notify")}, 200
