"""What every handler needs: her language, the shared services, and one way to send.

All messages go through `say`, which records the message id for /clear (a private chat
only, kept at most 48 hours) and always uses HTML without link previews.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any, cast

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.core import codes
from bot.i18n import Translator, translator
from bot.services import Services
from bot.storage import state_repo

Context = ContextTypes.DEFAULT_TYPE
SERVICES_KEY = "services"
# Keys of user_data. Only these are ever stored about her.
LANG = "lang"
ANSWERS = "answers"
STEP = "step"
PICKED = "picked"
PENDING_AGE = "pending_age"
SHOWN = "shown"
TOUCHED = "t"
COUNTED = "counted"
CONVERSATION_KEYS = (ANSWERS, STEP, PICKED, PENDING_AGE, SHOWN, COUNTED)
LANGUAGE_LABELS = {"kk": "Қазақша", "ru": "Русский"}

Markup = Any  # an inline or reply keyboard, or a keyboard removal


def services(context: Context) -> Services:
    """The process-wide services, put into bot_data at start-up."""
    return cast(Services, context.bot_data[SERVICES_KEY])


def user_data(context: Context) -> dict[str, Any]:
    """Her stored data (a dict PTB persists); empty for a stranger."""
    data = context.user_data
    return data if data is not None else {}


def language(context: Context) -> str | None:
    """Her chosen language, if she has chosen one."""
    lang = user_data(context).get(LANG)
    return lang if lang in codes.LANGUAGES else None


def suggested_language(update: Update, context: Context) -> str:
    """Her choice, else her Telegram app's language, else the bot's default."""
    chosen = language(context)
    if chosen:
        return chosen
    user = update.effective_user
    code = (user.language_code or "") if user else ""
    if code.startswith("kk"):
        return "kk"
    if code.startswith("ru"):
        return "ru"
    return services(context).settings.default_language


def tr(update: Update, context: Context) -> Translator:
    """The translator for this update's language."""
    return translator(suggested_language(update, context))


def answers(context: Context) -> dict[str, Any]:
    """Her answers so far (created on first use)."""
    data = user_data(context)
    return cast(dict[str, Any], data.setdefault(ANSWERS, {}))


def touch(context: Context) -> None:
    """Note when she was last active, so what we keep about her goes once she is idle.

    Only for someone the bot already keeps something about: a stranger who only asks for
    /sos, or a mother who has just wiped her data, must not get a row back for it.
    """
    if context.user_data:
        context.user_data[TOUCHED] = int(time.time())


def is_private(update: Update) -> bool:
    """True in a one-to-one chat with the bot, the only place the bot talks to mothers."""
    return update.effective_chat is not None and update.effective_chat.type == ChatType.PRIVATE


async def remember_messages(context: Context, chat_id: int, *message_ids: int) -> None:
    """Keep message ids of a private chat so that /clear can delete them."""
    db = await services(context).database()
    await state_repo.record_messages(db, chat_id, message_ids)


async def send_to(
    context: Context,
    chat_id: int,
    text: str,
    markup: Markup | None = None,
    silent: bool = False,
    remember: bool = True,
) -> Message:
    """Send one message (HTML, no link previews) and remember its id for /clear."""
    message = await context.bot.send_message(
        chat_id=chat_id,
        text=text,
        parse_mode=ParseMode.HTML,
        reply_markup=markup,
        disable_notification=silent,
    )
    if remember:
        await remember_messages(context, chat_id, message.message_id)
    return message


async def say(
    update: Update,
    context: Context,
    text: str,
    markup: Markup | None = None,
    remember: bool = True,
    silent: bool = False,
) -> Message:
    """Answer in the chat of this update; ids are remembered in private chats only."""
    chat = update.effective_chat
    assert chat is not None
    return await send_to(
        context, chat.id, text, markup, silent=silent, remember=remember and is_private(update)
    )


async def send_pin(
    update: Update, context: Context, lat: float, lon: float, title: str, address: str
) -> Message:
    """A map pin of a public address, remembered for /clear like every message."""
    chat = update.effective_chat
    assert chat is not None
    message = await context.bot.send_venue(
        chat_id=chat.id, latitude=lat, longitude=lon, title=title, address=address
    )
    if is_private(update):
        await remember_messages(context, chat.id, message.message_id)
    return message


async def ack(update: Update, text: str | None = None, alert: bool = False) -> None:
    """Answer her tap (stops the spinner). A tap too old to answer must not stop the reply."""
    query = update.callback_query
    if query is None:
        return
    with contextlib.suppress(TelegramError):
        await query.answer(text, show_alert=alert)


async def edit_buttons(update: Update, markup: InlineKeyboardMarkup | None) -> None:
    """Change the buttons under the tapped message, if Telegram still lets us."""
    query = update.callback_query
    if query is None or not isinstance(query.message, Message):
        return  # too old to edit: the new message below carries the buttons anyway
    with contextlib.suppress(TelegramError):  # unchanged after a double tap, or deleted
        await query.edit_message_reply_markup(markup)


def set_step(context: Context, step: str) -> None:
    """Remember which question she is at; a conversation in progress is a living one."""
    user_data(context)[STEP] = step
    touch(context)


def button(text: str, data: str) -> InlineKeyboardButton:
    """An inline button; callback data is language-neutral and at most 64 bytes."""
    if len(data.encode()) > 64:
        raise ValueError(f"callback data longer than 64 bytes: {data!r}")
    return InlineKeyboardButton(text, callback_data=data)


def sos_row(t: Translator) -> list[InlineKeyboardButton]:
    """The row that keeps the emergency numbers one tap away."""
    return [button(t._("🆘 Emergency numbers"), "sos")]


def remove_reply_keyboard() -> ReplyKeyboardRemove:
    """Hide the location keyboard once she has answered."""
    return ReplyKeyboardRemove()
