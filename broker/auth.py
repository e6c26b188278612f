"""Decide who a CONNECT is: a device (username = a well-formed token) or the gateway (its name and secret)."""

import hmac
from dataclasses import dataclass

from common.tokens import is_valid_token


@dataclass(frozen=True)
class Identity:
    """Who logged in: the username, and whether it is the gateway."""

    username: str
    is_gateway: bool


def authenticate(username: str | None, password: bytes | None, gateway_username: str, gateway_secret: str) -> Identity | None:
    """Return the identity the credentials prove, or None to refuse the CONNECT."""
    if username is None:
        return None
    if username == gateway_username:
        if gateway_secret and password is not None and hmac.compare_digest(password, gateway_secret.encode()):
            return Identity(username, is_gateway=True)
        return None
    return Identity(username, is_gateway=False) if is_valid_token(username) else None
