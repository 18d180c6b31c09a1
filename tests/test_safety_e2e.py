"""Safety and privacy end to end: wipe the chat, keep nothing, always reach help, discretion."""

from __future__ import annotations

import datetime as dtm
import logging
import re

import pytest

from bot import logs
from bot.i18n import LANGUAGES
from bot.i18n_tools import extract_template, read_catalog
from bot.render import DETAIL_ONLY
from bot.storage import state
from tests.conftest import RunningBot
from tests.journey import answer_all, choose_language, need_button, tr

# Words a lock-screen preview must never show: whoever watches her phone may read it.
ALARMING = re.compile(
    r"насил|кризис|аборт|суицид|вич|зорлық|зорлы|дағдарыс|түсік|аитв|violence|crisis|abortion|suicide|hiv",
    re.IGNORECASE,
)


async def full_journey(bot: RunningBot, user_id: int, lang: str = "ru") -> None:
    mother = bot.user(user_id, language_code=lang)
    await choose_language(mother, lang)
    almaty = bot.services.catalog.place("almaty")
    assert almaty is not None
    await answer_all(
        mother,
        lang,
        age="17",
        child="Under 6 months",
        city=almaty.name.get(lang),
        needs=["shelter"],
    )


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_clear_deletes_the_whole_chat_and_every_row_about_her(
    bot: RunningBot, lang: str
) -> None:
    await full_journey(bot, 3001, lang)
    mother = bot.user(3001, language_code=lang)
    other = bot.user(3002, language_code=lang)
    await choose_language(other, lang)
    assert len(mother.chat) > 10
    db = await bot.services.database()
    assert await state.rows_about_user(db, 3001) > 0
    await mother.tap(tr(lang)._("🧹 Clear this chat"))
    # The phone shows at most one neutral line, which she can delete too.
    assert [m.plain_text for m in mother.chat] == [tr(lang)._("Done.")]
    assert await state.rows_about_user(db, 3001) == 0
    assert 3001 not in bot.app.user_data or not bot.app.user_data[3001]
    # Nothing else is touched: the other mother's chat and data stay.
    assert len(other.chat) > 2 and await state.rows_about_user(db, 3002) > 0


async def test_clear_command_survives_messages_too_old_to_delete(bot: RunningBot) -> None:
    mother = bot.user(3003, language_code="kk")
    await choose_language(mother, "kk")
    old = [m.message_id for m in mother.chat]
    bot.harness.server.advance(dtm.timedelta(hours=49))  # Telegram's 48-hour window has passed
    await mother.send("17")
    new = [m.message_id for m in mother.chat if m.message_id not in old]
    mark = mother.mark()
    await mother.send("/clear")
    visible = {m.message_id for m in mother.chat}
    assert not visible & set(new)  # everything still deletable was deleted
    assert [m.plain_text for m in mother.since(mark)] == [tr("kk")._("Done.")]
    assert await state.rows_about_user(await bot.services.database(), 3003) == 0


async def test_forget_drops_the_data_but_keeps_the_chat(bot: RunningBot) -> None:
    await full_journey(bot, 3004)
    mother = bot.user(3004)
    before = len(mother.chat)
    await mother.send("/forget")
    assert len(mother.chat) == before + 2  # her command and one neutral line
    assert mother.last_bot_message().plain_text == tr("ru")._("Done.")
    assert await state.rows_about_user(await bot.services.database(), 3004) == 0
    # She can start again as a stranger: the language question comes first.
    await mother.send("/start")
    assert "Қазақша" in mother.last_bot_message().buttons


