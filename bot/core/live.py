"""The live line's plain data: how a case ends, and which open cases are where (in memory).

The index mirrors the open cases stored in SQLite, so that handler filters (which cannot wait
for the database) know at once whether a message belongs to a live conversation. It holds
chat ids only while a case is open; ending a case removes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Outcome(StrEnum):
    """How a case ended: counted per day and region, never who."""

    INFO = "info"  # information given
    REFERRED = "referred"  # referred to a center
    EMERGENCY = "emergency"
    NO_ANSWER = "no_answer"
    ENDED_BY_HER = "her_end"  # she ended it (a button, /clear, /forget, blocked the bot)
    IDLE = "idle"  # quiet for LIVE_IDLE_MINUTES
    BLOCKED = "blocked"  # a consultant blocked the sender


# The outcomes a consultant chooses from with one tap.
CHOSEN_OUTCOMES: tuple[Outcome, ...] = (
    Outcome.INFO,
    Outcome.REFERRED,
    Outcome.EMERGENCY,
    Outcome.NO_ANSWER,
)


@dataclass
class LiveIndex:
    """Open cases by her chat and by the consultant holding them."""

    chats: dict[int, int] = field(default_factory=dict)  # her chat id → case number
    held: dict[int, set[int]] = field(default_factory=dict)  # consultant → case numbers

    def open(self, number: int, chat_id: int) -> None:
        self.chats[chat_id] = number

    def hold(self, number: int, consultant: int | None) -> None:
        """`consultant` holds the case now (None: nobody); whoever held it before lets go."""
        for cases in self.held.values():
            cases.discard(number)
        if consultant is not None:
            self.held.setdefault(consultant, set()).add(number)
        self.held = {user: cases for user, cases in self.held.items() if cases}

    def close(self, number: int) -> None:
        self.chats = {chat: n for chat, n in self.chats.items() if n != number}
        self.hold(number, None)

    def case_of(self, chat_id: int) -> int | None:
        return self.chats.get(chat_id)

    def cases_of(self, consultant: int) -> set[int]:
        return set(self.held.get(consultant, ()))
