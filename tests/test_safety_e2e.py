"""Safety and privacy end to end: wipe the chat, keep nothing, always reach help, discretion."""

from __future__ import annotations

import datetime as dtm
import logging
import re
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from telegram.ext import Job

from bot import logs
from bot.core import clock
from bot.core.answers import Answers
from bot.core.codes import Language
from bot.i18n import LANGUAGES
from bot.i18n_tools import extract_template, read_catalog
from bot.render import DETAIL_ONLY
from bot.storage import state
from bot.tg.editing import EXAMPLES
from bot.tg.safety import sos_text
from bot.tg.screens import BIG_CITIES, SHARE_PREFIX
from tests import db_rows
from tests.conftest import RunningBot
from tests.fake_telegram import TelegramUser, render_html
from tests.journey import (
    AGE_QUESTION,
    CHILD_QUESTION,
    DONE,
    SWITCH,
    asks,
    choose_language,
    hint,
    need_button,
    question,
    result_pages,
    screen,
    stored_answers,
    tr,
    young_mother_in_almaty,
)

# Words a lock-screen preview must never show: whoever watches her phone may read it.
# Stems, in Kazakh, Russian and English: violence, crisis, abuse, a shelter for victims,
# suicide, HIV, police, abortion, rape, trafficking.
CRISIS_WORDS = (
    # ru
    r"насил", r"изнасил", r"кризис", r"жесток", r"избие", r"избива", r"побо", r"приют",
    r"убежищ", r"суицид", r"самоубий", r"вич", r"спид", r"полици", r"аборт",
    r"торговл\w* людьми", r"эксплуатац",
    # kk
    r"зорлық", r"зорла", r"зомбылық", r"дағдарыс", r"қорлау", r"қорлық", r"паналау",
    r"өзін-өзі өлтір", r"аитв", r"полиция", r"түсік", r"ұрып-соғ", r"адам саудас", r"қанау",
    # en
    r"violence", r"crisis", r"abuse", r"shelter", r"suicid", r"\bhiv\b", r"police",
    r"abortion", r"\brape", r"traffick",
)  # fmt: skip
ALARMING = re.compile("|".join(CRISIS_WORDS), re.IGNORECASE)
# A pregnancy she may be hiding (a 15-year-old from her parents): never on the lock screen.
PREGNANCY = re.compile(r"беремен|жүкті|pregnan", re.IGNORECASE)
DONE_LINE = "Done."
USEFUL_NUMBERS = "📞 Useful numbers"
GENTLE = (
    "We paused because it was quiet for a while; your answers are deleted. "
    "Tap /start to begin again."
)


def alarming_opening(html_text: str) -> str | None:
    """The crisis word in the first two lines of a message as the phone shows it, if any.

    On a screen that opens with the bot's name, line 2 says what she answered (the head
    line): a pregnancy there counts too."""
    shown, _ = render_html(html_text)
    return alarming_shown(shown)


def alarming_shown(shown: str) -> str | None:
    """`alarming_opening` of text as the phone shows it."""
    opening = shown.strip().split("\n")[:2]
    found = ALARMING.search("\n".join(opening))
    if found is None and opening[0].startswith("Ana Komek") and len(opening) == 2:
        found = PREGNANCY.search(opening[1])
    return found.group() if found else None


async def full_journey(bot: RunningBot, user_id: int, lang: str = "ru") -> TelegramUser:
    mother = bot.user(user_id, language_code=lang)
    await young_mother_in_almaty(mother, lang, bot.services)
    return mother


async def stored_sessions(bot: RunningBot) -> int:
    db = await bot.services.database()
    async with db.conn.execute("SELECT COUNT(*) FROM sessions") as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


def purge_job(bot: RunningBot) -> Job[Any]:
    job: Job[Any] = next(j for j in bot.app.job_queue.jobs() if j.name == "purge_expired")
    job.enabled = False  # the test runs it itself, once
    return job


async def make_idle(bot: RunningBot, user_id: int, seconds: float) -> None:
    """Pretend her last update came `seconds` ago, in memory and on disk."""
    then = time.time() - seconds
    live = bot.services.sessions.get(user_id)
    if live is not None:
        live.touched = then
    db = await bot.services.database()
    async with db.transaction() as conn:
        await conn.execute("UPDATE sessions SET updated_at = ? WHERE user_id = ?", (then, user_id))


