"""Sending within Telegram's limits, SOS first, and trying again when the network fails.

PTB's AIORateLimiter pauses every chat after one chat's flood error and knows no priority.
Here: one token bucket for Telegram's overall limit (about 30 messages a second), served in
two queues, the SOS lane before everyone else; a flood error (429) pauses only the chat it
names, for exactly as long as Telegram asks; network errors and 5xx answers are retried a
few times with growing, jittered pauses, because a mother who gets no next question is
worse off than one who gets it twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.ext import BaseRateLimiter

from bot.tg.turn import LANE, Lane

_LOGGER = logging.getLogger(__name__)
# Methods that create or change messages: these count against Telegram's overall limit.
_COUNTED = frozenset(
    {
        "sendmessage", "editmessagetext", "editmessagereplymarkup", "editmessagecaption",
        "sendphoto", "senddocument", "sendvenue", "sendlocation", "copymessage",
        "forwardmessage", "sendmediagroup", "sendvoice", "sendvideonote", "sendsticker",
        "sendvideo", "sendaudio", "sendanimation", "sendcontact",
    }
)  # fmt: skip
_NO_RETRY = frozenset({"getupdates", "answercallbackquery", "answerinlinequery"})
JSONResult = bool | dict[str, Any] | list[dict[str, Any]]


class LaneRateLimiter(BaseRateLimiter[None]):
    """A token bucket with an SOS lane, per-chat flood pauses and bounded retries."""

    def __init__(
        self,
        per_second: float = 28.0,
        burst: int = 10,
        max_retries: int = 3,
        retry_base_seconds: float = 0.5,
    ) -> None:
        self._rate = per_second
        self._burst = float(burst)
        self._tokens = float(burst)
        self._stamp = time.monotonic()
        # By priority: the SOS lane (and words of danger), then the live line (a person
        # waits for a person), then everything else.
        self._queues: dict[int, deque[asyncio.Future[None]]] = {0: deque(), 1: deque(), 2: deque()}
        self._dispatcher: asyncio.Task[None] | None = None
        self._paused: dict[int | str, float] = {}
        self.max_retries = max_retries
        self.retry_base = retry_base_seconds

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        if self._dispatcher is not None:
            self._dispatcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._dispatcher
            self._dispatcher = None

    def _refill(self) -> None:
        now = time.monotonic()
        self._tokens = min(self._burst, self._tokens + (now - self._stamp) * self._rate)
        self._stamp = now

    async def _take(self, priority: int) -> None:
        if not any(self._queues.values()):
            # Nobody waits and a token is there: take it now (no future, no dispatcher wake-up:
            # the usual case, and it costs a few event-loop turns per request otherwise).
            self._refill()
            if self._tokens >= 1:
                self._tokens -= 1
                return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queues[priority].append(future)
        if self._dispatcher is None or self._dispatcher.done():
            self._dispatcher = asyncio.create_task(self._dispatch(), name="rate-limiter")
        await future

    async def _dispatch(self) -> None:
        """Hand out tokens as they come: the SOS queue first, each queue in order."""
        urgent, live, normal = self._queues[0], self._queues[1], self._queues[2]
        while urgent or live or normal:
            self._refill()
            if self._tokens < 1:
                await asyncio.sleep((1 - self._tokens) / self._rate)
                continue
            future = (urgent or live or normal).popleft()
            if future.done():  # its sender gave up (cancelled)
                continue
            self._tokens -= 1
            future.set_result(None)

    async def _wait_if_paused(self, chat: int | str | None) -> None:
        until = self._paused.get(chat) if chat is not None else None
        if until is not None:
            delay = until - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            elif chat is not None:
                self._paused.pop(chat, None)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSONResult]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> JSONResult:
        method = endpoint.lower()
        chat = data.get("chat_id")
        lane = LANE.get()
        priority = 2 if lane is Lane.NORMAL else 1 if lane is Lane.LIVE else 0
        attempt = 0
        while True:
            await self._wait_if_paused(chat)
            if method in _COUNTED:
                await self._take(priority)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                attempt += 1
                if attempt > self.max_retries:
                    raise
                # Only this chat waits; Telegram names how long.
                pause = exc.retry_after
                seconds = pause.total_seconds() if hasattr(pause, "total_seconds") else pause
                self._paused[chat if chat is not None else method] = (
                    time.monotonic() + float(seconds) + 0.1
                )
                _LOGGER.warning("Flood limit on %s: waiting %.1f s for that chat", method, seconds)
                if chat is None:
                    await asyncio.sleep(float(seconds) + 0.1)
            except BadRequest:
                raise  # the request itself is wrong: sending it again changes nothing
            except NetworkError:
                attempt += 1
                if method in _NO_RETRY or attempt > self.max_retries:
                    raise
                delay = self.retry_base * 2 ** (attempt - 1) * (0.5 + random.random())
                _LOGGER.warning(
                    "Network trouble on %s: try %d again in %.1f s", method, attempt, delay
                )
                await asyncio.sleep(delay)
