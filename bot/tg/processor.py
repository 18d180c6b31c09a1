"""Updates of one user one at a time, different users at once, persistence written through.

PTB's `concurrent_updates=True` alone lets two updates of the same user race inside a
ConversationHandler and corrupt her state; a lock per user prevents that. The lock is taken
before one of the shared slots, so one user flooding the bot waits on her own lock and
never holds the slots everyone else needs. After each update the changed conversation and
user data are flushed, so a crash or `kill -9` loses at most the update in flight.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import Application, BaseUpdateProcessor

from bot import privacy_log

MAX_CONCURRENT_UPDATES = 64
_UNLIMITED = 2**31 - 1
_LOGGER = logging.getLogger(__name__)


class PerUserUpdateProcessor(BaseUpdateProcessor):
    """Serialises updates per user (or chat), flushing persistence after each."""

    def __init__(self, max_concurrent_updates: int = MAX_CONCURRENT_UPDATES) -> None:
        # The base class's own semaphore is taken before anything we do (its process_update
        # is final), so it is made too wide to matter; the real limit is `_slots`, taken
        # after her lock.
        super().__init__(_UNLIMITED)
        self.limit = max_concurrent_updates
        self.application: Application[Any, Any, Any, Any, Any, Any] | None = None
        self._slots = asyncio.Semaphore(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

    @staticmethod
    def _key(update: object) -> int | None:
        if isinstance(update, Update):
            if update.effective_user is not None:
                return update.effective_user.id
            if update.effective_chat is not None:
                return update.effective_chat.id
        return None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Her lock, then a shared slot, then the handlers, then the write-through."""
        key = self._key(update)
        if key is None:
            async with self._slots:
                await self._run(update, coroutine)
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock, self._slots:
                await self._run(update, coroutine)
        finally:
            # Drop the lock when nobody waits for it, so memory does not grow with users.
            self._waiting[key] -= 1
            if not self._waiting[key]:
                del self._waiting[key]
                del self._locks[key]

    async def _run(self, update: object, coroutine: Awaitable[Any]) -> None:
        if _LOGGER.isEnabledFor(logging.DEBUG):
            _LOGGER.debug(
                "Processing a %s update from %s",
                privacy_log.update_kind(update),
                privacy_log.user_hash(update, self._salt()),
            )
        await coroutine
        if self.application is not None and self.application.persistence:
            await self.application.update_persistence()

    def _salt(self) -> str:
        services = self.application.bot_data.get("services") if self.application else None
        return services.settings.log_salt if services is not None else ""

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None
