"""Help that is always one tap away, and leaving no trace: /sos, /help, /privacy, /clear,
/forget, a blocked bot.

Many mothers share a phone with the person they fear. The first two lines of every message
are neutral (phones show them on the lock screen), /clear deletes the whole conversation
from the chat, and /forget drops everything the bot stored about her.
"""

from __future__ import annotations

from typing import Any

from telegram import Bot, ChatMember, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from bot.core.codes import Language
from bot.core.model import Hotline
from bot.i18n import Translator, translator
from bot.render import anonymity_line, esc, fill, hotline_line
from bot.services import Services
from bot.tg import live
from bot.tg.context import BotContext
from bot.tg.send import ack, button, keyboard, remove_reply_keyboard, say
from bot.usecases.conversations import messages_of_chat

# Telegram's deleteMessages takes at most 100 ids at once.
_DELETE_BATCH = 100


def sos_text(hotlines: tuple[Hotline, ...], t: Translator) -> str:
    """Emergency lines first (112, 102), then the others, one line each on what it is for."""
    urgent = [h for h in hotlines if h.emergency]
    others = [h for h in hotlines if not h.emergency]
    lines = [esc(t._("📞 Useful numbers")), "", t._("<b>If you are in danger right now:</b>")]
    lines += [hotline_line(h, t) for h in urgent]
    lines += ["", t._("<b>For advice and support:</b>")]
    lines += [hotline_line(h, t) for h in others]
    anonymity = anonymity_line(hotlines, t)
    if anonymity:
        lines += ["", anonymity]
    return "\n".join(lines)


def sos_keyboard(t: Translator, talk: bool = False) -> Any:
    """Under the numbers: a person to talk to (when the live line has consultants), then
    wipe this chat."""
    rows = [[live.talk_button(t)]] if talk else []
    return keyboard([*rows, [button(t._("🧹 Clear this chat"), "clear")]])


async def send_sos_to(
    bot: Bot | None, services: Services, chat_id: int, lang: Language | None
) -> int | None:
    """Send the numbers to a chat outside any handler (the SOS lane); the message id."""
    if bot is None:
        return None
    t = translator(lang or Language(services.settings.default_language))
    message = await bot.send_message(
        chat_id, sos_text(services.catalog.hotlines, t), parse_mode=ParseMode.HTML,
        reply_markup=sos_keyboard(t, live.line_open(services)),
    )  # fmt: skip
    return message.message_id


async def send_sos(context: BotContext) -> None:
    """Send the emergency numbers to this chat, once per update (a /sos with words of
    danger, or /sos itself, passes the danger check and the command both)."""
    if context.turn.sos_sent:
        return
    t = context.t
    talk = live.line_open(context.services)
    await say(context, sos_text(context.services.catalog.hotlines, t), sos_keyboard(t, talk))
    context.turn.sos_sent = True


async def sos_command(update: Update, context: BotContext) -> None:
    """Show the emergency numbers; the conversation stays where it was."""
    await ack(update)
    await send_sos(context)
    raise ApplicationHandlerStop


async def danger_alert(update: Update, context: BotContext) -> None:
    """Words of danger: the numbers first (unless the SOS lane already sent them)."""
    if not context.turn.sos_sent and context.turn.lane not in ("normal", "live"):
        await send_sos(context)
    if update.edited_message is not None:
        raise ApplicationHandlerStop  # an edit is read for danger, never as an answer


def help_text(t: Translator) -> str:
    """What the bot does and the commands, in a few lines."""
    return "\n".join(
        esc(line)
        for line in (
            t._("Hello! I am Ana Komek."),
            t._(
                "I help young mothers and pregnant women in Kazakhstan find a place to live, "
                "support and advice near them. It is free and you do not have to give your name."
            ),
            "",
            t._("/start: find help (I ask four short questions)"),
            t._("/sos: emergency and support numbers"),
            t._("/talk: write to a consultant, here in this chat"),
            t._("/language: Қазақша or Русский"),
            t._("/privacy: what I keep and how to delete it"),
            t._("/clear: delete this whole chat"),
            t._("/forget: delete what I stored, keep the chat"),
            t._("/cancel: stop the questions"),
        )
    )


