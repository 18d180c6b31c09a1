"""Help that is always one tap away, and leaving no trace: /sos, /help, /privacy, /clear, /forget.

Many mothers share a phone with the person they fear. The first line of every message is
neutral (phones show it on the lock screen), /clear deletes the whole conversation from the
chat, and /forget drops everything the bot stored about her.
"""

from __future__ import annotations

import logging
import re

from telegram import ChatMember, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, ConversationHandler

from bot.i18n import Translator
from bot.render import hotline_line
from bot.storage import state_repo
from bot.tg.common import (
    Context,
    ack,
    button,
    is_private,
    remove_reply_keyboard,
    say,
    services,
    tr,
)

_LOGGER = logging.getLogger(__name__)
# Telegram's deleteMessages takes at most 100 ids at once.
_DELETE_BATCH = 100

# Words of immediate danger, as a frightened person types them (stems, both languages).
DANGER_PATTERNS: tuple[str, ...] = (
    r"убь[её]т", r"убить", r"убива", r"уб[ьи]ю", r"бь[её]т", r"избива", r"изби[лт]",
    r"удар", r"помогите", r"спасите", r"суицид", r"поконч", r"не хочу жить", r"умереть",
    r"умру", r"повес", r"изнасил", r"угрожа", r"выгнал[аи]? на улицу",
    r"өлтір", r"ұрады", r"ұрды", r"ұрып", r"соғып", r"көмектесің", r"көмек керек", r"құтқар",
    r"өлгім", r"өмір сүргім келмейді", r"зорла", r"қорқытады", r"асылып",
    r"pomogi", r"spasi", r"ubj[eo]t", r"komektes", r"oltir",
)  # fmt: skip
_DANGER = re.compile("|".join(DANGER_PATTERNS))


def is_danger(text: str) -> bool:
    """True when the text has words of immediate danger."""
    return bool(_DANGER.search(text.casefold().replace("ё", "е")))


def sos_text(update: Update, context: Context, t: Translator) -> str:
    """Emergency lines first (112, 102), then the others, one line each on what it is for."""
    hotlines = services(context).catalog.hotlines
    urgent = [h for h in hotlines if h.emergency]
    others = [h for h in hotlines if not h.emergency]
    lines = [t._("📞 Useful numbers"), "", t._("<b>If you are in danger right now:</b>")]
    lines += [hotline_line(h, t) for h in urgent]
    lines += ["", t._("<b>For advice and support:</b>")]
    lines += [hotline_line(h, t) for h in others]
    lines += ["", t._("Calls to these numbers are free. You do not have to give your name.")]
    return "\n".join(lines)


def sos_keyboard(t: Translator) -> InlineKeyboardMarkup:
    """Under the numbers: wipe this chat."""
    return InlineKeyboardMarkup([[button(t._("🧹 Clear this chat"), "clear")]])


async def send_sos(update: Update, context: Context) -> None:
    """Send the emergency numbers to this chat."""
    t = tr(update, context)
    await say(update, context, sos_text(update, context, t), sos_keyboard(t))


async def sos_command(update: Update, context: Context) -> None:
    """Show the emergency numbers; the conversation stays where it was."""
    await ack(update)
    await send_sos(update, context)
    raise ApplicationHandlerStop


async def danger_alert(update: Update, context: Context) -> None:
    """When she writes words of danger, the next reply leads with the emergency numbers."""
    message = update.effective_message
    words = (message.text or message.caption or "") if message is not None else ""
    if words and is_danger(words):
        await send_sos(update, context)


def help_text(t: Translator) -> str:
    """What the bot does and the commands, in a few lines."""
    return "\n".join(
        [
            t._("Hello! I am Ana Komek."),
            t._(
                "I help young mothers and pregnant women in Kazakhstan find a place to live, "
                "support and advice near them. It is free and you do not have to give your name."
            ),
            "",
            t._("/start: find help (I ask four short questions)"),
            t._("/sos: emergency and support numbers"),
            t._("/language: Қазақша or Русский"),
            t._("/privacy: what I keep and how to delete it"),
            t._("/clear: delete this whole chat"),
            t._("/forget: delete what I stored, keep the chat"),
            t._("/cancel: stop the questions"),
        ]
    )


