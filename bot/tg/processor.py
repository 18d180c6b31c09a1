"""Updates of one user one at a time, different users at once, SOS first, one commit each.

PTB's `concurrent_updates=True` alone lets two updates of the same user race and corrupt
her state; a lock per user prevents that. The lock is taken before one of the shared slots,
so one user flooding the bot waits on her own lock and never holds the slots everyone else
needs. The SOS lane has slots of its own and (for /sos and the 🆘 button, which only read)
no lock at all, so the numbers come while three hundred others are being answered; words of
danger get the numbers sent before her lock is even taken.

Around the handlers, a `Turn` collects what the update changes; afterwards it is written in
one transaction (one trip to the database thread) together with marking the update handled
in the inbox.

When an update's handling begins, a durable "started" mark is owed: it rides along with the
next write anyway made (another update's commit, or the next batch stored in the inbox),
or is written alone if none comes soon. An update that finishes first needs none. So a
restart tells apart what was done, what began and did not finish (the process died with it:
one attempt), and what never started (no attempt, however many restarts it waited through).
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
from bot.tg.context import SERVICES_KEY, app_language
from bot.tg.safety import send_sos_to
from bot.tg.turn import CURRENT, LANE, Lane, SosFlights, Turn, lane_of
from bot.usecases import inbox, turns
from bot.usecases.turns import TurnWrites

MAX_CONCURRENT_UPDATES = 64
MAX_SOS_UPDATES = 16
_UNLIMITED = 2**31 - 1
# A "started" mark waits this long for a write to ride along with, then is written alone.
STARTED_FLUSH_SECONDS = 0.5
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
        self.sos_flights = SosFlights()
        # Updates whose handling began and whose durable "started" mark is still owed.
        self._began: set[int] = set()
        self._flush: asyncio.TimerHandle | None = None
        self._flush_tasks: set[asyncio.Task[None]] = set()
        # Updates whose mark was written before their handling (a restart's suspects).
        self._marked: set[int] = set()

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
        if lane is Lane.NORMAL and self._live(update):
            lane = Lane.LIVE
        LANE.set(lane)  # this task's requests: the rate limiter serves the SOS lane first
        key = self._key(update)
        if lane is Lane.SOS or key is None:
            update_id = update.update_id if isinstance(update, Update) else None
            flying = lane is Lane.SOS and key is not None and update_id is not None
            if flying:
                assert key is not None and update_id is not None
                self.sos_flights.begin(key, update_id)
            try:
                async with self._sos_slots if lane is Lane.SOS else self._slots:
                    await self._run(update, coroutine, lane, None)
            finally:
                if flying:
                    assert key is not None and update_id is not None
                    self.sos_flights.end(key, update_id)
            return
        sent = await self._numbers_first(update) if lane is Lane.URGENT else None
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            urgent = lane in (Lane.URGENT, Lane.LIVE)
            async with lock, self._sos_slots if urgent else self._slots:
                await self._run(update, coroutine, lane, sent)
        finally:
            # Drop the lock when nobody waits for it, so memory does not grow with users.
            self._waiting[key] -= 1
            if not self._waiting[key]:
                del self._waiting[key]
                del self._locks[key]

    def _live(self, update: object) -> bool:
        """An update of the live line: her messages while her case is open, a consultant's
        while they hold one, its buttons and /talk. They must not wait behind hundreds of
        questionnaires (a consultant's reply reaches her within seconds)."""
        if not isinstance(update, Update):
            return False
        query = update.callback_query
        if query is not None:
            return (query.data or "").startswith("lv:")
        message = update.message
        if message is None:
            return False
        live = self.services.live
        user = message.from_user
        return (
            (message.text or "").startswith("/talk")
            or live.case_of(message.chat.id) is not None
            or (user is not None and bool(live.cases_of(user.id)))
        )

    async def _numbers_first(self, update: object) -> int | None:
        """Words of danger: the emergency numbers go out before anything else is done."""
        assert isinstance(update, Update)
        chat, user = update.effective_chat, update.effective_user
        if chat is None or user is None or chat.type != "private":
            return None
        # Her language only; read beside her own updates, so never put back in memory.
        session = await self.services.session(user.id, keep=False)
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
        user = Turn.private_user(update)
        session = None
        if user is not None:
            session = await services.session(user, keep=lane is not Lane.SOS)
        turn = Turn.of(update, session, lane)
        turn.sos_flights = self.sos_flights
        if turn.update_id is not None:
            self.began(turn.update_id)
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
        if turn.update_id is not None:
            self._began.discard(turn.update_id)  # done: its "started" mark is not needed
            self._marked.discard(turn.update_id)
        writes = TurnWrites(
            update_id=turn.update_id,
            user_id=turn.user_id if turn.private else None,
            chat_id=turn.chat_id if turn.private else None,
            message_ids=turn.message_ids,
            searches=turn.searches,
            started_from=turn.started_from,
            shown=turn.shown,
            started=self.take_started(),
            checkpoint=turn.checkpoint,
        )
        user = turn.user_id
        if user is not None and turn.private:
            if turn.forgotten or turn.ended:
                writes.forget, writes.end_session = turn.forgotten, True
                services.forget(user)
            elif turn.session is not None and not turn.read_only:
                turn.session.touched = float(int(time.time()))
                writes.session = turn.session.to_json()
                services.sessions[user] = turn.session
        try:
            await turns.commit(services, writes)
        except BaseException:
            self.give_back(writes.started)
            raise
        if writes.session is not None and user is not None:
            services.sessions.stored(user)

    # --- the durable "started" marks ---

    def began(self, update_id: int) -> None:
        """Handling of this update began: its mark is owed (see the module's docstring)."""
        if update_id in self._marked:
            return
        self._began.add(update_id)
        if self._flush is None:
            loop = asyncio.get_running_loop()
            self._flush = loop.call_later(STARTED_FLUSH_SECONDS, self._flush_alone)

    def marked(self, update_id: int) -> None:
        """This update's mark was written before its handling: nothing more is owed."""
        self._marked.add(update_id)

    def take_started(self) -> list[int]:
        """The owed marks, for a write about to be made (they are no longer owed)."""
        if self._flush is not None:
            self._flush.cancel()
            self._flush = None
        started, self._began = sorted(self._began), set()
        return started

    def give_back(self, started: list[int]) -> None:
        """A write that carried these marks failed: they are owed again."""
        for update_id in started:
            self.began(update_id)

    def _flush_alone(self) -> None:
        self._flush = None
        started = self.take_started()
        if not started:
            return

        async def write() -> None:
            try:
                await inbox.mark_started(self.services, started)
            except Exception:
                _LOGGER.exception("Could not record which updates began")
                self.give_back(started)

        task = asyncio.create_task(write())
        self._flush_tasks.add(task)
        task.add_done_callback(self._flush_tasks.discard)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None
