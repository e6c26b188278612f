"""Define what a device token looks like and generate new ones."""

import re
import secrets

TOKEN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"  # noqa: S105 - an alphabet
TOKEN_MIN_CHARS = 12
TOKEN_MAX_CHARS = 64
GENERATED_TOKEN_CHARS = 24  # "awtrix/" + 24 = 31 chars, inside AWTRIX 3's 36-char prefix budget

_TOKEN_RE = re.compile(rf"[A-Za-z0-9_-]{{{TOKEN_MIN_CHARS},{TOKEN_MAX_CHARS}}}")


def is_valid_token(value: object) -> bool:
    """Return True when value is a well-formed token."""
    return isinstance(value, str) and _TOKEN_RE.fullmatch(value) is not None


def generate_token(length: int = GENERATED_TOKEN_CHARS) -> str:
    """Return a cryptographically random token of the given length."""
    if not TOKEN_MIN_CHARS <= length <= TOKEN_MAX_CHARS:
        raise ValueError(f"token length must be {TOKEN_MIN_CHARS}..{TOKEN_MAX_CHARS}")
    return "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(length))


if __name__ == "__main__":
    print(generate_token())
