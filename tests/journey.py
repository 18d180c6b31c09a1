"""Steps of a mother's journey through the bot, in the words her phone shows her.

Each question is one "screen" message: a tap on it edits that message in place, a typed
answer gets a new screen below hers. So the current question is always
`mother.last_bot_message()` (re-read after every action), and the results are the same
message the needs question was, edited.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import tomli_w

from bot.app import build_application
from bot.config import Settings
from bot.core.answers import Answers
from bot.core.codes import Need
from bot.core.session import Session
from bot.i18n import Translator, translator
from bot.render import NEED_LABELS
from bot.services import DATA_DIR, Services
from bot.tg.screens import CHOOSE_LANGUAGE, LANGUAGE_SWITCH
from tests.fake_telegram import ChatMessage, TelegramHarness, TelegramUser

LANGS = ("kk", "ru")
LANGUAGE_BUTTONS = {"kk": "Қазақша", "ru": "Русский"}
# The questions, as the last line of their screen (msgids).
AGE_QUESTION = "How old are you? Tap a button or type your age."
CHILD_QUESTION = (
    "Are you pregnant, or how old is your child? Tap a button or type, "
    "for example: 3 months, 1.5 years."
)
PLACE_QUESTION = "Where are you now? Tap your city, choose a region, or type the name of the place."
NEEDS_QUESTION = "What do you need? Choose one or more, then tap “Done”."
DONE = "Done ➡️"
SWITCH = LANGUAGE_SWITCH


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


@asynccontextmanager
async def bot_with_centers(
    folder: Path, tables: Iterable[dict[str, Any]], **settings: Any
) -> AsyncIterator[tuple[TelegramHarness, Services]]:
    """The real bot on a copy of the data files in `folder` with these center tables added
    (the catalog as it would be after they were written in)."""
    data = folder / "data"
    shutil.copytree(DATA_DIR, data)
    for table in tables:
        (data / "centers" / f"{table['id']}.toml").write_text(
            tomli_w.dumps(table), encoding="utf-8"
        )
    async with TelegramHarness() as harness:
        config = Settings(
            token=harness.token,
            database_path=folder / "db.sqlite3",
            api_url=harness.url,
            **settings,
        )
        services = Services(config, data)
        await harness.start(build_application(config, services))
        yield harness, services


def tr(lang: str) -> Translator:
    """The same compiled catalog the bot uses."""
    return translator(lang)


def age_limit_up_to(t: Translator, count: int) -> str:
    """The card's warning about a disputed upper age limit, for `count` years (unfilled)."""
    return t.ngettext(
        "Age limit up to {value} year: sources differ, check by phone.",
        "Age limit up to {value} years: sources differ, check by phone.",
        count,
    )


def need_button(lang: str, need: str) -> str:
    """The label of a need on the needs keyboard (unticked)."""
    return tr(lang)._(NEED_LABELS[Need(need)])


def texts(messages: list[ChatMessage]) -> str:
    """Everything these messages show, as one string to search in."""
    return "\n".join(m.plain_text for m in messages)


def screen(mother: TelegramUser) -> ChatMessage:
    """Her current screen: the newest bot message (taps edit it in place)."""
    return mother.last_bot_message()


def question(message: ChatMessage) -> str:
    """The question a screen asks: its last line (under the two neutral lines and a hint)."""
    return message.plain_text.rsplit("\n", 1)[-1]


def hint(message: ChatMessage) -> str | None:
    """The italic hint on top of a re-shown question, if there is one."""
    italic = [e for e in message.entities if e["type"] == "italic"]
    if not italic:
        return None
    start, length = italic[0]["offset"], italic[0]["length"]
    return message.plain_text.encode("utf-16-le")[2 * start : 2 * (start + length)].decode(
        "utf-16-le"
    )


def asks(mother: TelegramUser, msgid: str, lang: str) -> bool:
    """Does her current screen ask this question (in her language)?"""
    return question(screen(mother)) == tr(lang)._(msgid)


def is_language_question(message: ChatMessage) -> bool:
    """The bilingual "choose your language" screen (asked only when her app is in neither)."""
    return CHOOSE_LANGUAGE in message.plain_text or message.buttons[:2] in (
        ["Қазақша", "Русский"],
        ["Русский", "Қазақша"],
    )


async def choose_language(mother: TelegramUser, lang: str) -> None:
    """/start, and make sure the age question is shown in `lang`: tap her language if the
    bot asks for it, the 🌐 switch if it guessed the other one from her app."""
    await mother.send("/start")
    if is_language_question(screen(mother)):
        await mother.tap(LANGUAGE_BUTTONS[lang])
    elif not asks(mother, AGE_QUESTION, lang):
        await mother.tap(SWITCH)
    assert asks(mother, AGE_QUESTION, lang), screen(mother).plain_text


async def answer_all(
    mother: TelegramUser,
    lang: str,
    *,
    age: str,
    child: str,
    city: str,
    needs: list[str],
) -> ChatMessage:
    """From the age question to the results (by taps); returns the results message."""
    t = tr(lang)
    await mother.tap(age)
    await mother.tap(t._(child))
    await mother.tap(city)
    for need in needs:
        await mother.tap(need_button(lang, need))
    await mother.tap(t._(DONE))
    return screen(mother)


async def young_mother_in_almaty(
    mother: TelegramUser, lang: str, services: Services
) -> ChatMessage:
    """/start in `lang`, then 17, a baby under 6 months, Almaty, a place to live: the journey
    that reaches the most results; returns the results message."""
    await choose_language(mother, lang)
    almaty = services.catalog.place("almaty")
    assert almaty is not None
    return await answer_all(
        mother, lang, age="17", child="Under 6 months", city=almaty.name.get(lang),
        needs=["shelter"],
    )  # fmt: skip


def more_button(message: ChatMessage, lang: str) -> str | None:
    """The "Show N more" button under the results, if there is one."""
    t = tr(lang)
    forms = {t.ngettext("Show {count} more", "Show {count} more", n) for n in (1, 2, 5)}
    patterns = [re.compile(re.escape(f).replace(re.escape("{count}"), r"\d+") + "$") for f in forms]
    for label in message.buttons:
        if any(p.match(label) for p in patterns):
            return label
    return None


async def result_pages(mother: TelegramUser, lang: str) -> list[str]:
    """Every page of her results (the results message is edited page by page)."""
    pages = [screen(mother).plain_text]
    for _ in range(30):
        label = more_button(screen(mother), lang)
        if label is None:
            return pages
        await mother.tap(label)
        pages.append(screen(mother).plain_text)
    raise AssertionError("more than 30 result pages")


async def show_everything(mother: TelegramUser, lang: str) -> str:
    """Every card of her results, page after page, as one string."""
    return "\n".join(await result_pages(mother, lang))


async def stored_session(services: Services, user_id: int) -> Session | None:
    """Her conversation as it is written in the database (what survives a restart)."""
    db = await services.database()
    async with db.conn.execute("SELECT data FROM sessions WHERE user_id = ?", (user_id,)) as cur:
        row = await cur.fetchone()
    return None if row is None else Session.from_json(row[0])


async def stored_answers(services: Services, user_id: int) -> Answers | None:
    """Her answers as written in the database; the live ones must be the same."""
    session = await stored_session(services, user_id)
    live = services.sessions.get(user_id)
    if session is None:
        assert live is None, "a conversation in memory that is not in the database"
        return None
    assert live is not None and live.answers == session.answers, (live, session)
    return session.answers
