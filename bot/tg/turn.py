"""One update's unit of work: who it is from, her conversation, and what it will write.

The update processor opens a `Turn` before the handlers run and commits it after them, in
one transaction; handlers reach it through `BotContext.turn`. It travels in a context
variable because PTB builds the handlers' context itself; the variable belongs to the task
that handles this one update, so two updates never see each other's turn.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from dataclasses import dataclass, field
from enum import StrEnum

from telegram import Update
from telegram.constants import ChatType

from bot.core.danger import is_danger
from bot.core.session import Session
from bot.usecases.turns import SearchCount

# /clear waits at most this long for the numbers the SOS lane is sending her.
SOS_SETTLE_SECONDS = 10.0


class Lane(StrEnum):
    """How urgent an update is: SOS goes before everything, in processing and in sending."""

    SOS = "sos"  # /sos or the 🆘 button: read-only, never waits behind her other updates
    URGENT = "urgent"  # words of danger: the numbers go out first, then the rest as usual
    LIVE = "live"  # the live line: a person waits for a person (after SOS, before the rest)
    NORMAL = "normal"


def lane_of(update: Update) -> Lane:
    """Classify an update by what it asks for, before any handler runs."""
    query = update.callback_query
    if query is not None:
        return Lane.SOS if query.data == "sos" else Lane.NORMAL
    message = update.message or update.edited_message
    if message is None:
        return Lane.NORMAL
    text = message.text or message.caption or ""
    if not isinstance(text, str):
        raise TypeError("the text of a message is not a string")
    if update.message is not None and text.split("@")[0].strip() == "/sos":
        return Lane.SOS
    return Lane.URGENT if text and is_danger(text) else Lane.NORMAL


class SosFlights:
    """The SOS-lane updates of each user in flight. They run beside her other updates (the
    numbers must not wait), so /clear waits for those that came before it: their message
    is then sent and its id stored, and /clear deletes it too."""

    def __init__(self) -> None:
        self._flights: dict[int, dict[int, asyncio.Event]] = {}

    def begin(self, user_id: int, update_id: int) -> None:
        self._flights.setdefault(user_id, {})[update_id] = asyncio.Event()

    def end(self, user_id: int, update_id: int) -> None:
        flights = self._flights.get(user_id, {})
        done = flights.pop(update_id, None)
        if done is not None:
            done.set()
        if not flights:
            self._flights.pop(user_id, None)

    async def settle(self, user_id: int, before: int) -> None:
        """Wait until her SOS-lane updates older than `before` are sent and committed."""
        waits = [e.wait() for uid, e in self._flights.get(user_id, {}).items() if uid < before]
        if waits:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(SOS_SETTLE_SECONDS):
                    await asyncio.gather(*waits)


@dataclass
class Turn:
    """What one update is about and what it changes."""

    update_id: int | None
    user_id: int | None
    chat_id: int | None
    private: bool
    lane: Lane
    session: Session | None
    # The SOS lane reads her conversation but never writes it (it runs beside her updates).
    read_only: bool = False
    ended: bool = False  # the conversation ended: drop the session
    forgotten: bool = False  # everything about her goes: session and message ids
    # Something about her was deleted outside this turn's writes (a live case ended): the
    # WAL is emptied after the commit too, so no later page of this turn keeps a copy.
    checkpoint: bool = False
    sos_sent: bool = False
    message_ids: list[int] = field(default_factory=list)
    searches: list[SearchCount] = field(default_factory=list)
    started_from: str | None = None
    shown: list[str] = field(default_factory=list)  # center cards shown (counts only)
    # Her Telegram app's language code: a first guess at her language, never stored.
    app_language: str | None = None
    sos_flights: SosFlights | None = None

    async def settle_sos(self) -> None:
        """Wait for her SOS-lane updates that came before this one (see `SosFlights`)."""
        if self.sos_flights is not None and self.user_id is not None:
            await self.sos_flights.settle(self.user_id, self.update_id or 0)

    @staticmethod
    def private_user(update: object) -> int | None:
        """Her user id when the update comes from a private chat (where she has a session)."""
        if not isinstance(update, Update):
            return None
        user, chat = update.effective_user, update.effective_chat
        if user is None or chat is None or chat.type != ChatType.PRIVATE:
            return None
        return user.id

    @classmethod
    def of(cls, update: object, session: Session | None, lane: Lane) -> Turn:
        if not isinstance(update, Update):
            return cls(None, None, None, False, lane, None)
        user = update.effective_user
        chat = update.effective_chat
        private = chat is not None and chat.type == ChatType.PRIVATE
        # Her own message is part of the chat /clear deletes: its id is kept like the bot's.
        message = update.message
        incoming = [message.message_id] if message is not None and private else []
        return cls(
            update_id=update.update_id,
            user_id=user.id if user is not None else None,
            chat_id=chat.id if chat is not None else None,
            private=private,
            lane=lane,
            session=session,
            read_only=lane is Lane.SOS,
            message_ids=incoming,
            app_language=user.language_code if user is not None else None,
        )


CURRENT: contextvars.ContextVar[Turn | None] = contextvars.ContextVar("turn", default=None)
# The lane of the update being handled, read by the rate limiter for every request it sends.
LANE: contextvars.ContextVar[Lane] = contextvars.ContextVar("lane", default=Lane.NORMAL)