async def test_expired_data_is_purged_by_the_job_even_after_a_restart(bot: RunningBot) -> None:
    await full_journey(bot, 3005)
    db = await bot.services.database()
    # Pretend her last activity was three days ago, in memory and on disk.
    three_days_ago = state.now() - 3 * 24 * 3600
    bot.app.user_data[3005]["t"] = int(three_days_ago)
    await db.conn.execute("UPDATE chat_messages SET sent_at = ?", (three_days_ago,))
    await db.conn.execute("UPDATE conversations SET updated_at = ?", (three_days_ago,))
    await db.conn.execute(
        "UPDATE user_data SET data = json_set(data, '$.t', ?)", (int(three_days_ago),)
    )
    await bot.restart()  # the purge does not depend on the process that wrote the data
    db = await bot.services.database()
    jobs = [job for job in bot.app.job_queue.jobs() if job.name == "purge_expired"]
    assert jobs, "the purge job is scheduled at start-up"
    await jobs[0].run(bot.app)
    # Left: only the id of the gentle line just sent, so that /clear can still delete it.
    gentle = bot.user(3005).last_bot_message()
    assert await state.chat_message_ids(db, 3005) == [gentle.message_id]
    assert await state.rows_about_user(db, 3005) == 1


async def test_an_idle_conversation_ends_and_everything_it_kept_goes(bot: RunningBot) -> None:
    await full_journey(bot, 3006)
    mother = bot.user(3006)
    bot.app.user_data[3006]["t"] = int(state.now() - 2 * 3600)  # two hours of silence
    job = next(job for job in bot.app.job_queue.jobs() if job.name == "purge_expired")
    await job.run(bot.app)
    gentle = mother.last_bot_message()
    assert gentle.plain_text == tr("ru")._(
        "We paused because it was quiet for a while; your answers are deleted. "
        "Tap /start to begin again."
    )
    assert gentle.params.get("disable_notification") is True  # no buzz long after
    assert not bot.app.user_data.get(3006)
    assert await state.load_user_data(await bot.services.database()) == {}
    # Only the message ids stay (for /clear), until Telegram's 48 hours are over.
    db = await bot.services.database()
    assert await state.rows_about_user(db, 3006) == len(
        await state.chat_message_ids(db, 3006)
    )


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
    assert first.startswith(tr(lang)._("📞 Useful numbers"))
    assert first.index("112") < first.index("111") and "102" in first
    # Then the conversation goes on: the age question comes back.
    assert "17" in replies[-1].buttons


async def test_sos_is_one_tap_from_every_question_and_every_result(bot: RunningBot) -> None:
    t = tr("ru")
    sos = t._("🆘 Emergency numbers")
    mother = bot.user(3008, language_code="ru")
    almaty = bot.services.catalog.place("almaty")
    assert almaty is not None
    steps = [
        lambda: mother.send("/start"),  # the language question
        lambda: mother.tap("Русский"),  # her age
        lambda: mother.tap("17"),  # her child
        lambda: mother.tap(t._("Under 6 months")),  # her place (then a location hint)
        lambda: mother.tap(t._("Another region…")),  # all regions
        lambda: mother.tap(almaty.name.get("ru")),  # her needs
        lambda: mother.tap(need_button("ru", "shelter")),
        lambda: mother.tap(t._("Done ➡️")),  # the results' footer
        lambda: mother.tap(t._("✏️ Change an answer")),  # which answer to change
    ]
    for step in steps:
        await step()
        question = next(m for m in reversed(mother.bot_messages()) if m.buttons)
        assert sos in question.buttons, question.plain_text
    mark = mother.mark()
    await mother.tap(sos)
    text = mother.since(mark)[0].plain_text
    assert text.index("112") < text.index("102") < text.index("111") < text.index("150")
    assert t._("🧹 Clear this chat") in mother.last_bot_message().buttons


async def test_sos_command_keeps_the_conversation_where_it_was(bot: RunningBot) -> None:
    mother = bot.user(3009, language_code="kk")
    await choose_language(mother, "kk")
    await mother.send("/sos")
    await mother.send("18")
    assert bot.app.user_data[3009]["answers"]["age"] == 18


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_translated_message_opens_with_an_alarming_word(lang: str) -> None:
    """Every message of the code, not a sample: a lock screen shows the first line."""
    catalog = read_catalog(lang)
    checked = 0
    for message in extract_template():
        if not message.id:
            continue
        msgid = message.id[0] if isinstance(message.id, tuple) else message.id
        if msgid in DETAIL_ONLY:
            continue  # buttons and lines that never open a message
        found = catalog.get(message.id)
        assert found is not None, msgid
        strings = found.string if isinstance(found.string, tuple) else (found.string,)
        for string in (*strings, msgid):
            first_line = string.strip().split("\n")[0]
            assert not ALARMING.search(first_line), (lang, msgid, first_line)
        checked += 1
    assert checked > 100


