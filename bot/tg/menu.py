"""The command menu everyone sees, and messages to every admin in the admin's own language.

Admins get a per-chat menu (BotCommandScopeChat) with these commands and their own, made from
the command registry (`bot.tg.commands`); nobody else ever sees an admin command. An admin's
language is remembered (never a mother's) so the menu and the weekly list reach them in it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from telegram.error import TelegramError

from bot.i18n import N_, Translator, translator
from bot.tg.context import BotContext
from bot.usecases.admins import languages_of_admins

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