# --- leaving no trace ---


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_clear_deletes_the_whole_chat_and_every_row_about_her(
    bot: RunningBot, lang: str
) -> None:
    mother = await full_journey(bot, 3001, lang)
    await mother.send("/sos")
    await mother.send("/help")
    other = bot.user(3002, language_code=lang)
    await choose_language(other, lang)
    assert len(mother.chat) >= 5
    db = await bot.services.database()
    assert await db_rows.rows_about_user(db, 3001) > 0
    await mother.tap(tr(lang)._("🧹 Clear this chat"))
    # The phone shows at most one neutral line, which she can delete too.
    assert [m.plain_text for m in mother.chat] == [tr(lang)._(DONE_LINE)]
    assert await db_rows.rows_about_user(db, 3001) == 0
    assert 3001 not in bot.services.sessions
    # Nothing else is touched: the other mother's chat and data stay.
    assert len(other.chat) == 2 and await db_rows.rows_about_user(db, 3002) > 0
    assert (await stored_answers(bot.services, 3002)) == Answers(language=Language(lang))


async def test_clear_command_survives_messages_too_old_to_delete(bot: RunningBot) -> None:
    mother = bot.user(3003, language_code="kk")
    await choose_language(mother, "kk")
    old = [m.message_id for m in mother.chat]
    bot.harness.server.advance(dtm.timedelta(hours=49))  # Telegram's 48-hour window has passed
    await mother.send("17")
    await mother.send("/sos")
    new = [m.message_id for m in mother.chat if m.message_id not in old]
    assert len(new) == 4
    mark = mother.mark()
    await mother.send("/clear")
    visible = {m.message_id for m in mother.chat}
    assert not visible & set(new)  # everything still deletable was deleted
    assert visible >= set(old)  # what Telegram no longer lets the bot delete stays
    assert [m.plain_text for m in mother.since(mark)] == [tr("kk")._(DONE_LINE)]
    assert await db_rows.rows_about_user(await bot.services.database(), 3003) == 0


async def test_forget_drops_the_data_but_keeps_the_chat(bot: RunningBot) -> None:
    mother = await full_journey(bot, 3004)
    await mother.tap(SWITCH)  # she chose Kazakh, although her Telegram is in Russian
    before = len(mother.chat)
    await mother.send("/forget")
    assert len(mother.chat) == before + 2  # her command and one neutral line
    assert screen(mother).plain_text == tr("kk")._(DONE_LINE)
    assert await db_rows.rows_about_user(await bot.services.database(), 3004) == 0
    assert 3004 not in bot.services.sessions
    # She starts again as a stranger: even her choice of language is gone.
    await mother.send("/start")
    assert asks(mother, AGE_QUESTION, "ru")


async def test_expired_data_is_purged_by_the_job_even_after_a_restart(bot: RunningBot) -> None:
    await full_journey(bot, 3005)
    db = await bot.services.database()
    # Pretend her last activity was three days ago, on disk.
    three_days_ago = clock.now() - 3 * 24 * 3600
    async with db.transaction() as conn:
        await conn.execute("UPDATE chat_messages SET sent_at = ?", (three_days_ago,))
        await conn.execute("UPDATE sessions SET updated_at = ?", (three_days_ago,))
    await bot.restart()  # the purge does not depend on the process that wrote the data
    db = await bot.services.database()
    assert 3005 not in bot.services.sessions  # a conversation that old is not resumed
    job = purge_job(bot)
    await job.run(bot.app)
    # Left: only the id of the gentle line just sent, so that /clear can still delete it.
    gentle = bot.user(3005).last_bot_message()
    assert gentle.plain_text == tr("ru")._(GENTLE)
    assert await state.chat_message_ids(db, 3005) == [gentle.message_id]
    assert await db_rows.rows_about_user(db, 3005) == 1


