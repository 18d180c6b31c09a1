"""Receiving updates so that none is lost: stored in SQLite before Telegram is told.

Telegram forgets an update once the bot confirms it (the next getUpdates with a higher
offset, or a 2xx answer to a webhook call). PTB's Updater confirms updates before its
handlers ran, so a crash lost them. Here every update is written to the inbox first and
only then confirmed; the update processor marks it handled in the same transaction as her
state; after a crash, what is left in the inbox is handled first on the next start. An
update Telegram sends again is stored once and handled once.

An update that cannot be read (a kind or shape PTB does not know, a field of the wrong
type, text that is not valid Unicode) is logged once, by id and kind only, and skipped: it
never blocks the updates beside it or behind it. What can be stored is stored (a lone
surrogate in her text becomes "?"). Polling errors back off, capped and jittered.

A batch is stored in one transaction (one trip to the database thread). On a restart, what
the inbox holds is told apart by its "started" mark (see `bot.tg.processor`): updates that
never started are queued as usual; updates whose handling began and did not finish (the
process died with them) are handled one at a time before polling resumes, each marked again
first, so an update the process dies with every time is given up after `MAX_ATTEMPTS`,
and only that one.
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
from typing import Any, cast

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, TelegramError
from telegram.ext import Application
from telegram.warnings import PTBUserWarning

from bot.logs import update_kind
from bot.services import Services
from bot.tg.processor import UpdateProcessor
from bot.tg.turn import Lane, lane_of
from bot.usecases import inbox

_LOGGER = logging.getLogger(__name__)
# getUpdates is called through do_api_request on purpose: the raw JSON is needed, so that
# one unreadable update can be skipped instead of failing the whole batch.
warnings.filterwarnings("ignore", message="Please use 'Bot.getUpdates'", category=PTBUserWarning)
POLL_TIMEOUT_SECONDS = 30
MAX_BACKOFF_SECONDS = 30.0
# A stored update whose handling began at this many starts, and never finished, is given up.
MAX_ATTEMPTS = 3
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Names are never needed to help her: they are not kept, not even for the seconds an
# update waits in the inbox.
_NAME_KEYS = ("first_name", "last_name", "username")

AnyApp = Application[Any, Any, Any, Any, Any, Any]


def _is_text(value: object, optional: bool = True) -> bool:
    return isinstance(value, str) or (optional and value is None)


def _is_id(value: object) -> bool:
    return type(value) is int


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


def _well_typed(update: Update) -> bool:
    """The fields handlers read have the types the Bot API promises (PTB does not check)."""
    if not _is_id(update.update_id):
        return False
    for message in (update.message, update.edited_message):
        if message is not None and not (
            _is_text(message.text) and _is_text(message.caption) and _is_id(message.message_id)
        ):
            return False
    query = update.callback_query
    if query is not None and not _is_text(query.data):
        return False
    if update.inline_query is not None and not _is_text(update.inline_query.query, False):
        return False
    user, chat = update.effective_user, update.effective_chat
    return (user is None or _is_id(user.id)) and (chat is None or _is_id(chat.id))


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

    @property
    def processor(self) -> UpdateProcessor | None:
        processor = self.application.update_processor
        return processor if isinstance(processor, UpdateProcessor) else None

    def _skipped(self, raw: Mapping[str, Any], exc: BaseException | str) -> None:
        reason = exc if isinstance(exc, str) else type(exc).__name__
        update_id = raw.get("update_id") if isinstance(raw, Mapping) else None
        _LOGGER.error(
            "Skipped update %s (%s): it cannot be read (%s)",
            update_id if type(update_id) is int else "?", update_kind(raw), reason,
        )  # fmt: skip

    def _read(self, raw: Mapping[str, Any]) -> Update | None:
        """Parse one update; None (logged once, no content) when it cannot be read."""
        try:
            update = Update.de_json(dict(raw), self.application.bot)
        except Exception as exc:  # PTB raises many kinds for malformed updates
            self._skipped(raw, exc)
            return None
        if not _well_typed(update):
            self._skipped(raw, "a field has the wrong type")
            return None
        return update

    def _prepare(self, raw: Mapping[str, Any]) -> tuple[int, str, Update, Lane] | None:
        """One fetched update as it is stored (names scrubbed, valid Unicode) and parsed; None
        when it cannot be (logged once, by id and kind)."""
        try:
            update_id = raw.get("update_id")
            if type(update_id) is not int:
                self._skipped(raw, "no update id")
                return None
            clean = _scrub(raw)
            payload = json.dumps(clean, ensure_ascii=False)
            try:
                payload.encode()
            except UnicodeEncodeError:
                # A lone surrogate cannot be stored (nor sent back): it becomes "?".
                payload = payload.encode(errors="replace").decode()
                clean = json.loads(payload)
            update = self._read(clean)
            if update is None:
                return None
            return update_id, payload, update, lane_of(update)
        except Exception as exc:  # one bad update never stops the others
            self._skipped(raw, exc)
            return None

    async def accept(self, raw_updates: Sequence[Mapping[str, Any]], offset: int | None) -> None:
        """Store a batch in one transaction before it is confirmed, then queue what is new.
        The "started" marks the processor owes ride along."""
        prepared = [p for p in map(self._prepare, raw_updates) if p is not None]
        processor = self.processor
        started = processor.take_started() if processor is not None else []
        rows = [(update_id, payload, str(lane)) for update_id, payload, _, lane in prepared]
        try:
            new = set(await inbox.store(self.services, rows, offset, started))
        except BaseException:
            if processor is not None:
                processor.give_back(started)
            raise
        for update_id, _payload, update, _lane in prepared:
            if update_id in new:
                await self.application.update_queue.put(update)

    async def recover(self) -> int:
        """Handle what a previous run stored and did not finish: SOS lane first. Updates that
        never started are queued; those the process died with are handled one at a time."""
        for update_id in await inbox.give_up_poisoned(self.services, MAX_ATTEMPTS):
            _LOGGER.error("Gave up update %s: the process died while handling it at %d starts",
                          update_id, MAX_ATTEMPTS)  # fmt: skip
        stored = await inbox.unhandled(self.services)
        suspects: list[Update] = []
        for item in stored:
            update = self._read_stored(item.payload)
            if update is None:
                await inbox.skip(self.services, item.update_id)
            elif item.attempts:
                suspects.append(update)
            else:
                await self.application.update_queue.put(update)
        if stored:
            _LOGGER.info("Handling %d updates left from the last run first (%d had begun)",
                         len(stored), len(suspects))  # fmt: skip
        processor = self.processor
        for update in suspects:
            # Marked before it is handled: if the process dies now, it died with this one.
            await inbox.mark_started(self.services, [update.update_id])
            if processor is None:
                await self.application.update_queue.put(update)
                continue
            processor.marked(update.update_id)
            try:
                await processor.process_update(update, self.application.process_update(update))
            except Exception:
                _LOGGER.exception("Handling a stored update failed")
        return len(stored)

    def _read_stored(self, payload: bytes) -> Update | None:
        if not payload:
            return None
        try:
            raw = json.loads(payload)
        except ValueError:
            return None
        return self._read(cast(Mapping[str, Any], raw)) if isinstance(raw, dict) else None

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
            except (ValueError, RecursionError):  # not JSON, or nested too deep to read
                return web.Response(status=400)
            if not isinstance(raw, dict):
                return web.Response(status=400)
            # An update that cannot be read is skipped inside (and answered 200, so Telegram
            # does not send it again); only a failure to store is a 500: Telegram retries.
            await self.accept([raw], None)
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
