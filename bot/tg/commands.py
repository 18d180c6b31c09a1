"""Every command of admins and staff in one registry: its handler, who may use it, its line in
the admins' command menu and its line in /admin.

`bot.app` registers the commands from `REGISTRY`, each admin's command menu is made from it,
and so is the /admin text: a new admin command is one entry here (and its handler). An admin
entry without a menu line or a help line stops the bot at start-up (and fails a test).
Staff commands (admins have them too) have no /admin line; those with a menu line are in the
admins' menus after the admin commands.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from telegram import Bot, BotCommand, BotCommandScopeChat, Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from bot.i18n import N_, Translator, translator
from bot.render import esc
from bot.services import Services
from bot.tg import adding, admin, editing, history, invites, live, reports, staff, stale
from bot.tg.adminkit import AdminHandler
from bot.tg.context import BotContext
from bot.tg.menu import COMMANDS
from bot.tg.send import say
from bot.usecases.admins import languages_of_admins, note_admin_language

_LOGGER = logging.getLogger(__name__)


class Role(StrEnum):
    """Who may use a command."""

    ADMIN = "admin"  # ADMIN_IDS only
    STAFF = "staff"  # STAFF_IDS and admins


@dataclass(frozen=True)
class Command:
    """One command: `menu` and `help` are untranslated (N_) lines, shown in the user's
    language. Both are required for an admin command; a staff command has no /admin line,
    and a menu line only when admins should see it in their menu."""

    name: str
    handler: AdminHandler
    role: Role
    menu: str | None = None
    help: str | None = None


async def admin_help(update: Update, context: BotContext) -> None:
    """/admin: every admin command, one line each, from the registry."""
    await say(context, help_text(context.t))
    raise ApplicationHandlerStop


REGISTRY: tuple[Command, ...] = (
    Command("admin", admin_help, Role.ADMIN, N_("Admin commands"),
            N_("/admin: this list of commands")),
    Command("edit", editing.edit_command, Role.ADMIN, N_("Change an entry field by field"),
            N_("/edit ID: change an entry field by field (buttons)")),
    Command("set", editing.set_command, Role.ADMIN, N_("Change one field in one line"),
            N_("/set ID FIELD VALUE: change one field, e.g. /set ID phone +77011234567")),
    Command("add", adding.add_command, Role.ADMIN, N_("Add a new center"),
            N_("/add: a new center, step by step")),
    Command("history", history.history_command, Role.ADMIN, N_("Every change of an entry"),
            N_("/history ID: every change of an entry")),
    Command("undo", history.undo_command, Role.ADMIN, N_("Undo the last change of an entry"),
            N_("/undo ID: reverts the last change of an entry")),
    Command("stale", stale.stale_command, Role.ADMIN, N_("Entries nobody has confirmed lately"),
            N_("/stale [days]: entries nobody has confirmed by phone lately, to call first")),
    Command("reports", reports.reports_command, Role.ADMIN, N_("Mistakes reported by users"),
            N_("/reports: mistakes reported by users")),
    Command("resolve", reports.resolve_command, Role.ADMIN, N_("Close a report"),
            N_("/resolve N: closes report N")),
    Command("invite", invites.invite_command, Role.ADMIN,
            N_("A one-time link for a center to confirm its entry"),
            N_("/invite ID: a one-time link for the center to confirm its entry")),
    Command("approve", invites.approve_command, Role.ADMIN, N_("What centers sent, to approve"),
            N_("/approve: what centers sent, to approve or reject")),
    Command("center", admin.show_center, Role.ADMIN, N_("An entry with its sources and notes"),
            N_("/center ID: a center with its sources and notes")),
    Command("verify", admin.verify_center, Role.ADMIN, N_("Mark an entry as checked today"),
            N_("/verify ID phoned: you phoned the center today; /verify ID: public sources")),
    Command("close", admin.close_center, Role.ADMIN, N_("Hide an entry for now"),
            N_("/close ID reason: hide a center from mothers for now (the reason is kept with "
               "it)")),
    Command("reopen", admin.reopen_center, Role.ADMIN, N_("Show a closed entry again"),
            N_("/reopen ID: show a closed center again")),
    Command("export", admin.export, Role.ADMIN, N_("The catalog as data files"),
            N_("/export: the catalog as a zip of data files")),
    Command("stats", admin.stats, Role.ADMIN, N_("Searches of the last 30 days"),
            N_("/stats: searches of the last 30 days, without any user")),
    # Staff commands; the live line's appear in admins' menus (admins are on the line too).
    Command("duty", live.duty, Role.STAFF, N_("Live line: on duty or off")),
    Command("end", live.end_command, Role.STAFF, N_("Live line: close a case")),
    Command("transfer", live.transfer_command, Role.STAFF, N_("Live line: hand a case over")),
    Command("card", live.card, Role.STAFF, N_("Live line: send her a center")),
    Command("block", live.block_command, Role.STAFF, N_("Live line: block a sender")),
    Command("link", staff.link_command, Role.STAFF),
    Command("find", staff.find_command, Role.STAFF),
    # Admins' /stats (above) comes first and includes these counts.
    Command("stats", staff.referral_stats, Role.STAFF),
)  # fmt: skip


def commands_of(role: Role) -> tuple[Command, ...]:
    """The registry's commands for one role, in its order."""
    return tuple(command for command in REGISTRY if command.role is role)


