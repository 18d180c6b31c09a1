"""The command registry: every admin command is registered, in the admins' menu and in
/admin, all made from one entry; an entry without its lines is refused."""

from __future__ import annotations

import dataclasses
import json

import pytest
from telegram.ext import CommandHandler

from bot.i18n import translator
from bot.tg.commands import REGISTRY, Role, admin_menu, commands_of, help_text, lacking_lines
from tests.care_steps import admin
from tests.conftest import ADMIN_ID, RunningBot

ADMIN_NAMES = [command.name for command in commands_of(Role.ADMIN)]


def test_every_admin_entry_has_a_menu_line_and_a_help_line() -> None:
    assert lacking_lines(REGISTRY) == []
    assert len(ADMIN_NAMES) == len(set(ADMIN_NAMES)) >= 17


@pytest.mark.parametrize("missing", ["menu", "help"])
def test_an_entry_without_a_line_is_refused(missing: str) -> None:
    """What stops `bot.tg.commands` from being imported when an entry lacks a line."""
    entries = list(REGISTRY)
    entries[1] = (
        dataclasses.replace(entries[1], menu=None)
        if missing == "menu"
        else dataclasses.replace(entries[1], help=None)
    )
    assert lacking_lines(entries) == [entries[1].name]
    # Staff commands have no /admin line, and need none.
    assert all(c.help is None for c in commands_of(Role.STAFF))


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_every_admin_command_is_in_the_menu_and_the_help(lang: str) -> None:
    t = translator(lang)
    menu = {command.command: command.description for command in admin_menu(lang)}
    help_lines = help_text(t).split("\n")
    for command in commands_of(Role.ADMIN):
        assert command.menu is not None and command.help is not None
        assert menu[command.name] == t._(command.menu)
        assert t._(command.help) in help_lines
        assert any(line.startswith(f"/{command.name}") for line in help_lines), command.name
    # Everyone's commands come first in an admin's menu, then the admin ones, in order, then
    # the staff ones with a menu line.
    staff_in_menu = [c.name for c in commands_of(Role.STAFF) if c.menu]
    assert list(menu)[-len(ADMIN_NAMES) - len(staff_in_menu) :] == ADMIN_NAMES + staff_in_menu


async def test_the_running_bot_registers_what_the_menu_and_help_show(bot: RunningBot) -> None:
    registered = {
        name
        for handlers in bot.app.handlers.values()
        for handler in handlers
        if isinstance(handler, CommandHandler)
        for name in handler.commands
    }
    assert set(ADMIN_NAMES) <= registered
    assert {c.name for c in commands_of(Role.STAFF)} <= registered

    chief = admin(bot, "ru")
    await chief.send("/admin")
    shown = chief.last_bot_message().plain_text
    t = translator("ru")
    for name in ADMIN_NAMES:
        assert f"/{name}" in shown, name
    assert shown.split("\n")[0] == t._("Admin commands")
    scope = json.dumps({"chat_id": ADMIN_ID, "type": "chat"}, sort_keys=True)
    menu = [c["command"] for c in bot.harness.server.commands[(scope, "")]]
    assert set(ADMIN_NAMES) <= set(menu)
