"""Find the one device token a webhook names, in its query string or its Authorization header."""

from collections.abc import Sequence

from common.tokens import is_valid_token
from gateway.errors import ConflictingTokens, InvalidToken, MissingToken


def parse_token(query_tokens: Sequence[str], authorization: str | None) -> str:
    """Return the one token named by the query string and/or an 'Authorization: Bearer' header."""
    candidates = token_candidates(query_tokens, authorization)
    if not candidates:
        raise MissingToken()
    if len(candidates) > 1:
        raise ConflictingTokens()
    token = candidates.pop()
    if not is_valid_token(token):
        raise InvalidToken()
    return token


def token_candidates(query_tokens: Sequence[str], authorization: str | None) -> set[str]:
    """Return every distinct token a request names, well-formed or not, in the query or a Bearer header."""
    candidates = {token for token in query_tokens if token}
    scheme, _, credentials = (authorization or "").strip().partition(" ")
    if scheme.lower() == "bearer":
        candidates.add(credentials.strip())
    return candidates
