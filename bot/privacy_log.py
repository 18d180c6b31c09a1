"""Logging that cannot leak a mother's words: no message text, users only as salted hashes.

PTB logs whole updates at DEBUG and httpx logs request URLs (with the bot token) at INFO,
so those loggers never go below WARNING, whatever LOG_LEVEL says.
"""

from __future__ import annotations

import hashlib
import logging

from telegram import Update

_NOISY = ("httpx", "httpcore", "telegram", "apscheduler", "aiosqlite")


class _LibraryErrorsOnOneLine(logging.Filter):
    """PTB and httpx log whole tracebacks for network trouble; an operator needs one line.

    The bot's own records keep their traceback (they never carry message content).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        library = record.name.split(".")[0] in _NOISY
        if library and record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            record.msg = f"{record.getMessage()} ({type(error).__name__}: {error})"
            record.args = None
            record.exc_info = None
        return True


def configure(level: str) -> None:
    """Plain, content-free log lines on stderr."""
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=level)
    for name in _NOISY:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    for handler in logging.getLogger().handlers:
        handler.addFilter(_LibraryErrorsOnOneLine())


def user_hash(update: object, salt: str) -> str:
    """An opaque id for correlating log lines of one user; not reversible without the salt."""
    if not isinstance(update, Update) or update.effective_user is None:
        return "-"
    digest = hashlib.sha256(f"{salt}:{update.effective_user.id}".encode()).hexdigest()
    return f"u{digest[:10]}"


def update_kind(update: object) -> str:
    """What kind of update this is (message, callback_query, …), never what it says."""
    if not isinstance(update, Update):
        return type(update).__name__
    for kind in ("message", "edited_message", "callback_query", "my_chat_member", "inline_query"):
        if getattr(update, kind, None) is not None:
            if kind == "message" and update.message is not None:
                return f"message/{_message_kind(update)}"
            return kind
    return "other"


def _message_kind(update: Update) -> str:
    message = update.message
    assert message is not None
    for kind in ("text", "location", "sticker", "photo", "voice", "document", "video", "contact"):
        if getattr(message, kind, None):
            return kind
    return "other"
