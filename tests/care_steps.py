"""Small steps shared by the catalog-care tests (admin edits, reports, invites): a mother's
search in Taraz, an admin, and a look at what the database holds. Kept apart from
`tests.journey` on purpose: these tests need only these few steps."""

from __future__ import annotations

import sqlite3
from datetime import date

import tomli_w

from bot.catalog.writer import center_to_table
from bot.core.codes import Need
from bot.core.model import Center
from bot.i18n import Translator, translator
from bot.render import NEED_LABELS
from tests.conftest import ADMIN_ID, RunningBot
from tests.fake_telegram import ChatMessage, TelegramUser

# Taraz, pregnant, 20, legal help: this center is the first card of the results.
CENTER = "taraz-zhambyl-regional-center"


def tr(lang: str) -> Translator:
    """The bot's own compiled translations."""
    return translator(lang)


def today() -> str:
    """Today as cards write it."""
    return date.today().strftime("%d.%m.%Y")


def admin(bot: RunningBot, lang: str) -> TelegramUser:
    """The admin (ADMIN_ID), writing from an app in `lang`."""
    return bot.user(ADMIN_ID, "Admin", language_code=lang)


async def search_taraz(
    bot: RunningBot, user_id: int, lang: str, name: str = "Mother"
) -> TelegramUser:
    """A mother whose app speaks `lang` (so no language question) finds legal help in Taraz."""
    t = tr(lang)
    mother = bot.user(user_id, name, language_code=lang)
    await mother.send("/start")
    await mother.tap("20")
    await mother.tap(t._("I am pregnant"))
    taraz = bot.services.catalog.place("taraz")
    assert taraz is not None
    await mother.tap(taraz.name.get(lang))
    await mother.tap(t._(NEED_LABELS[Need.LEGAL]))
    await mother.tap(t._("Done ➡️"))
    return mother


def results(mother: TelegramUser) -> ChatMessage:
    """Her results message (the newest with the report button)."""
    for message in reversed(mother.bot_messages()):
        if any("⚠️" in b for b in message.buttons):
            return message
    raise AssertionError(f"no results in {mother.texts()}")


def card_of(text: str, name: str) -> str:
    """The block of the results text that is this center's card."""
    for block in text.split("\n\n"):
        if name in block:
            return block
    raise AssertionError(f"no card {name!r} in {text!r}")


NEW_HOURS = "Пн–Пт 9:00–18:00"


async def upload_new_hours(bot: RunningBot, chief: TelegramUser) -> tuple[Center, ChatMessage]:
    """The admin sends CENTER's data file back with opening hours (and their source) added;
    the entry as it was, and the upload's message (to redeliver it)."""
    center = await bot.services.full_center(CENTER)
    assert center is not None
    table = center_to_table(center) | {
        "hours": NEW_HOURS,
        "source_urls": ["https://example.kz/hours"],
    }
    sent = await chief.send_document(
        f"{CENTER}.toml", tomli_w.dumps(table).encode(), "application/toml"
    )
    return center, sent


def rows(bot: RunningBot, sql: str, *args: object) -> list[tuple[object, ...]]:
    """Rows read from the bot's database file by another connection (what is really stored)."""
    with sqlite3.connect(bot.settings.database_path) as conn:
        return list(conn.execute(sql, args).fetchall())


def stored_doc(bot: RunningBot, center_id: str = CENTER) -> str:
    """A center's stored JSON document, exactly as in the file."""
    found = rows(bot, "SELECT doc FROM catalog_entries WHERE kind = 'center' AND id = ?", center_id)
    assert found, center_id
    doc = found[0][0]
    return doc.decode() if isinstance(doc, bytes) else str(doc)


def revision(bot: RunningBot) -> int:
    """The catalog's revision in the file."""
    revision = rows(bot, "SELECT revision FROM catalog_meta")[0][0]
    assert isinstance(revision, int)
    return revision


def replies(user: TelegramUser, mark: int) -> list[tuple[str, list[str]]]:
    """What the bot showed after `mark`: each message's text and buttons."""
    return [(m.plain_text, m.buttons) for m in user.since(mark)]
