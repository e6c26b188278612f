"""A clock's FIFO of owed answers (broker/answers.py): in order, per topic, bounded without losing its place."""

from broker.answers import MAX_AGE_S, MAX_PENDING, Answers

CLOCK, GATEWAY = "clock", "gateway"


def test_answers_go_to_the_publishes_in_the_order_the_clock_got_them() -> None:
    answers = Answers()
    for sequence in (1, 2, 3):
        answers.expect(CLOCK, ("cmd/notify/result",), GATEWAY, sequence, 0.0)
    assert [answers.take(CLOCK, "cmd/notify/result", 0.0).sequence for _ in range(3)] == [1, 2, 3]  # type: ignore[union-attr]
    assert answers.take(CLOCK, "cmd/notify/result", 0.0) is None
    assert len(answers) == 0  # an idle clock keeps nothing


def test_each_answer_topic_keeps_its_own_order() -> None:
    answers = Answers()
    answers.expect(CLOCK, ("cmd/notify/result",), GATEWAY, 1, 0.0)
    answers.expect(CLOCK, ("state/screen", "cmd/screen/get/result"), GATEWAY, 2, 0.0)
    answers.expect(CLOCK, ("cmd/notify/result",), GATEWAY, 3, 0.0)
    assert answers.take(CLOCK, "state/screen", 0.0).sequence == 2  # type: ignore[union-attr]
    assert answers.take(CLOCK, "cmd/notify/result", 0.0).sequence == 1  # type: ignore[union-attr]
    assert answers.take(CLOCK, "cmd/screen/get/result", 0.0).sequence == 2  # type: ignore[union-attr]
    assert answers.take(CLOCK, "cmd/notify/result", 0.0).sequence == 3  # type: ignore[union-attr]


def test_a_late_answer_still_takes_its_own_entry() -> None:
    answers = Answers()
    answers.expect(CLOCK, ("cmd/notify/result",), GATEWAY, 1, 0.0)
    answers.expect(CLOCK, ("cmd/notify/result",), GATEWAY, 2, 5.0)
    assert answers.take(CLOCK, "cmd/notify/result", MAX_AGE_S - 1).sequence == 1  # type: ignore[union-attr]


def test_a_clock_owing_the_most_gets_no_room_until_it_answers_or_old_entries_expire() -> None:
    answers = Answers()
    for sequence in range(MAX_PENDING):
        answers.expect(CLOCK, ("cmd/notify/result",), GATEWAY, sequence, 0.0)
    assert not answers.has_room(CLOCK, 1, 1.0)
    answers.take(CLOCK, "cmd/notify/result", 1.0)
    assert answers.has_room(CLOCK, 1, 1.0)
    assert answers.has_room(CLOCK, MAX_PENDING, MAX_AGE_S + 1)  # everything it owed is older than MAX_AGE_S


def test_a_clock_that_leaves_leaves_nothing() -> None:
    answers = Answers()
    answers.expect(CLOCK, ("cmd/notify/result",), GATEWAY, 1, 0.0)
    answers.forget(CLOCK)
    assert (len(answers), answers.owes(CLOCK)) == (0, False)
