"""The table of questions: every `Step` has its screen, its taps and its typed answers."""

from __future__ import annotations

import pytest

from bot.core.answers import Step
from bot.tg import questions
from bot.tg.questions import QUESTIONS, changeable, unhandled_steps


def test_every_step_has_one_entry_in_the_table() -> None:
    assert set(QUESTIONS) == set(Step)
    assert unhandled_steps() == set()


@pytest.mark.parametrize("step", list(Step))
def test_a_table_without_a_step_is_caught(step: Step) -> None:
    """What stops the import of `bot.tg.questions` when a new step has no entry."""
    partial = {other: question for other, question in QUESTIONS.items() if other is not step}
    assert unhandled_steps(partial) == {step}


def test_the_answers_she_can_change_are_the_numbered_questions_in_order() -> None:
    assert changeable() == [Step.AGE, Step.CHILD, Step.PLACE, Step.NEEDS]
    # The language has its own switch on every screen; the results are no answer.
    assert QUESTIONS[Step.LANGUAGE].change_label is None
    assert QUESTIONS[Step.RESULTS].change_label is None
    assert questions.TAP_AGAIN == "Please tap one of the buttons."