async def test_an_idle_conversation_ends_and_everything_it_kept_goes(bot: RunningBot) -> None:
    mother = await full_journey(bot, 3006)
    fresh = await full_journey(bot, 3015)  # she wrote a moment ago: hers goes on
    await make_idle(bot, 3006, 2 * 3600)  # two hours of silence
    job = purge_job(bot)
    await job.run(bot.app)
    gentle = mother.last_bot_message()
    assert gentle.plain_text == tr("ru")._(GENTLE)
    assert gentle.params.get("disable_notification") is True  # no buzz long after
    assert (await stored_answers(bot.services, 3006)) is None
    assert (await stored_answers(bot.services, 3015)) is not None
    assert fresh.last_bot_message().plain_text != tr("ru")._(GENTLE)
    # Only the message ids stay (for /clear), until Telegram's 48 hours are over.
    db = await bot.services.database()
    assert await db_rows.rows_about_user(db, 3006) == len(await state.chat_message_ids(db, 3006))
    # A second run finds nothing more to end.
    await job.run(bot.app)
    assert [m.plain_text for m in mother.bot_messages()].count(tr("ru")._(GENTLE)) == 1


def _files(database: Path) -> bytes:
    wal = database.with_name(database.name + "-wal")
    return database.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def _wal_size(database: Path) -> int:
    wal = database.with_name(database.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


@pytest.mark.parametrize("how", ["cancel", "clear", "forget", "blocked", "idle"])
async def test_after_her_data_is_deleted_no_copy_is_left_in_the_files(
    bot: RunningBot, how: str
) -> None:
    """Issue 12: deleted rows must not live on in the -wal file (or in free pages)."""
    user_id = 735_194_628
    secret = "на Тайной улице"
    mother = bot.user(user_id, language_code="ru")
    await choose_language(mother, "ru")
    await mother.send(f"Мне 17, живу {secret}")
    await mother.tap(tr("ru")._("I am pregnant"))
    answers = await stored_answers(bot.services, user_id)
    assert answers is not None and answers.age == 17
    database = bot.settings.database_path
    assert b'"answers":' in _files(database)  # her conversation is in the files now
    assert user_id.to_bytes(4, "big") in _files(database)  # and the ids of her messages
    match how:
        case "cancel" | "clear" | "forget":
            await mother.send(f"/{how}")
        case "blocked":
            server = bot.harness.server
            member = {"user": server.bot_user}
            server.push_update(
                "my_chat_member",
                {"chat": mother.chat_state.to_api(), "from": mother.to_api(),
                 "date": server.now(), "old_chat_member": member | {"status": "member"},
                 "new_chat_member": member | {"status": "kicked", "until_date": 0}},
            )  # fmt: skip
            await bot.harness.settle()
        case "idle":
            await make_idle(bot, user_id, 3600)
            await purge_job(bot).run(bot.app)
    assert (await stored_answers(bot.services, user_id)) is None
    assert _wal_size(database) == 0  # checkpointed (TRUNCATE)
    needles = {
        "her conversation": b'"answers":',
        "her id": str(user_id).encode(),
        "her words": secret.encode(),
    }
    if how in ("clear", "forget", "blocked"):  # not even the ids of her messages
        needles["her chat id"] = user_id.to_bytes(4, "big")
    files = _files(database)
    assert [name for name, needle in needles.items() if needle in files] == []


# --- help, always one tap away ---


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize(
    "words", ["он меня убьёт", "ол мені өлтіреді", "помогите", "көмектесіңдер"]
)
async def test_danger_words_bring_the_emergency_numbers_first(
    bot: RunningBot, lang: str, words: str
) -> None:
    mother = bot.user(3007, language_code=lang)
    await choose_language(mother, lang)
    mark = mother.mark()
    await mother.send(words)
    replies = mother.since(mark)
    first = replies[0].plain_text
    assert first.startswith(tr(lang)._(USEFUL_NUMBERS))
    assert first.index("112") < first.index("111") and "102" in first
    # Once, not twice (the numbers went out before her turn; the handlers know it).
    assert [r.plain_text.startswith(tr(lang)._(USEFUL_NUMBERS)) for r in replies] == [
        True, False,
    ]  # fmt: skip
    # Then the conversation goes on: the age question comes back.
    assert question(replies[-1]) == tr(lang)._(AGE_QUESTION) and "17" in replies[-1].buttons


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_an_edited_cry_for_help_brings_the_numbers_and_changes_no_answer(
    bot: RunningBot, lang: str
) -> None:
    """Issue 12: an edit is read for words of danger, never as an answer."""
    t = tr(lang)
    mother = bot.user(3024, language_code=lang)
    await choose_language(mother, lang)
    typed = await mother.send("17")
    assert asks(mother, CHILD_QUESTION, lang)
    before = await stored_answers(bot.services, 3024)
    assert before == Answers(language=Language(lang), age=17)
    mark = mother.mark()
    await mother.send_edited(typed, "18")  # an edit that is no cry for help: nothing happens
    assert mother.since(mark) == []
    await mother.send_edited(typed, "помогите")
    replies = mother.since(mark)
    assert [m.plain_text.split("\n")[0] for m in replies] == [t._(USEFUL_NUMBERS)]
    assert (await stored_answers(bot.services, 3024)) == before
    await mother.tap(t._("I am pregnant"))  # and the conversation goes on where it was
    answers = await stored_answers(bot.services, 3024)
    assert answers is not None and (answers.age, answers.pregnant) == (17, True)


async def test_sos_is_one_tap_from_every_question_and_every_result(bot: RunningBot) -> None:
    t = tr("ru")
    sos = t._("🆘 Emergency numbers")
    mother = bot.user(3008, language_code="en")  # asked for her language first
    almaty = bot.services.catalog.region("almaty-city")
    assert almaty is not None
    steps: list[Callable[[], Awaitable[object]]] = [
        lambda: mother.send("/start"),  # the language question
        lambda: mother.tap("Русский"),  # her age
        lambda: mother.send("8"),  # "is that your age?"
        lambda: mother.tap(t._("No, change it")),  # her age again
        lambda: mother.tap("17"),  # her child
        lambda: mother.tap(t._("Under 6 months")),  # her place
        lambda: mother.tap(t._("Another region…")),  # all regions
        lambda: mother.tap(almaty.name.get("ru")),  # her needs
        lambda: mother.tap(need_button("ru", "shelter")),
        lambda: mother.tap(t._(DONE)),  # the results
        lambda: mother.tap(t._("✏️ Change an answer")),  # which answer to change
        lambda: mother.tap(t._("My place")),  # her place again
        lambda: mother.tap(t._("📍 Near me")),  # the location keyboard (below the place screen)
    ]
    for step in steps:
        await step()
        shown = next(m for m in reversed(mother.bot_messages()) if m.buttons)
        assert sos in shown.buttons, shown.plain_text
    assert mother.reply_keyboard() == [t._("📍 Send my location")]  # all steps were taken
    mark = mother.mark()
    await mother.tap(sos)
    text = mother.since(mark)[0].plain_text
    assert text.index("112") < text.index("102") < text.index("111") < text.index("150")
    assert t._("🧹 Clear this chat") in mother.last_bot_message().buttons


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_the_numbers_say_where_she_need_not_give_her_name(bot: RunningBot, lang: str) -> None:
    t = tr(lang)
    mother = bot.user(3025, language_code=lang)
    await mother.send("/sos")
    text = mother.last_bot_message().plain_text
    lines = text.split("\n")
    assert lines[0] == t._(USEFUL_NUMBERS)
    hotlines = bot.services.catalog.hotlines
    urgent = [h.number for h in hotlines if h.emergency]
    assert urgent[:2] == ["112", "102"]
    numbered = [line.split(" ", 1)[0] for line in lines if line[:1].isdigit()]
    assert numbered[: len(urgent)] == urgent  # the emergency lines first, in order
    anonymous = [h.number for h in hotlines if h.anonymous]
    # 150's sources say "confidential", not anonymous (issue 16): only 111 says so.
    assert anonymous == ["111"]
    assert lines[-1] == t._("You do not have to give your name on {numbers}.").format(
        numbers=t.join(anonymous)
    )
    words = max(t._("You do not have to give your name on {numbers}.").split("{numbers}"), key=len)
    assert text.count(words) == 1
    # Built from the flags, not from a fixed list: no anonymous line, no sentence.
    plain = render_html(sos_text(tuple(h for h in hotlines if not h.anonymous), t))[0]
    assert words not in plain


@pytest.mark.parametrize("how", ["/sos", "/sos@ana_komek_test_bot", "/sos помогите", "🆘"])
async def test_the_numbers_come_once(bot: RunningBot, how: str) -> None:
    t = tr("ru")
    mother = bot.user(3026, language_code="ru")
    await choose_language(mother, "ru")
    mark = mother.mark()
    if how == "🆘":
        await mother.tap(t._("🆘 Emergency numbers"))
    else:
        await mother.send(how)
    replies = mother.since(mark)
    assert [r.plain_text.split("\n")[0] for r in replies] == [t._(USEFUL_NUMBERS)]


async def test_sos_command_keeps_the_conversation_where_it_was(bot: RunningBot) -> None:
    mother = bot.user(3009, language_code="kk")
    await choose_language(mother, "kk")
    age_screen = screen(mother)
    await mother.send("/sos")
    await mother.tap(tr("kk")._("🆘 Emergency numbers"))
    assert (await stored_answers(bot.services, 3009)) == Answers(language=Language.KK)
    await mother.send("18")
    answers = await stored_answers(bot.services, 3009)
    assert answers is not None and answers.age == 18
    await mother.tap_in(age_screen, "19")  # the screen above the numbers is old now
    assert mother.answers()[-1].text == tr("kk")._("This button is from an earlier step.")
    answers = await stored_answers(bot.services, 3009)
    assert answers is not None and answers.age == 18


# --- discretion: what a lock screen, a description or a log can show ---


def test_the_crisis_word_check_catches_a_bad_opening() -> None:
    assert alarming_opening("Ana Komek\nВозраст: 17 · Место: Алматы\n\nКризисный центр") is None
    assert alarming_opening("Ana Komek\nКризисный центр рядом") == "Кризис"
    assert alarming_opening("Ana Komek\n<b>Зорлық-зомбылықтан</b> қорғау") == "Зорлық"
    assert alarming_opening("Убежище для вас") == "Убежищ"
    assert alarming_opening("Ana Komek\nЖиву с ВИЧ") == "ВИЧ"
    assert alarming_opening("Ana Komek\nАИТВ-мен өмір сүремін") == "АИТВ"
    assert alarming_opening("Ana Komek\nВызовите полицию") == "полици"
    assert alarming_opening("Ana Komek\nВозраст: 15 · Беременность") == "Беремен"
    assert alarming_opening("Ana Komek\nЖас: 15 · Жүктілік") == "Жүкті"


# The examples admins get after "Send the new value. Example:" (need and rule codes).
ADMIN_EXAMPLES = frozenset(EXAMPLES.values())


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_translated_message_opens_with_an_alarming_word(lang: str) -> None:
    """Every message of the code, not a sample: a lock screen shows the first line."""
    catalog = read_catalog(lang)
    checked = 0
    for message in extract_template():
        if not message.id:
            continue
        msgid = message.id[0] if isinstance(message.id, tuple) else message.id
        if msgid in DETAIL_ONLY or msgid in ADMIN_EXAMPLES:
            continue  # buttons and lines that never open a message
        found = catalog.get(message.id)
        assert found is not None, msgid
        strings = found.string if isinstance(found.string, tuple) else (found.string,)
        for string in (*strings, msgid):
            first_line = string.strip().split("\n")[0]
            assert not ALARMING.search(first_line), (lang, msgid, first_line)
        checked += 1
    assert checked > 100


async def test_every_message_of_whole_journeys_opens_neutrally(bot: RunningBot) -> None:
    """The first two lines of everything the bot sends or edits in, on every card page, in
    both languages, on the way through every question, hint, the numbers and the commands."""
    for user_id, lang in ((3010, "kk"), (3011, "ru")):
        t = tr(lang)
        mother = bot.user(user_id, language_code=lang)
        await mother.send("/start")
        await mother.send("абв")  # a hint on top of the question
        await mother.send("помогите")  # the numbers first
        await mother.send("17")
        await mother.tap(t._("I am pregnant"))
        await mother.tap(t._("📍 Near me"))
        await mother.share_location(43.24, 76.89)  # Almaty
        for need in ("violence", "shelter", "hiv", "pregnancy", "trafficking"):
            await mother.tap(need_button(lang, need))
        await mother.tap(t._(DONE))
        assert len(await result_pages(mother, lang)) >= 3
        await mother.tap(t._("✏️ Change an answer"))
        await mother.tap(t._("⬅️ Back"))
        await mother.send("/sos")
        await mother.send("/help")
        await mother.send("/privacy")
        await mother.send("/language")
        await mother.send("/cancel")
    calls = bot.harness.server.calls
    sent = [c.params["text"] for c in calls if c.method in ("sendMessage", "editMessageText")]
    assert len(sent) > 40
    for text in sent:
        # She said she is pregnant: her answers stand on line 2, the pregnancy does not.
        assert alarming_opening(text) is None, text[:200]
    assert any(
        tr(lang)._("Age: {age}").format(age=17) in text for text in sent for lang in LANGUAGES
    )


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_shared_and_inline_cards_open_with_the_neutral_pair(
    bot: RunningBot, lang: str
) -> None:
    """A card shared with 📤 or from inline mode is a message of its own, on someone else's
    lock screen: every card of the catalog it can share opens with the bot's neutral pair."""
    bot.harness.server.set_inline(True)
    pairs = [
        [
            tr(each)._("Ana Komek"),
            tr(each)._("Support and advice for young mothers. Free and anonymous."),
        ]
        for each in LANGUAGES
    ]  # a town's name alone ("Алматы") may be taken for either language
    sharer = bot.user(3030, "Staff", lang)
    catalog = bot.services.catalog
    queries = [f"{SHARE_PREFIX}{center.id}" for center in catalog.centers]  # the 📤 button
    queries += [p.name.get(lang) for p in map(catalog.place, BIG_CITIES) if p is not None]
    shared: set[str] = set()
    for words in queries:
        query_id = await sharer.inline_query(words)
        for result in sharer.inline_results(query_id):
            assert result["text"].split("\n")[:2] in pairs, (words, result["text"][:200])
            assert alarming_shown(result["text"]) is None, (words, result["text"][:200])
            shared.add(result["id"])
        last = (query_id, result["id"])
    assert len(shared - {"open"}) > len(catalog.centers) * 2 // 3
    # What the other phone shows once a card is sent into her chat.
    friend = bot.user(3031, "Friend", lang)
    message = await sharer.choose_inline_result(*last, into_chat_with=friend)
    assert message.plain_text.split("\n")[:2] in pairs
    center = catalog.center(last[1])
    assert center is not None and center.name.get(lang) in message.plain_text


async def test_logs_hold_no_typed_text_names_ids_or_token(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    logs.configure("DEBUG")
    caplog.set_level(logging.DEBUG)
    secret_words = ["Меня зовут Айгерим Секретова", "+77011234567", "ул. Тайная 5"]
    mother = bot.harness.user(3_012_345, "Айгерим-Секретова", "ru", username="aigerim_secret")
    await choose_language(mother, "ru")
    for words in secret_words:
        await mother.send(words)
    await mother.send("17")
    await mother.send("Айгерим-город")  # a wrong place name is an answer too
    await mother.send("помогите, ул. Тайная 5")  # the urgent lane logs nothing of it either
    # A failure while handling her message is logged: by update id and kind only.
    bot.harness.fail_on_error = False
    mother.block_bot()
    await mother.send("ул. Тайная 5, кв. 7")
    assert any(r.levelno >= logging.ERROR for r in caplog.records), "the failure was logged"
    assert caplog.records, "logging was captured"
    text = caplog.text
    for words in [*secret_words, "Айгерим-город", "Тайная", "кв. 7"]:
        assert words not in text
    assert "3012345" not in text
    assert "Айгерим" not in text and "aigerim_secret" not in text
    assert bot.harness.token not in text and bot.harness.token.split(":")[1] not in text


async def test_privacy_explains_what_is_kept_in_her_language(bot: RunningBot) -> None:
    for user_id, lang in ((3013, "kk"), (3014, "ru")):
        mother = bot.user(user_id, language_code=lang)
        await choose_language(mother, lang)
        await mother.send("/privacy")
        text = mother.last_bot_message().plain_text
        assert text.startswith(tr(lang)._("About your privacy"))
        assert "48" in text and "30" in text and "/clear" in text and "/forget" in text


async def test_description_is_neutral_and_bilingual(bot: RunningBot) -> None:
    server = bot.harness.server
    for lang in LANGUAGES:
        assert server.descriptions[lang] == tr(lang)._(
            "Ana Komek helps young mothers and pregnant women in Kazakhstan find support, advice "
            "and a place to stay near them. Free and anonymous."
        )
        assert not ALARMING.search(server.descriptions[lang])
        assert not ALARMING.search(server.short_descriptions[lang])
    assert server.descriptions["kk"] != server.descriptions["ru"]


async def test_blocking_the_bot_forgets_her(bot: RunningBot) -> None:
    mother = await full_journey(bot, 3020)
    server = bot.harness.server
    db = await bot.services.database()
    assert await db_rows.rows_about_user(db, 3020) > 0
    member = {"user": server.bot_user}
    server.push_update(
        "my_chat_member",
        {
            "chat": mother.chat_state.to_api(),
            "from": mother.to_api(),
            "date": server.now(),
            "old_chat_member": member | {"status": "member"},
            "new_chat_member": member | {"status": "kicked", "until_date": 0},
        },
    )
    await bot.harness.settle()
    assert await db_rows.rows_about_user(db, 3020) == 0
    assert 3020 not in bot.services.sessions


async def test_a_stranger_asking_only_for_numbers_leaves_no_conversation(bot: RunningBot) -> None:
    stranger = bot.user(3021, language_code="kk")
    await stranger.send("/sos")
    assert stranger.last_bot_message().plain_text.startswith(tr("kk")._(USEFUL_NUMBERS))
    await stranger.tap(tr("kk")._("🧹 Clear this chat"))
    assert await stored_sessions(bot) == 0
    assert len(bot.services.sessions) == 0
    await stranger.send("/sos")
    assert await stored_sessions(bot) == 0


@pytest.mark.parametrize(
    "words",
    ["хочу умереть", "покончу с собой", "муж ударил", "күйеуім ұрды", "өлгім келеді", "pomogite"],
)
async def test_more_ways_of_saying_danger(bot: RunningBot, words: str) -> None:
    mother = bot.user(3022, language_code="ru")
    await choose_language(mother, "ru")
    mark = mother.mark()
    await mother.send(words)
    assert mother.since(mark)[0].plain_text.startswith(tr("ru")._(USEFUL_NUMBERS))


async def test_danger_in_a_photo_caption(bot: RunningBot) -> None:
    mother = bot.user(3023, language_code="ru")
    await choose_language(mother, "ru")
    mark = mother.mark()
    await mother.send_photo(caption="он меня бьёт")
    replies = mother.since(mark)
    assert replies[0].plain_text.startswith(tr("ru")._(USEFUL_NUMBERS))
    assert hint(replies[-1]) == tr("ru")._("Sorry, I can only read text and buttons here.")


async def test_apps_in_other_languages_get_a_bilingual_description(bot: RunningBot) -> None:
    server = bot.harness.server
    default = server.descriptions[""]
    assert server.descriptions["kk"] in default and server.descriptions["ru"] in default
    assert len(server.short_descriptions[""]) <= 120


@pytest.mark.parametrize("sos_delay", [0.0, 0.6, 1.5])
async def test_sos_and_clear_in_one_batch_leave_nothing(bot: RunningBot, sos_delay: float) -> None:
    """Issue 20: 🆘 tapped and /clear sent at once (one getUpdates batch). The numbers go out
    on the SOS lane beside her other updates; /clear waits for them and deletes them too,
    even when Telegram answers the SOS send late (its id is known only then)."""
    t = tr("ru")
    mother = bot.user(3040, language_code="ru")
    await mother.send("/start")
    if sos_delay:
        bot.harness.server.inject_fault("sendMessage", "slow", delay=sos_delay)
    await mother.tap(t._("🆘 Emergency numbers"), wait=False)
    await mother.send("/clear", wait=False)
    await bot.harness.settle()
    sos_sends = [
        c for c in bot.harness.server.calls_to("sendMessage")
        if str(c.get("text", "")).startswith(t._(USEFUL_NUMBERS))
    ]  # fmt: skip
    assert len(sos_sends) == 1, "the numbers were sent (and then cleared)"
    assert [m.plain_text for m in mother.chat] == [t._(DONE_LINE)]
    db = await bot.services.database()
    assert await db_rows.rows_about_user(db, 3040) == 0
    assert await state.chat_message_ids(db, 3040) == []
