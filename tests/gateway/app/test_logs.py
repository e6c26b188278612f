"""The access log sees a request's path only when it is one of the gateway's fixed routes."""

import pytest
from werkzeug.test import EnvironBuilder

from gateway.app.logs import LOG_PATH_KEY
from gateway.serving.wsgi_call import call_app
from tests.gateway.conftest import Gateway


@pytest.mark.parametrize(
    ("method", "path", "logged"),
    [
        ("POST", "/cloud", "/cloud"),
        ("GET", "/healthz", "/healthz"),
        ("GET", "/openapi.json", "/openapi.json"),
        ("GET", "/cloud", "/cloud"),  # 405, but still a route of ours
        ("GET", "/Secret-token-in-a-path-0001", "-"),
        ("POST", "/cloud/Secret-token-in-a-path-0001", "-"),
    ],
)
def test_log_path_is_the_route_or_a_dash(refusing_gateway: Gateway, method: str, path: str, logged: str) -> None:
    environ = EnvironBuilder(path, method=method, query_string={"mode": "notify"}).get_environ()
    call_app(refusing_gateway.http.application, environ)
    assert environ[LOG_PATH_KEY] == logged
