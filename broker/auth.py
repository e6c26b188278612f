"""amqtt auth plugin: devices log in with their token as username, the gateway with the shared secret."""

import hmac
from dataclasses import dataclass

from amqtt.plugins.base import BaseAuthPlugin
from amqtt.session import Session

from common.tokens import is_valid_token


class TokenAuthPlugin(BaseAuthPlugin):
    """Accept any well-formed token as a device username, and the gateway only with its secret."""

    @dataclass
    class Config:
        """Who the gateway is."""

        gateway_username: str = "gateway"
        gateway_secret: str = ""

    async def authenticate(self, *, session: Session) -> bool:
        """Return True when the CONNECT's credentials identify a device or the gateway."""
        username = session.username
        if username == self.config.gateway_username:
            return _secret_matches(session.password, self.config.gateway_secret)
        return is_valid_token(username)


def _secret_matches(given: str | bytes | None, secret: str) -> bool:
    if not secret or given is None:
        return False
    given_bytes = given.encode() if isinstance(given, str) else bytes(given)
    return hmac.compare_digest(given_bytes, secret.encode())
