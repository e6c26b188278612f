"""A rendering's budget: work units, value sizes, and a CPU deadline for whatever the units price too low."""

import time

import pytest

from gateway.errors import TemplateTooExpensive
from gateway.senders.budget import MAX_VALUE, MAX_WORK, Budget, check_size, estimated_size


def test_charging_past_the_work_budget_raises() -> None:
    budget = Budget()
    budget.charge(MAX_WORK)
    with pytest.raises(TemplateTooExpensive):
        budget.charge(1)


def test_charging_after_the_cpu_deadline_raises_whatever_work_is_left() -> None:
    budget = Budget(cpu_deadline=time.thread_time() - 0.001)
    with pytest.raises(TemplateTooExpensive) as caught:
        budget.charge(1)
    assert "CPU" in caught.value.message


def test_a_value_over_the_size_bound_is_refused_before_it_is_built() -> None:
    assert check_size(MAX_VALUE) == MAX_VALUE
    with pytest.raises(TemplateTooExpensive):
        check_size(MAX_VALUE + 1)


@pytest.mark.parametrize(
    ("value", "at_least"),
    [("abc", 3), (None, 0), (["x" * 100, "y" * 100], 200), ({"k": "v" * 50}, 51), ([["a" * 10] * 3] * 3, 90)],
)
def test_estimated_size_is_at_least_the_text_in_the_value(value: object, at_least: int) -> None:
    assert at_least <= estimated_size(value) <= at_least + 64


def test_estimated_size_stops_counting_just_past_its_limit() -> None:
    shared = ["x" * 1000] * 1000
    nested = [shared] * 1000  # a billion characters as text, a thousand references in memory
    started = time.thread_time()
    assert MAX_VALUE < estimated_size(nested) < 3 * MAX_VALUE
    assert time.thread_time() - started < 0.05
