"""Retry delays, client ids and once-per-problem warnings shared by the gateway's two publishers."""

import logging
import os
import re

import pytest

from gateway.publishing.reconnect import RepeatFilter, client_id, retry_delay


@pytest.mark.parametrize(("failures", "full"), [(1, 0.25), (2, 0.5), (3, 1.0), (4, 2.0), (9, 2.0)])
def test_retry_delay_doubles_up_to_the_cap_less_up_to_30_percent(failures: int, full: float) -> None:
    delays = [retry_delay(failures, 0.25, 2.0) for _ in range(200)]
    assert all(0.7 * full <= delay <= full for delay in delays)
    assert len(set(delays)) > 1  # jittered


def test_client_id_names_this_process_and_differs_each_time() -> None:
    first, second = client_id(), client_id()
    assert re.fullmatch(rf"gateway-{os.getpid()}-[0-9a-f]{{8}}", first)
    assert first != second


def test_repeat_filter_warns_once_per_distinct_problem_until_reset() -> None:
    repeats = RepeatFilter()
    levels = [repeats.level(problem) for problem in ("refused", "refused", "unreachable", "unreachable")]
    assert levels == [logging.WARNING, logging.DEBUG, logging.WARNING, logging.DEBUG]
    repeats.reset()
    assert repeats.level("unreachable") == logging.WARNING
