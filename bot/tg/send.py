"""One way to talk to Telegram: send, edit in place, answer taps, build buttons.

Every message goes through `say` or `show`, which note its id for /clear (private chats
only; kept at most 48 hours) and always send HTML without link previews. Text given here is
HTML already escaped by `bot.render`.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError

from bot.core.matching import Matcher, MatchResult, Query
from bot.i18n import Translator
from bot.tg.context import BotContext

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove
MAX_CALLBACK_BYTES = 64


@dataclass(frozen=True)
class Screen:
    """What one message shows: text and its buttons (a reply keyboard cannot be edited in,
    so a screen with one is always sent as a new message)."""

    text: str
    markup: Markup | None = None
    # The ids of the center cards it shows, counted per day for /stale (no one is counted).
    centers: tuple[str, ...] = ()


async def search(matcher: Matcher, query: Query) -> MatchResult:
    """A search, off the event loop: with a big catalog it takes milliseconds, and every
    other mother's update must not wait for it."""
    return await asyncio.to_thread(matcher.match, query)


def button(text: str, data: str) -> InlineKeyboardButton:
    """An inline button; callback data is language-neutral and at most 64 bytes."""
    if len(data.encode()) > MAX_CALLBACK_BYTES:
        raise ValueError(f"callback data longer than 64 bytes: {data!r}")
    return InlineKeyboardButton(text, callback_data=data)


def sos_button(t: Translator) -> InlineKeyboardButton:
    """The button that keeps the emergency numbers one tap away."""
    return button(t._("🆘 Emergency numbers"), "sos")


async def say(
    context: BotContext,
    text: str,
    markup: Markup | None = None,
    *,
    chat_id: int | None = None,
    silent: bool = False,
) -> Message:
    """Send one message to this update's chat (or `chat_id`) and note its id for /clear."""
    target = chat_id if chat_id is not None else context.turn.chat_id
    assert target is not None
    message = await context.bot.send_message(
        chat_id=target,
        text=text,
        parse_mode=ParseMode.HTML,
        reply_markup=markup,
        disable_notification=silent,
    )
    if context.turn.private and target == context.turn.chat_id:
        context.turn.message_ids.append(message.message_id)
    return message


async def ack(update: Update, text: str | None = None, alert: bool = False) -> None:
    """Answer her tap (stops the spinner). A tap too old to answer must not stop the reply."""
    query = update.callback_query
    if query is None:
        return
    with contextlib.suppress(TelegramError):
        await query.answer(text, show_alert=alert)


def tapped_message(update: Update) -> Message | None:
    """The message whose button she tapped, if Telegram still lets the bot edit it."""
    query = update.callback_query
    if query is None or not isinstance(query.message, Message):
        return None
    return query.message


async def show(update: Update, context: BotContext, screen: Screen) -> None:
    """Show a screen: edit the tapped message when it is her current screen, else send.

    Editing in place keeps a journey to a couple of calls per tap and leaves one living
    screen in the chat; a typed answer always gets a new message below hers.
    """
    session = context.session
    tapped = tapped_message(update)
    inline = screen.markup if isinstance(screen.markup, InlineKeyboardMarkup) else None
    editable = screen.markup is None or inline is not None
    if (
        tapped is not None
        and editable
        and session is not None
        and session.screen == tapped.message_id
    ):
        try:
            await tapped.edit_text(screen.text, parse_mode=ParseMode.HTML, reply_markup=inline)
            return
        except BadRequest as exc:
            if "not modified" in str(exc):
                return  # a double tap: the screen already shows this
            # too old or gone: send it anew below
    message = await say(context, screen.text, screen.markup)
    if session is not None and isinstance(screen.markup, InlineKeyboardMarkup | None):
        session.screen = message.message_id


def keyboard(rows: list[list[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    """Inline keyboard from rows, empty rows left out."""
    return InlineKeyboardMarkup([row for row in rows if row])


def remove_reply_keyboard() -> ReplyKeyboardRemove:
    """Hide the location keyboard once she has answered."""
    return ReplyKeyboardRemove()