async def help_command(update: Update, context: BotContext) -> None:
    """Explain the bot and its commands."""
    t = context.t
    await say(context, help_text(t), keyboard([[button(t._("🆘 Emergency numbers"), "sos")]]))
    raise ApplicationHandlerStop


def privacy_text(t: Translator, retention_hours: int, idle_minutes: int) -> str:
    """What is kept, for how long, who sees it, and how to wipe it."""
    return "\n".join(
        [
            esc(t._("About your privacy")),
            "",
            fill(
                t.ngettext(
                    "I keep only your answers to my questions and your language, and only while "
                    "we talk: after {minutes} minute of silence I delete them.",
                    "I keep only your answers to my questions and your language, and only while "
                    "we talk: after {minutes} minutes of silence I delete them.",
                    idle_minutes,
                ),
                minutes=idle_minutes,
            ),
            fill(
                t.ngettext(
                    "To be able to clear this chat for you, I keep the numbers of our messages "
                    "(not their text) for {hours} hour.",
                    "To be able to clear this chat for you, I keep the numbers of our messages "
                    "(not their text) for {hours} hours.",
                    retention_hours,
                ),
                hours=retention_hours,
            ),
            esc(
                t._(
                    "I do not keep your name, your phone number or the text of your messages. "
                    "Nobody at the centers sees our chat; statistics only count searches per "
                    "region, without you."
                )
            ),
            esc(
                t._(
                    "When you write to a consultant (/talk), your messages go to them through "
                    "me; I keep neither them nor who you are once the conversation ends. If a "
                    "consultant blocks a sender for insults, I keep only a code computed from "
                    "the account with a secret key (a keyed hash), never the account itself."
                )
            ),
            esc(
                t._(
                    "/clear deletes this whole chat and everything I stored. /forget deletes "
                    "what I stored and keeps the chat."
                )
            ),
        ]
    )


async def privacy_command(update: Update, context: BotContext) -> None:
    """Explain what the bot keeps and how to wipe it."""
    t = context.t
    settings = context.services.settings
    text = privacy_text(t, settings.message_retention_hours, settings.conversation_timeout_minutes)
    await say(context, text, keyboard([[button(t._("🧹 Clear this chat"), "clear")]]))
    raise ApplicationHandlerStop


async def _delete_quietly(context: BotContext, chat_id: int, message_ids: list[int]) -> None:
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


def _forget(context: BotContext) -> None:
    """Everything about her goes when this update is committed (and the WAL is emptied)."""
    context.end()
    context.turn.forgotten = True
    context.turn.message_ids.clear()


async def clear_chat(update: Update, context: BotContext) -> None:
    """Delete every message of this conversation and everything stored about her."""
    t = context.t
    await ack(update)
    chat_id = context.turn.chat_id
    if chat_id is not None and context.turn.private:
        # Numbers the SOS lane is still sending her (a 🆘 tapped just before) go too.
        await context.turn.settle_sos()
        ids = await messages_of_chat(context.services, chat_id)
        ids += context.turn.message_ids
        if update.message is not None:
            ids.append(update.message.message_id)
        await _delete_quietly(context, chat_id, sorted(set(ids)))
    await live.end_from_her_side(context)
    _forget(context)
    await say(context, esc(t._("Done.")), remove_reply_keyboard())
    context.turn.message_ids.clear()  # "Done." is not remembered: nothing of her stays
    raise ApplicationHandlerStop


async def forget_me(update: Update, context: BotContext) -> None:
    """Drop everything stored about her; the chat itself stays."""
    t = context.t
    await ack(update)
    await live.end_from_her_side(context)
    _forget(context)
    await say(context, esc(t._("Done.")), remove_reply_keyboard())
    context.turn.message_ids.clear()
    raise ApplicationHandlerStop


async def blocked(update: Update, context: BotContext) -> None:
    """She blocked or deleted the bot: keep nothing about her."""
    member = update.my_chat_member
    if member is not None and member.new_chat_member.status == ChatMember.BANNED:
        await live.end_from_her_side(context)
        _forget(context)
    raise ApplicationHandlerStop
