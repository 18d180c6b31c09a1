"""Updates of one user one at a time, different users at once, SOS first, one commit each.

PTB's `concurrent_updates=True` alone lets two updates of the same user race and corrupt
her state; a lock per user prevents that. The lock is taken before one of the shared slots,
so one user flooding the bot waits on her own lock and never holds the slots everyone else
needs. The SOS lane has slots of its own and (for /sos and the 🆘 button, which only read)
no lock at all, so the numbers come while three hundred others are being answered; words of
danger get the numbers sent before her lock is even taken.

Around the handlers, a `Turn` collects what the update changes; afterwards it is written in
one transaction together with marking the update handled in the inbox.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, BaseUpdateProcessor

from bot.services import Services
from bot.storage.state import TurnWrites, commit_turn
from bot.tg.context import SERVICES_KEY, app_language
from bot.tg.safety import send_sos_to
from bot.tg.turn import CURRENT, LANE, Lane, Turn, lane_of

MAX_CONCURRENT_UPDATES = 64
MAX_SOS_UPDATES = 16
_UNLIMITED = 2**31 - 1
_LOGGER = logging.getLogger(__name__)


class UpdateProcessor(BaseUpdateProcessor):
    """Serialises updates per user, gives SOS its own lane, commits each update once."""

    def __init__(
        self,
        max_concurrent_updates: int = MAX_CONCURRENT_UPDATES,
        max_sos_updates: int = MAX_SOS_UPDATES,
    ) -> None:
        # The base class's own semaphore is taken before anything we do (its process_update
        # is final), so it is made too wide to matter; the real limits are taken below.
        super().__init__(_UNLIMITED)
        self.limit = max_concurrent_updates
        self.application: Application[Any, Any, Any, Any, Any, Any] | None = None
        self._slots = asyncio.Semaphore(max_concurrent_updates)
        self._sos_slots = asyncio.Semaphore(max_sos_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

    @property
    def services(self) -> Services:
        assert self.application is not None
        services: Services = self.application.bot_data[SERVICES_KEY]
        return services

    @staticmethod
    def _key(update: object) -> int | None:
        if isinstance(update, Update):
            if update.effective_user is not None:
                return update.effective_user.id
            if update.effective_chat is not None:
                return update.effective_chat.id
        return None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Her lock, then a slot of her lane, then the handlers, then one commit."""
        lane = lane_of(update) if isinstance(update, Update) else Lane.NORMAL
        LANE.set(lane)  # this task's requests: the rate limiter serves the SOS lane first
        key = self._key(update)
        if lane is Lane.SOS or key is None:
            async with self._sos_slots if lane is Lane.SOS else self._slots:
                await self._run(update, coroutine, lane, None)
            return
        sent = await self._numbers_first(update) if lane is Lane.URGENT else None
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock, self._sos_slots if lane is Lane.URGENT else self._slots:
                await self._run(update, coroutine, lane, sent)
        finally:
            # Drop the lock when nobody waits for it, so memory does not grow with users.
            self._waiting[key] -= 1
            if not self._waiting[key]:
                del self._waiting[key]
                del self._locks[key]

    async def _numbers_first(self, update: object) -> int | None:
        """Words of danger: the emergency numbers go out before anything else is done."""
        assert isinstance(update, Update)
        chat, user = update.effective_chat, update.effective_user
        if chat is None or user is None or chat.type != "private":
            return None
        session = self.services.sessions.get(user.id)
        lang = (session.answers.language if session else None) or app_language(user.language_code)
        try:
            return await send_sos_to(self.application.bot if self.application else None,
                                     self.services, chat.id, lang)  # fmt: skip
        except TelegramError:
            return None  # the handlers try again in order

    async def _run(
        self, update: object, coroutine: Awaitable[Any], lane: Lane, sos_message: int | None
    ) -> None:
        services = self.services
        turn = Turn.of(update, services.sessions, lane)
        if sos_message is not None:
            turn.sos_sent = True
            turn.message_ids.append(sos_message)
        token = CURRENT.set(turn)
        try:
            await coroutine
        finally:
            CURRENT.reset(token)
        await self.commit(turn)

    async def commit(self, turn: Turn) -> None:
        """Write what the update changed, and mark it handled, in one transaction."""
        services = self.services
        writes = TurnWrites(
            update_id=turn.update_id,
            user_id=turn.user_id if turn.private else None,
            chat_id=turn.chat_id if turn.private else None,
            message_ids=turn.message_ids,
            searches=turn.searches,
            started_from=turn.started_from,
            shown=turn.shown,
            checkpoint=turn.checkpoint,
        )
        user = turn.user_id
        if user is not None and turn.private:
            if turn.forgotten or turn.ended:
                writes.forget, writes.end_session = turn.forgotten, True
                services.forget(user)
            elif turn.session is not None and not turn.read_only:
                turn.session.touched = float(int(time.time()))
                data = turn.session.to_json()
                if data != services.stored.get(user):
                    writes.session = data
                    services.stored[user] = data
                services.sessions[user] = turn.session
        await commit_turn(await services.database(), writes)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None
