"""Steps of a mother's journey through the bot, in the words her phone shows her."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from bot.app import build_application
from bot.config import Settings
from bot.i18n import Translator, translator
from bot.render import NEED_LABELS
from bot.services import Services
from tests.fake_telegram import ChatMessage, TelegramHarness, TelegramUser

LANGUAGE_BUTTONS = {"kk": "Қазақша", "ru": "Русский"}


@asynccontextmanager
async def bot_on_fake_telegram() -> AsyncIterator[tuple[TelegramHarness, Any]]:
    """The real bot on a throwaway database, polling the fake Bot API (for scripts)."""
    with tempfile.TemporaryDirectory() as tmp:
        async with TelegramHarness() as harness:
            settings = Settings(
                token=harness.token, database_path=Path(tmp) / "bot.sqlite3", api_url=harness.url
            )
            app = build_application(settings, Services(settings))
            await harness.start(app)
            yield harness, app


def tr(lang: str) -> Translator:
    """The same compiled catalog the bot uses."""
    return translator(lang)


def need_button(lang: str, need: str) -> str:
    """The label of a need on the needs keyboard (unticked)."""
    return tr(lang)._(NEED_LABELS[need])


def texts(messages: list[ChatMessage]) -> str:
    """Everything these messages show, as one string to search in."""
    return "\n".join(m.plain_text for m in messages)


async def choose_language(mother: TelegramUser, lang: str) -> None:
    """/start and tap her language."""
    await mother.send("/start")
    await mother.tap(LANGUAGE_BUTTONS[lang])


async def answer_all(
    mother: TelegramUser,
    lang: str,
    *,
    age: str,
    child: str,
    city: str,
    needs: list[str],
) -> int:
    """From the age question to the results; returns the mark before the results."""
    t = tr(lang)
    await mother.tap(age)
    await mother.tap(t._(child))
    await mother.tap(city)
    for need in needs:
        await mother.tap(need_button(lang, need))
    mark = mother.mark()
    await mother.tap(t._("Done ➡️"))
    return mark
