"""Logging that cannot leak a mother's words: no message text, users only as salted hashes.

PTB logs whole updates at DEBUG and httpx logs request URLs (with the bot token) at INFO,
so those loggers never go below WARNING, whatever LOG_LEVEL says.
"""

from __future__ import annotations

import hashlib
import logging

from telegram import Update

_NOISY = ("httpx", "httpcore", "telegram", "apscheduler", "aiosqlite")


def configure(level: str) -> None:
    """Plain, content-free log lines on stderr."""
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=level)
    for name in _NOISY:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(level)))


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