async def help_command(update: Update, context: Context) -> None:
    """Explain the bot and its commands."""
    t = tr(update, context)
    await say(
        update,
        context,
        help_text(t),
        InlineKeyboardMarkup([[button(t._("🆘 Emergency numbers"), "sos")]]),
    )
    raise ApplicationHandlerStop


def privacy_text(t: Translator, retention_hours: int, idle_minutes: int) -> str:
    """What is kept, for how long, who sees it, and how to wipe it."""
    return "\n".join(
        [
            t._("About your privacy"),
            "",
            t.ngettext(
                "I keep only your answers to my questions and your language, and only while we "
                "talk: after {minutes} minute of silence I delete them.",
                "I keep only your answers to my questions and your language, and only while we "
                "talk: after {minutes} minutes of silence I delete them.",
                idle_minutes,
            ).format(minutes=idle_minutes),
            t.ngettext(
                "To be able to clear this chat for you, I keep the numbers of our messages (not "
                "their text) for {hours} hour.",
                "To be able to clear this chat for you, I keep the numbers of our messages (not "
                "their text) for {hours} hours.",
                retention_hours,
            ).format(hours=retention_hours),
            t._(
                "I do not keep your name, your phone number or the text of your messages. Nobody "
                "at the centers sees our chat; statistics only count searches per region, "
                "without you."
            ),
            t._(
                "/clear deletes this whole chat and everything I stored. /forget deletes what I "
                "stored and keeps the chat."
            ),
        ]
    )


async def privacy_command(update: Update, context: Context) -> None:
    """Explain what the bot keeps and how to wipe it."""
    t = tr(update, context)
    settings = services(context).settings
    text = privacy_text(t, settings.message_retention_hours, settings.conversation_timeout_minutes)
    await say(
        update, context, text, InlineKeyboardMarkup([[button(t._("🧹 Clear this chat"), "clear")]])
    )
    raise ApplicationHandlerStop


async def _delete_quietly(context: Context, chat_id: int, message_ids: list[int]) -> None:
    """Delete what can be deleted; a message too old or already gone does not stop the rest."""
    for start in range(0, len(message_ids), _DELETE_BATCH):
        batch = message_ids[start : start + _DELETE_BATCH]
        try:
            await context.bot.delete_messages(chat_id, batch)
            continue
        except TelegramError:
            pass  # some message is too old: go one by one
        for message_id in batch:
            try:
                await context.bot.delete_message(chat_id, message_id)
            except TelegramError:
                continue


async def _forget(update: Update, context: Context) -> None:
    user = update.effective_user
    if user is None:
        return
    context.application.drop_user_data(user.id)
    await state_repo.forget_user(await services(context).database(), user.id)


async def clear_chat(update: Update, context: Context) -> int:
    """Delete every message of this conversation and everything stored about her."""
    t = tr(update, context)
    chat = update.effective_chat
    await ack(update)
    if chat is not None and is_private(update):
        db = await services(context).database()
        ids = await state_repo.chat_message_ids(db, chat.id)
        if update.message is not None:
            ids.append(update.message.message_id)
        await _delete_quietly(context, chat.id, sorted(set(ids)))
    await _forget(update, context)
    await say(update, context, t._("Done."), remove_reply_keyboard(), remember=False)
    return ConversationHandler.END


async def forget_me(update: Update, context: Context) -> int:
    """Drop everything stored about her; the chat itself stays."""
    t = tr(update, context)
    await ack(update)
    await _forget(update, context)
    await say(update, context, t._("Done."), remove_reply_keyboard(), remember=False)
    return ConversationHandler.END


async def blocked(update: Update, context: Context) -> None:
    """She blocked or deleted the bot: keep nothing about her."""
    member = update.my_chat_member
    if member is not None and member.new_chat_member.status == ChatMember.BANNED:
        await _forget(update, context)
    raise ApplicationHandlerStop
