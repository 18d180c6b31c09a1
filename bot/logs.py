"""Logging that cannot leak a mother's words, a name, an id or the bot's token.

One filter sits on the handler, so it sees every record of every library at every level
(PTB logs whole updates at DEBUG and CRITICAL, httpx logs URLs with the token): a record
whose arguments are Telegram objects or raw JSON is reduced to what kind of thing it was;
exception text is dropped (it can quote her words, e.g. "invalid literal for int(): '…'")
and only the exception's type and where it happened are kept; anything that looks like a
token is masked. Repeated lines are counted, not repeated, so the log stays bounded.
"""

from __future__ import annotations

import logging
import re
import time
import traceback
from collections.abc import Mapping, Sequence
from types import TracebackType

from telegram import TelegramObject, Update
from telegram.error import TelegramError

_NOISY = ("httpx", "httpcore", "telegram", "apscheduler", "aiosqlite", "aiohttp")
_TOKEN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")
_BOT_URL = re.compile(r"/bot[^/\s]+/")
# At most this many records with the same text per window; then one line says how many.
_REPEATS_PER_WINDOW = 5
_WINDOW_SECONDS = 60.0
_MAX_MESSAGE = 500


def update_kind(update: object) -> str:
    """What kind of update this is (message, callback_query, …), never what it says."""
    if isinstance(update, Update):
        for kind in ("message", "edited_message", "callback_query", "inline_query",
                     "my_chat_member", "chosen_inline_result"):  # fmt: skip
            if getattr(update, kind, None) is not None:
                return kind
        return "other"
    if isinstance(update, Mapping):
        keys = [k for k in update if k != "update_id"]
        return str(keys[0]) if keys else "empty"
    return type(update).__name__


def describe(value: object) -> str:
    """A content-free stand-in for a value that may hold her words."""
    if isinstance(value, Update):
        return f"<update {value.update_id} {update_kind(value)}>"
    if isinstance(value, Mapping) and "update_id" in value:
        return f"<update {value.get('update_id')} {update_kind(value)}>"
    if isinstance(value, TelegramObject | Mapping):
        return f"<{type(value).__name__}>"
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return f"<{len(value)} items>"
    if isinstance(value, BaseException) and not isinstance(value, TelegramError):
        return type(value).__name__  # its text can quote her words; Telegram's never does
    return str(value)


def mask(text: str) -> str:
    """Mask tokens and the token part of Bot API URLs."""
    return _BOT_URL.sub("/bot<token>/", _TOKEN.sub("<token>", text))


def _where(tb: TracebackType | None) -> str:
    frames = traceback.extract_tb(tb)[-3:]
    return " <- ".join(
        f"{f.filename.rsplit('/', 2)[-1]}:{f.lineno} {f.name}" for f in reversed(frames)
    )


class PrivacyFilter(logging.Filter):
    """Rewrites every record so that it carries no content; drops floods of repeats."""

    def __init__(self) -> None:
        super().__init__()
        self._seen: dict[str, tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if not isinstance(record.msg, str):  # logger.error(update): the object is the message
            record.msg = describe(record.msg)
        template = f"{record.name}:{record.levelno}:{record.msg}"
        args = record.args
        if isinstance(args, Mapping):
            args = {k: describe(v) for k, v in args.items()}
        elif isinstance(args, tuple):
            args = tuple(describe(a) if not isinstance(a, int | float) else a for a in args)
        try:
            message = str(record.msg) % args if args else str(record.msg)
        except (TypeError, ValueError):
            message = str(record.msg)
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            detail = type(error).__name__
            if isinstance(error, TelegramError):  # Telegram's own words, never hers
                detail += f": {error}"
            message += f" ({detail} at {_where(record.exc_info[2])})"
            record.exc_info = None
            record.exc_text = None
        record.stack_info = None
        message = mask(message)
        if len(message) > _MAX_MESSAGE:
            message = message[:_MAX_MESSAGE] + "…"
        record.msg, record.args = message, None
        return self._not_a_flood(record, template, message)

    def _not_a_flood(self, record: logging.LogRecord, key: str, message: str) -> bool:
        now = time.monotonic()
        start, count = self._seen.get(key, (now, 0))
        if now - start > _WINDOW_SECONDS:
            if count > _REPEATS_PER_WINDOW:
                record.msg = f"{message} (and {count - _REPEATS_PER_WINDOW} more like it)"
            start, count = now, 0
        self._seen[key] = (start, count + 1)
        if len(self._seen) > 1000:  # forget old keys; the log is bounded, so is this
            self._seen = {k: v for k, v in self._seen.items() if now - v[0] <= _WINDOW_SECONDS}
        return count < _REPEATS_PER_WINDOW


def configure(level: str) -> None:
    """Plain, content-free log lines on stderr."""
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=level)
    for name in _NOISY:
        # Libraries never go below WARNING: their DEBUG and INFO lines are about requests.
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    for handler in logging.getLogger().handlers:
        install(handler)


def install(handler: logging.Handler) -> None:
    """Put the privacy filter on a handler (once)."""
    if not any(isinstance(f, PrivacyFilter) for f in handler.filters):
        handler.addFilter(PrivacyFilter())
