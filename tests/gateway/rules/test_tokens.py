"""Several tokens: comma-separated or repeated in the query, or comma-separated after Bearer; each once, in order."""

import pytest

from gateway.errors import ApiError
from gateway.rules.tokens import parse_tokens, token_candidates

A, B, C = "Tok3n_for-tests-0123456", "another-token-0123456789", "third-token-abcdefghijk"


@pytest.mark.parametrize(
    ("query", "authorization", "tokens"),
    [
        ([f"{A},{B}"], None, (A, B)),
        ([f"{A} , {B},"], None, (A, B)),
        ([A, B], None, (A, B)),
        ([A, f"{B},{C}"], None, (A, B, C)),
        ([f"{A},{B},{A}"], None, (A, B)),
        ([], f"Bearer {A},{B}", (A, B)),
        ([], f"Bearer {B}, {A}", (B, A)),
        ([f"{A},{B}"], f"Bearer {B},{A}", (A, B)),  # the same tokens both ways: the query's order
        ([A], f"Bearer {A}", (A,)),
    ],
)
def test_several_tokens_are_read_each_once_in_order(query: list[str], authorization: str | None, tokens: tuple[str, ...]) -> None:
    assert parse_tokens(query, authorization, 10) == tokens


@pytest.mark.parametrize(
    ("query", "authorization", "code"),
    [
        ([f"{A},{B}"], f"Bearer {A}", "conflicting_tokens"),
        ([A], f"Bearer {A},{B}", "conflicting_tokens"),
        ([f"{A},short"], None, "invalid_token"),
        ([], "Bearer ,", "invalid_token"),
        ([","], None, "missing_token"),
        ([",".join([A, B, C])], None, "too_many_tokens"),
    ],
)
def test_several_tokens_problem_is_refused_with_code(query: list[str], authorization: str | None, code: str) -> None:
    with pytest.raises(ApiError) as caught:
        parse_tokens(query, authorization, 2)
    assert caught.value.code == code


def test_a_malformed_token_among_several_is_named_by_its_position_not_its_text() -> None:
    with pytest.raises(ApiError) as caught:
        parse_tokens([f"{A},bad!token-here-0000"], None, 10)
    assert "Token 1" in caught.value.message
    assert "bad!" not in caught.value.message


def test_candidates_are_every_distinct_token_named_anywhere_for_the_rate_limits() -> None:
    assert token_candidates([f"{A},{B}"], f"Bearer {C},{A}") == (A, B, C)
    assert token_candidates([A], None) == (A,)
    assert token_candidates([""], "Basic dXNlcjpwYXNz") == ()
