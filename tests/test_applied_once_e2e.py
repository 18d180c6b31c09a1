"""Issue 20.2: an admin's command changes the catalog once, however often its update comes.

After a crash between a change's commit and the commit of its update, the update is handled
again. Here the same update (same update_id) is handed to the running bot a second time, as
the inbox does after a restart: the change is not made again, and the admin is told so in
one line.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from telegram import Update

from bot.core.codes import Status
from tests.care_steps import CENTER, admin, rows, tr, upload_new_hours
from tests.conftest import RunningBot
from tests.fake_telegram import ChatMessage, TelegramUser

ALREADY = "Already done: this was carried out before the bot restarted."


async def redeliver(bot: RunningBot, message: ChatMessage) -> None:
    """Hand the bot the update that carried `message` once more, with its own update_id."""
    update_id = bot.harness.server.last_update_id
    update = Update.de_json({"update_id": update_id, "message": message.to_api()}, bot.app.bot)
    await bot.app.update_queue.put(update)
    await bot.harness.settle()


async def command(bot: RunningBot, chief: TelegramUser, text: str) -> int:
    """Send a command, re-deliver it; returns how many replies the re-delivery got."""
    sent = await chief.send(text)
    before = len(chief.bot_messages())
    await redeliver(bot, sent)
    return len(chief.bot_messages()) - before


def changes(bot: RunningBot) -> list[tuple[Any, ...]]:
    return rows(bot, "SELECT kind, field, undone FROM catalog_changes ORDER BY id")


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_redelivered_undo_is_applied_once(bot: RunningBot, lang: str) -> None:
    chief = admin(bot, lang)
    await chief.send(f"/set {CENTER} free_places 111")
    await chief.send(f"/set {CENTER} free_places 112")
    assert await command(bot, chief, f"/undo {CENTER}") == 1
    assert chief.last_bot_message().plain_text == tr(lang)._(ALREADY)
    # One undo: the entry says 111, the first change still stands.
    center = await bot.services.full_center(CENTER)
    assert center is not None and center.free_places == 111
    assert changes(bot) == [
        ("edit", "free_places", 0),
        ("edit", "free_places", 1),
        ("undo", "free_places", 0),
    ]


async def test_every_changing_command_is_applied_once(bot: RunningBot) -> None:
    chief = admin(bot, "ru")
    for text in (
        f"/set {CENTER} hours Пн–Пт 9:00–18:00",
        f"/set {CENTER} notes first",
        f"/close {CENTER} Ремонт",
        f"/reopen {CENTER}",
        f"/verify {CENTER}",
        f"/undo {CENTER}",
    ):
        count = len(changes(bot))
        assert await command(bot, chief, text) == 1, text
        assert chief.last_bot_message().plain_text == tr("ru")._(ALREADY), text
        assert len(changes(bot)) == count + 1, text
    center = await bot.services.full_center(CENTER)
    assert center is not None and center.status is Status.ACTIVE
    # /invite: one link, not two.
    await command(bot, chief, f"/invite {CENTER}")
    assert rows(bot, "SELECT COUNT(*) FROM center_invites") == [(1,)]


async def test_a_value_typed_after_edit_is_applied_once(bot: RunningBot) -> None:
    chief = admin(bot, "ru")
    await chief.send(f"/set {CENTER} notes")  # asks for the value
    count = len(changes(bot))
    sent = await chief.send("a note")
    await redeliver(bot, sent)
    assert len(changes(bot)) == count + 1
    assert chief.last_bot_message().plain_text == tr("ru")._(ALREADY)


async def test_a_redelivered_resolve_says_already_done(bot: RunningBot) -> None:
    with sqlite3.connect(bot.settings.database_path) as conn:
        conn.execute(
            "INSERT INTO reports (center_id, reason, text, day)"
            " VALUES (?, 'other', '', '2026-01-01')",
            (CENTER,),
        )
    chief = admin(bot, "ru")
    assert await command(bot, chief, "/resolve 1") == 1
    assert chief.last_bot_message().plain_text == tr("ru")._(ALREADY)


async def test_a_redelivered_upload_is_applied_once(bot: RunningBot) -> None:
    chief = admin(bot, "ru")
    count = len(changes(bot))
    center, sent = await upload_new_hours(bot, chief)
    await redeliver(bot, sent)
    assert len(changes(bot)) == count + 1
    assert chief.last_bot_message().plain_text == tr("ru")._(ALREADY)
    # An upload handled again would have recorded a second change; /undo reverts the one.
    await chief.send(f"/undo {CENTER}")
    assert (await bot.services.full_center(CENTER)) == center


async def test_a_redelivered_approve_is_applied_once(bot: RunningBot) -> None:
    with sqlite3.connect(bot.settings.database_path) as conn:
        conn.execute(
            "INSERT INTO center_proposals (center_id, changes, day) VALUES (?, ?, ?)",
            (CENTER, '[["hours", "Пн–Пт 9:00–18:00"]]', "2026-01-01"),
        )
    chief = admin(bot, "ru")
    assert await command(bot, chief, "/approve 1") == 1
    assert chief.last_bot_message().plain_text == tr("ru")._(ALREADY)
    assert [field for _, field, _ in changes(bot)] == ["hours"]  # one change, not two
    assert rows(bot, "SELECT COUNT(*) FROM center_proposals") == [(0,)]
