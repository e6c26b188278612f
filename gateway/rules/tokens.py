"""Find the device tokens a webhook names, in its query string or its Authorization header."""

from collections.abc import Sequence

from common.tokens import is_valid_token
from gateway.errors import ConflictingTokens, InvalidToken, MissingToken, TooManyTokens

# Tokens never contain a comma, so "a,b" names two clocks wherever a token can go.
SEPARATOR = ","


def parse_tokens(query_tokens: Sequence[str], authorization: str | None, max_tokens: int) -> tuple[str, ...]:
    """Return the tokens named by the query string or an 'Authorization: Bearer' header, each once, in the order named.

    Several tokens come comma-separated or as repeated ?token=; when both the query and the header name
    tokens, they must name the same ones.
    """
    if not authorization and len(query_tokens) == 1 and SEPARATOR not in query_tokens[0]:
        # Speed: how nearly every webhook names its clock, and this runs for each.
        if not is_valid_token(query_tokens[0]):
            raise InvalidToken() if query_tokens[0] else MissingToken()
        return (query_tokens[0],)
    query, header = named_tokens(query_tokens, authorization)
    if not (query or header):
        raise MissingToken()
    if query and header and set(query) != set(header):
        raise ConflictingTokens()
    tokens = query or header
    if len(tokens) > max_tokens:
        raise TooManyTokens(f"A webhook may name at most {max_tokens} tokens on this gateway.")
    for index, token in enumerate(tokens):
        if not is_valid_token(token):
            raise InvalidToken() if len(tokens) == 1 else InvalidToken(f"Token {index} (counting from 0) is not well-formed.")
    return tokens


def token_candidates(query_tokens: Sequence[str], authorization: str | None) -> tuple[str, ...]:
    """Return every distinct token a request names, well-formed or not, the query's first, then the header's."""
    if not authorization and len(query_tokens) == 1 and SEPARATOR not in query_tokens[0]:
        return (query_tokens[0],) if query_tokens[0] else ()  # speed: see parse_tokens
    query, header = named_tokens(query_tokens, authorization)
    return tuple(dict.fromkeys(query + header)) if header else query


def named_tokens(query_tokens: Sequence[str], authorization: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return the distinct tokens of the ?token= values and those of an 'Authorization: Bearer' header, each in order.

    Empty ?token= values name none; a Bearer header without a token names an empty (malformed) one.
    """
    named: list[str] = []
    for value in query_tokens:
        if SEPARATOR in value:
            named += _pieces(value)
        elif value:
            named.append(value)
    query = tuple(dict.fromkeys(named))
    if not authorization:
        return query, ()
    scheme, _, credentials = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        return query, ()
    credentials = credentials.strip()
    return query, (tuple(dict.fromkeys(_pieces(credentials))) or ("",)) if SEPARATOR in credentials else (credentials,)


def _pieces(value: str) -> list[str]:
    return [piece for piece in (part.strip(" \t") for part in value.split(SEPARATOR)) if piece]