def lacking_lines(commands: Iterable[Command]) -> list[str]:
    """Admin commands without a menu line or a help line (none, or the bot does not start)."""
    return [c.name for c in commands if c.role is Role.ADMIN and not (c.menu and c.help)]


if lacking_lines(REGISTRY):  # pragma: no cover - a programming error, caught at start-up
    raise RuntimeError(f"admin commands without a menu or help line: {lacking_lines(REGISTRY)}")


def menu_lines(commands: Iterable[Command]) -> list[tuple[str, str]]:
    """(name, untranslated menu line) of each command that has one."""
    return [(c.name, c.menu) for c in commands if c.menu]


def help_text(t: Translator, commands: Iterable[Command] = REGISTRY) -> str:
    """The /admin text: a line per admin command, the upload, and what a change stamps."""
    lines = [
        t._("Admin commands"),
        *[t._(c.help) for c in commands if c.role is Role.ADMIN and c.help],
        t._("Send a .zip of the data folder or one center's .toml file to import it."),
        t._(
            "Changing phones, hours, address or website marks the entry as confirmed by "
            "phone today, by you."
        ),
    ]
    return "\n".join(esc(line) for line in lines)


def admin_menu(lang: str) -> list[BotCommand]:
    """An admin's menu: everyone's commands, then the admin ones, then the staff ones that
    have a menu line."""
    t = translator(lang)
    lines = (*COMMANDS, *menu_lines(commands_of(Role.ADMIN)), *menu_lines(commands_of(Role.STAFF)))
    return [BotCommand(name, t._(text)) for name, text in lines]


async def set_admin_menu(bot: Bot, admin_id: int, lang: str) -> None:
    """One admin's menu, sent only when it differs from what Telegram has."""
    scope = BotCommandScopeChat(admin_id)
    commands = admin_menu(lang)
    try:
        if tuple(await bot.get_my_commands(scope=scope)) != tuple(commands):
            await bot.set_my_commands(commands, scope=scope)
    except TelegramError as exc:  # e.g. the admin never opened the bot: not fatal
        _LOGGER.warning("Could not set an admin's command menu: %s", type(exc).__name__)


async def set_admin_menus(bot: Bot, services: Services) -> None:
    """Every admin's menu, at start-up."""
    for admin_id, lang in (await languages_of_admins(services)).items():
        await set_admin_menu(bot, admin_id, lang)


async def remember_admin(context: BotContext) -> None:
    """Note the language an admin writes in; their menu follows it."""
    user = context.turn.user_id
    if user is None or user not in context.services.settings.admin_ids:
        return
    lang = context.language
    if await note_admin_language(context.services, user, lang):
        await set_admin_menu(context.bot, user, lang)


def admin_command(handler: AdminHandler) -> AdminHandler:
    """An admin command: note the admin's language, run, and let nothing else answer."""

    async def run(update: Update, context: BotContext) -> None:
        await remember_admin(context)
        await handler(update, context)
        raise ApplicationHandlerStop

    run.__name__ = run.__qualname__ = handler.__name__
    run.__doc__ = handler.__doc__
    return run
