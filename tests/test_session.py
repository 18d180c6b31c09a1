"""Her answers and her conversation as stored: this layout, and the previous one's user_data.

The previous layout kept PTB's `user_data` dict as JSON (see the legacy dicts below, written
exactly as `json.dumps(user_data, ensure_ascii=False)` did); a conversation in progress
during the upgrade must go on where it was.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.core.answers import Answers, Step
from bot.core.codes import Language, Need
from bot.core.geo import Gazetteer
from bot.core.matching import Query
from bot.core.session import Session, View

T0 = 1764000000


def legacy(data: dict[str, Any]) -> str:
    """A user_data row as the previous layout wrote it."""
    return json.dumps(data, ensure_ascii=False)


FULL = {
    "lang": "ru",
    "answers": {"age": 17, "pregnant": False, "child_months": 5, "region": "almaty-city",
                "place": "almaty", "needs": ["shelter"]},
    "step": "needs",
    "picked": ["shelter", "legal"],
    "t": T0,
}  # fmt: skip


# --- the previous layout ---


def test_a_whole_legacy_conversation_becomes_typed_answers(gazetteer: Gazetteer) -> None:
    answers = Answers.from_json(legacy(FULL))
    assert answers == Answers(
        language=Language.RU,
        age=17,
        pregnant=False,
        child_months=5,
        region="almaty-city",
        place="almaty",
        needs=(Need.SHELTER,),
    )
    assert answers.missing() is Step.RESULTS
    # The same search the previous layout would have made.
    assert answers.to_query(gazetteer) == Query(
        mother_age=17,
        pregnant=False,
        child_months=5,
        location=gazetteer.place_location("almaty"),
        needs=frozenset({Need.SHELTER}),
    )


def test_a_whole_legacy_conversation_becomes_a_session() -> None:
    session = Session.from_json(legacy(FULL).encode())
    assert session.answers == Answers.from_json(legacy(FULL))
    # Ticks she had not confirmed yet survive, in the keyboard's order.
    assert session.picked == (Need.SHELTER, Need.LEGAL)
    assert session.touched == float(T0)
    assert (session.view, session.pending_age) == (None, None)
    assert (session.page, session.screen) == (0, None)
    assert (session.counted, session.source) == ("", "")


@pytest.mark.parametrize(
    ("data", "answers", "step"),
    [
        # She had only chosen her language.
        ({"lang": "kk", "answers": {}, "step": "age", "t": T0}, Answers(language=Language.KK),
         Step.AGE),
        ({"lang": "ru"}, Answers(language=Language.RU), Step.AGE),
        # Not even that: the language question first.
        ({"step": "language", "t": T0}, Answers(), Step.LANGUAGE),
        # Pregnant, in a region whose city she did not give, needs not chosen yet.
        ({"lang": "kk", "answers": {"age": 19, "pregnant": True, "region": "zhambyl",
                                    "place": None}, "step": "needs", "picked": [], "t": T0},
         Answers(language=Language.KK, age=19, pregnant=True, region="zhambyl"), Step.NEEDS),
        # Age and child answered, the place question open.
        ({"lang": "ru", "answers": {"age": 24, "pregnant": False, "child_months": 13},
          "step": "place", "t": T0},
         Answers(language=Language.RU, age=24, pregnant=False, child_months=13), Step.PLACE),
        # Several needs, stored in the order she ticked them.
        ({"lang": "kk", "answers": {"age": 30, "pregnant": False, "child_months": 0,
                                    "region": "astana", "place": "astana",
                                    "needs": ["legal", "violence", "shelter"]},
          "step": "results", "shown": 3, "counted": "0123456789abcdef", "t": T0},
         Answers(language=Language.KK, age=30, pregnant=False, child_months=0,
                 region="astana", place="astana",
                 needs=(Need.SHELTER, Need.VIOLENCE, Need.LEGAL)), Step.RESULTS),
    ],
)  # fmt: skip
def test_legacy_conversations_resume_at_the_same_question(
    data: dict[str, Any], answers: Answers, step: Step
) -> None:
    assert Answers.from_json(legacy(data)) == answers
    session = Session.from_json(legacy(data))
    assert session.answers == answers
    assert session.answers.missing() is step


def test_an_unusual_age_waiting_for_confirmation_is_still_waiting() -> None:
    data = {"lang": "ru", "answers": {}, "step": "age_confirm", "pending_age": 61, "t": T0}
    session = Session.from_json(legacy(data))
    assert session.view is View.AGE_CONFIRM
    assert session.pending_age == 61
    assert session.answers.age is None
    assert session.answers.missing() is Step.AGE


def test_garbage_in_a_legacy_row_is_simply_not_answered() -> None:
    data = {
        "lang": "en",  # a language the bot does not speak
        "answers": {"age": "17", "pregnant": "no", "child_months": -3, "region": 5,
                    "place": "", "needs": ["shelter", "flying", 3, None]},
        "step": 7,
        "picked": "shelter",
        "pending_age": True,
        "t": "yesterday",
    }  # fmt: skip
    session = Session.from_json(legacy(data))
    assert session.answers == Answers(needs=(Need.SHELTER,))
    assert session.answers.missing() is Step.LANGUAGE
    assert session.picked is None
    assert session.pending_age is None  # true is no age
    assert session.view is None
    assert session.touched == 0.0


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"age": True}, Answers(language=Language.RU)),  # a flag is no age
        ({"age": 0}, Answers(language=Language.RU)),
        ({"age": 250}, Answers(language=Language.RU)),
        ({"age": 17.5}, Answers(language=Language.RU)),
        ({"age": 17, "pregnant": False, "child_months": 5000},
         Answers(language=Language.RU, age=17, pregnant=False)),
        ({"age": 17, "pregnant": False, "child_months": "5"},
         Answers(language=Language.RU, age=17, pregnant=False)),
        ({"age": 17, "pregnant": 1}, Answers(language=Language.RU, age=17)),
        ({"age": 17, "needs": "shelter"}, Answers(language=Language.RU, age=17)),
        ({"age": 17, "region": ["almaty-city"], "place": 7}, Answers(language=Language.RU, age=17)),
    ],
)  # fmt: skip
def test_unusable_legacy_answers_are_asked_again(given: dict[str, Any], expected: Answers) -> None:
    assert Answers.from_json(legacy({"lang": "ru", "answers": given})) == expected


@pytest.mark.parametrize("answers", [["age", 17], "age=17", None, 17])
def test_legacy_answers_that_are_not_an_object_are_dropped(answers: object) -> None:
    data = {"lang": "kk", "answers": answers, "step": "age", "picked": ["legal"], "t": T0}
    session = Session.from_json(legacy(data))
    assert session.answers == Answers(language=Language.KK)
    assert session.picked == (Need.LEGAL,)


def test_a_place_that_left_the_catalog_asks_the_place_again(gazetteer: Gazetteer) -> None:
    data = {
        "lang": "ru",
        "answers": {"age": 20, "pregnant": False, "child_months": 3, "region": "atlantis",
                    "place": "atlantis-city", "needs": ["legal"]},
        "step": "results",
    }  # fmt: skip
    answers = Answers.from_json(legacy(data))
    assert answers.missing() is Step.RESULTS
    assert answers.to_query(gazetteer) is None
    # A region that still exists, with a place that does not, is not searched either.
    moved = Answers.from_json(
        legacy({**data, "answers": {**data["answers"], "region": "almaty-city"}})  # type: ignore[dict-item]
    )
    assert moved.to_query(gazetteer) is None


@pytest.mark.parametrize("text", ["[]", '"lang"', "17", "null", "{not json", ""])
def test_what_is_not_a_json_object_is_refused_as_a_value_error(text: str) -> None:
    """The bot drops such a stored row (services catch ValueError), never crashes on it."""
    with pytest.raises(ValueError):
        Answers.from_json(text)
    with pytest.raises(ValueError):
        Session.from_json(text)


# --- this layout ---


def test_answers_round_trip_as_language_neutral_json() -> None:
    answers = Answers(
        language=Language.KK, age=16, pregnant=True, region="almaty-region", place="konaev",
        needs=(Need.PREGNANCY, Need.KEEP_BABY),
    )  # fmt: skip
    data = answers.to_json()
    assert Answers.from_json(data) == answers
    assert json.loads(data) == {
        "language": "kk", "age": 16, "pregnant": True, "region": "almaty-region",
        "place": "konaev", "needs": ["pregnancy", "keep_baby"],
    }  # fmt: skip
    assert Answers.from_json(Answers().to_json()) == Answers()
    assert Answers().to_json() == b"{}"


def test_session_round_trips_every_field() -> None:
    session = Session(
        answers=Answers(language=Language.RU, age=18),
        view=View.REGIONS,
        pending_age=None,
        picked=(Need.LEGAL,),
        page=2,
        screen=41,
        counted="abc",
        source="h111",
        touched=1764000123.5,
        location_keyboard=True,
    )
    again = Session.from_json(session.to_json())
    assert again == session
    assert Session.from_json(Session().to_json()) == Session()


@pytest.mark.parametrize(
    "data",
    [
        b'{"answers": {"language": "en"}}',
        b'{"answers": {"needs": ["flying"]}}',
        b'{"view": "somewhere"}',
        b'{"page": "two"}',
    ],
)
def test_a_damaged_row_of_this_layout_is_a_value_error(data: bytes) -> None:
    with pytest.raises(ValueError):
        Session.from_json(data)


# --- answers as the conversation's state ---


def test_missing_walks_the_questions_in_order() -> None:
    answers = Answers()
    steps = []
    for change in (
        {"language": Language.KK},
        {"age": 17},
        {"pregnant": False, "child_months": 3},
        {"region": "almaty-city", "place": "almaty"},
        {"needs": (Need.SHELTER,)},
    ):
        steps.append(answers.missing())
        answers = Answers(**{**{f: getattr(answers, f) for f in answers.__struct_fields__},
                             **change})  # fmt: skip
    steps.append(answers.missing())
    assert steps == [Step.LANGUAGE, Step.AGE, Step.CHILD, Step.PLACE, Step.NEEDS, Step.RESULTS]
    # Changing an answer forgets only that one and asks it again.
    assert answers.without(Step.PLACE) == Answers(
        language=Language.KK, age=17, pregnant=False, child_months=3, needs=(Need.SHELTER,)
    )
    assert answers.without(Step.PLACE).missing() is Step.PLACE
    assert answers.without(Step.CHILD).child_months is None
    assert answers.without(Step.NEEDS).missing() is Step.NEEDS
    assert answers.without(Step.LANGUAGE).missing() is Step.LANGUAGE
    assert answers.without(Step.RESULTS) == answers


def test_pregnancy_is_searched_without_a_child_age(gazetteer: Gazetteer) -> None:
    answers = Answers(
        language=Language.RU, age=19, pregnant=True, child_months=4, region="karaganda",
        needs=(Need.PREGNANCY,),
    )  # fmt: skip
    query = answers.to_query(gazetteer)
    assert query is not None
    assert (query.pregnant, query.child_months) == (True, None)
    assert query.location == gazetteer.region_location("karaganda")
    assert Answers(language=Language.RU, age=19).to_query(gazetteer) is None
