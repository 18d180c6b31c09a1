"""Her answers, as one typed value, and the step of the conversation they lead to.

The conversation is form-filling: the next question is always `answers.missing()`. Nothing
else encodes "where she is", so changing an answer is `answers.without(step)`, a language
from a staff link is an answer given in advance, and a restart resumes exactly.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any, assert_never

import msgspec

from bot.core.codes import Language, Need
from bot.core.geo import Gazetteer
from bot.core.matching import Query
from bot.core.parsing import MAX_CHILD_MONTHS, POSSIBLE_AGE


class Step(StrEnum):
    """A question of the conversation (and the results after the last one).

    The value is also the prefix of the buttons that answer it ("age:17"), so a tap always
    says which question it answers.
    """

    LANGUAGE = "language"
    AGE = "age"
    CHILD = "child"
    PLACE = "place"
    NEEDS = "needs"
    RESULTS = "results"


class Answers(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Everything she told the bot; None (or empty) means not answered yet."""

    language: Language | None = None
    age: int | None = None
    pregnant: bool | None = None
    child_months: int | None = None
    region: str | None = None
    place: str | None = None
    needs: tuple[Need, ...] = ()

    def missing(self) -> Step:
        """The first question she has not answered, or RESULTS when she answered them all."""
        if self.language is None:
            return Step.LANGUAGE
        if self.age is None:
            return Step.AGE
        if self.pregnant is None:
            return Step.CHILD
        if self.region is None:
            return Step.PLACE
        if not self.needs:
            return Step.NEEDS
        return Step.RESULTS

    def without(self, step: Step) -> Answers:
        """The same answers with one forgotten, to ask that question again."""
        match step:
            case Step.LANGUAGE:
                return msgspec.structs.replace(self, language=None)
            case Step.AGE:
                return msgspec.structs.replace(self, age=None)
            case Step.CHILD:
                return msgspec.structs.replace(self, pregnant=None, child_months=None)
            case Step.PLACE:
                return msgspec.structs.replace(self, region=None, place=None)
            case Step.NEEDS:
                return msgspec.structs.replace(self, needs=())
            case Step.RESULTS:
                return self
            case _:  # a new step must say which answer it forgets (mypy checks this)
                assert_never(step)

    def to_query(self, gazetteer: Gazetteer) -> Query | None:
        """The search these answers ask for; None while any is missing or no longer valid
        (a place removed from the catalog since she answered)."""
        if self.missing() is not Step.RESULTS or self.age is None or self.region is None:
            return None
        try:
            location = (
                gazetteer.place_location(self.place)
                if self.place
                else gazetteer.region_location(self.region)
            )
        except KeyError:
            return None
        return Query(
            mother_age=self.age,
            pregnant=bool(self.pregnant),
            child_months=None if self.pregnant else self.child_months,
            location=location,
            needs=frozenset(self.needs),
        )

    def to_json(self) -> bytes:
        """Language-neutral JSON: codes and ids, never words."""
        return msgspec.json.encode(self)

    @classmethod
    def from_json(cls, data: bytes | str) -> Answers:
        """Answers from JSON of this layout, or of the previous one (a PTB user_data dict
        with "lang" and an "answers" dict), so conversations survive the upgrade."""
        raw = json.loads(data)
        if not isinstance(raw, dict):
            raise ValueError("answers must be a JSON object")
        if "answers" in raw or "lang" in raw:  # the previous layout's whole user_data
            return cls.from_legacy(raw)
        return msgspec.convert(raw, cls)

    @classmethod
    def from_legacy(cls, data: dict[str, Any]) -> Answers:
        """Answers from the previous layout; anything unusable in it is simply not answered."""
        given = data.get("answers") if isinstance(data.get("answers"), dict) else {}
        assert isinstance(given, dict)
        lang = data.get("lang")
        needs = given.get("needs") if isinstance(given.get("needs"), list) else []
        assert isinstance(needs, list)

        def whole(value: object, possible: range) -> int | None:
            if isinstance(value, int) and not isinstance(value, bool) and value in possible:
                return value
            return None

        def text(value: object) -> str | None:
            return value if isinstance(value, str) and value else None

        pregnant = given.get("pregnant")
        return cls(
            language=Language(lang) if lang in tuple(Language) else None,
            age=whole(given.get("age"), POSSIBLE_AGE),
            pregnant=pregnant if isinstance(pregnant, bool) else None,
            child_months=whole(given.get("child_months"), range(MAX_CHILD_MONTHS + 1)),
            region=text(given.get("region")),
            place=text(given.get("place")),
            needs=tuple(Need(n) for n in Need if n in needs),
        )
