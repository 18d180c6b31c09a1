"""Receiving updates so that none is lost: stored in SQLite before Telegram is told.

Telegram forgets an update once the bot confirms it (the next getUpdates with a higher
offset, or a 2xx answer to a webhook call). PTB's Updater confirms updates before its
handlers ran, so a crash lost them. Here every update is written to the inbox first and
only then confirmed; the update processor marks it handled in the same transaction as her
state; after a crash, what is left in the inbox is handled first on the next start. An
update Telegram sends again is stored once and handled once.

An update that cannot be read (a kind or shape PTB does not know) is logged once, by id and
kind only, and skipped: it never blocks the updates behind it. Polling errors back off,
capped and jittered.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import random
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, TelegramError
from telegram.ext import Application
from telegram.warnings import PTBUserWarning

from bot.logs import update_kind
from bot.services import Services
from bot.storage import state
from bot.tg.turn import lane_of

_LOGGER = logging.getLogger(__name__)
# getUpdates is called through do_api_request on purpose: the raw JSON is needed, so that
# one unreadable update can be skipped instead of failing the whole batch.
warnings.filterwarnings("ignore", message="Please use 'Bot.getUpdates'", category=PTBUserWarning)
POLL_TIMEOUT_SECONDS = 30
MAX_BACKOFF_SECONDS = 30.0
# A stored update tried at this many starts without being handled is given up.
MAX_ATTEMPTS = 3
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Names are never needed to help her: they are not kept, not even for the seconds an
# update waits in the inbox.
_NAME_KEYS = ("first_name", "last_name", "username")

AnyApp = Application[Any, Any, Any, Any, Any, Any]


class FatalReceiveError(RuntimeError):
    """Receiving cannot go on (the token was rejected); the message is one line."""


def _scrub(value: Any) -> Any:
    """A copy of an update's JSON with every person's name replaced and usernames dropped."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key in _NAME_KEYS:
                if key == "first_name":
                    out[key] = "-"  # required by the Bot API's User and private Chat objects
                continue
            out[key] = _scrub(item)
        return out
    if isinstance(value, list):
        return [_scrub(item) for item in value]
    return value


class Receiver:
    """Long polling or a webhook in front of a PTB application, with the durable inbox."""

    def __init__(self, application: AnyApp, services: Services) -> None:
        self.application = application
        self.services = services
        self.poll_timeout = POLL_TIMEOUT_SECONDS
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self.fatal: FatalReceiveError | None = None
        self.failed = asyncio.Event()
        self._site: Any = None

    # --- the inbox ---

    def _read(self, raw: Mapping[str, Any]) -> Update | None:
        """Parse one update; None (logged once, no content) when it cannot be read."""
        try:
            update = Update.de_json(dict(raw), self.application.bot)
        except Exception as exc:  # PTB raises many kinds for malformed updates
            _LOGGER.error(
                "Skipped update %s (%s): it cannot be read (%s)",
                raw.get("update_id"), update_kind(raw), type(exc).__name__,
            )  # fmt: skip
            return None
        return update

    async def accept(self, raw_updates: Sequence[Mapping[str, Any]], offset: int | None) -> None:
        """Store a batch (names scrubbed) before it is confirmed, then queue what is new."""
        parsed: list[tuple[int, bytes, Update]] = []
        for raw in raw_updates:
            update_id = raw.get("update_id")
            if not isinstance(update_id, int):
                continue
            clean = _scrub(raw)
            update = self._read(clean)
            if update is not None:
                parsed.append((update_id, json.dumps(clean, ensure_ascii=False).encode(), update))
        db = await self.services.database()
        rows = [(uid, payload, str(lane_of(update))) for uid, payload, update in parsed]
        new = set(await state.store_updates(db, rows, offset))
        for update_id, _payload, update in parsed:
            if update_id in new:
                await self.application.update_queue.put(update)

    async def recover(self) -> int:
        """Queue the updates a previous run stored but never handled: SOS lane first."""
        db = await self.services.database()
        for update_id in await state.poisoned_updates(db, MAX_ATTEMPTS):
            _LOGGER.error("Gave up update %s: handling it failed at %d starts", update_id,
                          MAX_ATTEMPTS)  # fmt: skip
        stored = await state.unhandled_updates(db)
        for item in stored:
            update = self._read(json.loads(item.payload)) if item.payload else None
            if update is None:
                await state.skip_update(db, item.update_id)
                continue
            await self.application.update_queue.put(update)
        if stored:
            _LOGGER.info("Handling %d updates left from the last run first", len(stored))
        return len(stored)

    # --- long polling ---

    async def start_polling(self) -> None:
        """Recover, then poll in the background until `stop()`."""
        bot = self.application.bot
        await bot.delete_webhook(drop_pending_updates=False)
        await self.recover()
        self._task = asyncio.create_task(self._poll(), name="receiver")

    async def _poll(self) -> None:
        bot = self.application.bot
        offset: int | None = None
        failures = 0
        while not self._stopping.is_set():
            try:
                raw = await bot.do_api_request(
                    "getUpdates",
                    api_kwargs={"offset": offset, "timeout": self.poll_timeout,
                                "allowed_updates": json.dumps(list(Update.ALL_TYPES))},
                    read_timeout=self.poll_timeout + 10,
                )  # fmt: skip
            except asyncio.CancelledError:
                raise
            except InvalidToken:
                self.fatal = FatalReceiveError(
                    "Telegram rejected TELEGRAM_BOT_TOKEN: check it with @BotFather"
                )
                self.failed.set()
                return
            except (NetworkError, Conflict, TelegramError) as exc:
                failures += 1
                delay = min(MAX_BACKOFF_SECONDS, 2 ** min(failures, 6) / 2) * (
                    0.5 + random.random()
                )
                if failures in (1, 3) or failures % 20 == 0:
                    _LOGGER.warning("Polling failed (%s); retrying in %.1f s", exc, delay)
                await self._sleep(delay)
                continue
            failures = 0
            batch = [u for u in raw if isinstance(u, dict)] if isinstance(raw, list) else []
            if not batch:
                continue
            ids = [u["update_id"] for u in batch if isinstance(u.get("update_id"), int)]
            try:
                await self.accept(batch, offset)
            except Exception:
                _LOGGER.exception("Could not store fetched updates; fetching them again")
                await self._sleep(1.0)
                continue  # not confirmed: Telegram sends them again
            if ids:
                offset = max(ids) + 1  # confirmed by the next getUpdates

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    # --- webhook ---

    async def start_webhook(self, url: str, secret: str, listen: str, port: int) -> None:
        """Serve Telegram's webhook calls; each update is stored before the 200 answer."""
        from aiohttp import web

        async def receive(request: web.Request) -> web.Response:
            given = request.headers.get(SECRET_HEADER, "")
            if not hmac.compare_digest(given.encode(), secret.encode()):
                return web.Response(status=403)
            try:
                raw = await request.json()
            except ValueError:
                return web.Response(status=400)
            if not isinstance(raw, dict):
                return web.Response(status=400)
            await self.accept([raw], None)  # a failure here is a 500: Telegram sends again
            return web.Response(status=200)

        from urllib.parse import urlparse

        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_post(urlparse(url).path or "/", receive)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, listen, port)
        await site.start()
        self._site = runner
        await self.recover()
        await self.application.bot.set_webhook(
            url, secret_token=secret, allowed_updates=list(Update.ALL_TYPES)
        )

    async def stop(self) -> None:
        """Stop receiving; what is stored and not yet handled stays for the next start."""
        self._stopping.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._site is not None:
            await self._site.cleanup()
            self._site = None
