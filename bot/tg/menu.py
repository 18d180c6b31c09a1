"""The command menus: the one everyone sees, and each admin's own, in the admin's language.

Admins get a per-chat menu (BotCommandScopeChat) with the mother's commands and their own;
nobody else ever sees an admin command. An admin's language is remembered (never a
mother's) so the menu and the weekly list reach them in it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from telegram import Bot, BotCommand, BotCommandScopeChat
from telegram.error import TelegramError

from bot.i18n import N_, Translator, translator
from bot.services import Services
from bot.tg.context import BotContext
from bot.usecases.admins import languages_of_admins, note_admin_language

_LOGGER = logging.getLogger(__name__)

# The command menu, in both languages (Telegram shows the one matching the app's language).
COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", N_("Find help")),
    ("sos", N_("Emergency and support numbers")),
    ("language", N_("Қазақша / Русский")),
    ("privacy", N_("What the bot keeps")),
    ("clear", N_("Delete this chat")),
    ("forget", N_("Delete my data, keep the chat")),
    ("talk", N_("Talk to a person")),
    ("help", N_("How the bot works")),
    ("cancel", N_("Stop the questions")),
)
ADMIN_COMMANDS: tuple[tuple[str, str], ...] = (
    ("admin", N_("Admin commands")),
    ("edit", N_("Change an entry field by field")),
    ("set", N_("Change one field in one line")),
    ("add", N_("Add a new center")),
    ("history", N_("Every change of an entry")),
    ("undo", N_("Undo the last change of an entry")),
    ("stale", N_("Entries nobody has confirmed lately")),
    ("reports", N_("Mistakes reported by users")),
    ("resolve", N_("Close a report")),
    ("invite", N_("A one-time link for a center to confirm its entry")),
    ("approve", N_("What centers sent, to approve")),
    ("center", N_("An entry with its sources and notes")),
    ("verify", N_("Mark an entry as checked today")),
    ("close", N_("Hide an entry for now")),
    ("reopen", N_("Show a closed entry again")),
    ("export", N_("The catalog as data files")),
    ("stats", N_("Searches of the last 30 days")),
    ("duty", N_("Live line: on duty or off")),
    ("end", N_("Live line: close a case")),
    ("transfer", N_("Live line: hand a case over")),
    ("card", N_("Live line: send her a center")),
    ("block", N_("Live line: block a sender")),
)


def admin_menu(lang: str) -> list[BotCommand]:
    """An admin's menu: everyone's commands, then the admin ones."""
    t = translator(lang)
    return [BotCommand(name, t._(text)) for name, text in (*COMMANDS, *ADMIN_COMMANDS)]


async def tell_admins(
    context: BotContext, text_for: Callable[[Translator], str], about: str
) -> None:
    """Send every admin one message in their own language (`text_for` writes it, HTML).

    An admin who blocked the bot, or a wrong id, must not stop the others.
    """
    for admin, lang in (await languages_of_admins(context.services)).items():
        try:
            await context.bot.send_message(admin, text_for(translator(lang)))
        except TelegramError as exc:
            _LOGGER.warning("Could not send %s to an admin: %s", about, type(exc).__name__)


async def set_admin_menu(bot: Bot, admin: int, lang: str) -> None:
    """One admin's menu, sent only when it differs from what Telegram has."""
    scope = BotCommandScopeChat(admin)
    commands = admin_menu(lang)
    try:
        if tuple(await bot.get_my_commands(scope=scope)) != tuple(commands):
            await bot.set_my_commands(commands, scope=scope)
    except TelegramError as exc:  # e.g. the admin never opened the bot: not fatal
        _LOGGER.warning("Could not set an admin's command menu: %s", type(exc).__name__)


async def set_admin_menus(bot: Bot, services: Services) -> None:
    """Every admin's menu, at start-up."""
    for admin, lang in (await languages_of_admins(services)).items():
        await set_admin_menu(bot, admin, lang)


async def remember_admin(context: BotContext) -> None:
    """Note the language an admin writes in; their menu follows it."""
    user = context.turn.user_id
    if user is None or user not in context.services.settings.admin_ids:
        return
    lang = context.language
    if await note_admin_language(context.services, user, lang):
        await set_admin_menu(context.bot, user, lang)