async def test_every_message_sent_in_a_journey_opens_neutrally(bot: RunningBot) -> None:
    for user_id, lang in ((3010, "kk"), (3011, "ru")):
        await full_journey(bot, user_id, lang)
        mother = bot.user(user_id, language_code=lang)
        await mother.send("/sos")
        await mother.send("/help")
        await mother.send("/privacy")
    sent = [
        call.params["text"] for call in bot.harness.server.calls if call.method == "sendMessage"
    ]
    assert len(sent) > 20
    for text in sent:
        assert not ALARMING.search(text.split("\n")[0]), text


async def test_logs_hold_no_typed_text(bot: RunningBot, caplog: pytest.LogCaptureFixture) -> None:
    logs.configure("DEBUG")
    caplog.set_level(logging.DEBUG)
    secret_words = ["Меня зовут Айгерим Секретова", "+77011234567", "ул. Тайная 5"]
    mother = bot.user(3012, language_code="ru")
    await choose_language(mother, "ru")
    for words in secret_words:
        await mother.send(words)
    await mother.send("17")
    await mother.send("Айгерим-город")  # a wrong place name is an answer too
    assert caplog.records, "logging was captured"
    for words in [*secret_words, "Айгерим-город"]:
        assert words not in caplog.text
    assert "3012" not in caplog.text  # users appear only as salted hashes


async def test_privacy_explains_what_is_kept_in_her_language(bot: RunningBot) -> None:
    for user_id, lang in ((3013, "kk"), (3014, "ru")):
        mother = bot.user(user_id, language_code=lang)
        await choose_language(mother, lang)
        await mother.send("/privacy")
        text = mother.last_bot_message().plain_text
        assert text.startswith(tr(lang)._("About your privacy"))
        assert "48" in text and "/clear" in text and "/forget" in text


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
    await full_journey(bot, 3020)
    server = bot.harness.server
    mother = bot.user(3020)
    chat = {"id": 3020, "type": "private", "first_name": "Mother"}
    member = {"user": {"id": server.bot_user["id"], "is_bot": True, "first_name": "Ana Komek"}}
    server.push_update(
        "my_chat_member",
        {
            "chat": chat,
            "from": mother.to_api(),
            "date": server.now(),
            "old_chat_member": member | {"status": "member"},
            "new_chat_member": member | {"status": "kicked", "until_date": 0},
        },
    )
    await bot.harness.settle()
    assert await state.rows_about_user(await bot.services.database(), 3020) == 0


async def test_a_stranger_asking_only_for_numbers_leaves_no_row(bot: RunningBot) -> None:
    stranger = bot.user(3021, language_code="kk")
    await stranger.send("/sos")
    assert "112" in stranger.last_bot_message().plain_text
    assert await state.load_user_data(await bot.services.database()) == {}


@pytest.mark.parametrize(
    "words",
    ["хочу умереть", "покончу с собой", "муж ударил", "күйеуім ұрды", "өлгім келеді", "pomogite"],
)
async def test_more_ways_of_saying_danger(bot: RunningBot, words: str) -> None:
    mother = bot.user(3022, language_code="ru")
    await choose_language(mother, "ru")
    mark = mother.mark()
    await mother.send(words)
    assert mother.since(mark)[0].plain_text.startswith(tr("ru")._("📞 Useful numbers"))


async def test_danger_in_a_photo_caption(bot: RunningBot) -> None:
    mother = bot.user(3023, language_code="ru")
    await choose_language(mother, "ru")
    mark = mother.mark()
    await mother.send_photo(caption="он меня бьёт")
    assert mother.since(mark)[0].plain_text.startswith(tr("ru")._("📞 Useful numbers"))


async def test_apps_in_other_languages_get_a_bilingual_description(bot: RunningBot) -> None:
    server = bot.harness.server
    default = server.descriptions[""]
    assert server.descriptions["kk"] in default and server.descriptions["ru"] in default
    assert len(server.short_descriptions[""]) <= 120
