"""Her conversation with the bot: the answers, plus what the screen shows right now.

One row per mother, stored after every update and dropped when the conversation ends.
Only what the conversation needs: codes and ids, never a word she typed, never a name.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

import msgspec

from bot.core.answers import Answers
from bot.core.codes import Need
from bot.core.parsing import POSSIBLE_AGE

# Keys only the previous layout (PTB's user_data dict) had at its top level.
_LEGACY_KEYS = frozenset({"lang", "step", "t", "shown"})


class View(StrEnum):
    """A screen inside a step, besides the step's own question."""

    AGE_CONFIRM = "age_confirm"  # "You wrote 61. Is that your age?"
    REGIONS = "regions"  # all twenty regions as buttons
    LOCATION = "location"  # the "send my location" keyboard is shown
    CHANGE = "change"  # "which answer to change?" under the results


class Session(msgspec.Struct, kw_only=True, omit_defaults=True):
    """The state of one conversation; mutable, changed by one update at a time."""

    answers: Answers = Answers()
    view: View | None = None
    pending_age: int | None = None
    # Needs ticked on the keyboard but not yet confirmed with "Done".
    picked: tuple[Need, ...] | None = None
    page: int = 0
    # The bot's message that shows the current question or the results; a tap on it is
    # answered by editing it, so a journey costs as few messages as possible.
    screen: int | None = None
    # A short hash of the answers whose search was counted (a search is counted once).
    counted: str = ""
    # Where the staff link that started this conversation was handed out ("h111").
    source: str = ""
    # Unix seconds of her last update: the conversation ends after a quiet spell.
    touched: float = 0.0
    # The "send my location" keyboard is under her input field; it stays there until a
    # message takes it away, whatever screen she moves to meanwhile.
    location_keyboard: bool = False

    def to_json(self) -> bytes:
        return msgspec.json.encode(self)

    @classmethod
    def from_json(cls, data: bytes | str) -> Session:
        """A session from its JSON, or from the previous layout's PTB user_data."""
        raw = json.loads(data)
        if not isinstance(raw, dict):
            raise ValueError("a session must be a JSON object")
        if _LEGACY_KEYS.intersection(raw):
            return cls._from_legacy(raw)
        return msgspec.convert(raw, cls)

    @classmethod
    def _from_legacy(cls, raw: dict[str, Any]) -> Session:
        picked = raw.get("picked")
        pending = raw.get("pending_age")
        touched = raw.get("t")
        return cls(
            answers=Answers.from_legacy(raw),
            pending_age=pending if _is_age(pending) and "step" in raw else None,
            view=View.AGE_CONFIRM if raw.get("step") == "age_confirm" else None,
            picked=tuple(Need(n) for n in Need if n in picked)
            if isinstance(picked, list)
            else None,
            touched=float(touched) if isinstance(touched, (int, float)) else 0.0,
        )


def _is_age(value: object) -> bool:
    """A whole number that can be a person's age (a stored `true` is not one)."""
    return isinstance(value, int) and not isinstance(value, bool) and value in POSSIBLE_AGE
