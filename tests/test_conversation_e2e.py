"""The mother's conversation end to end: the real Application against a fake Bot API on
loopback, a real SQLite file, the real compiled catalogs, in both languages."""

from __future__ import annotations

import re

import pytest

from bot.core.matching import Query, match_centers
from tests.conftest import RunningBot
from tests.fake_telegram import TelegramUser
from tests.journey import LANGUAGE_BUTTONS, answer_all, choose_language, need_button, texts, tr

LANGS = ("kk", "ru")


def center_name(bot: RunningBot, center_id: str, lang: str) -> str:
    center = bot.services.catalog.center(center_id)
    assert center is not None, center_id
    return center.name.get(lang)


def place_name(bot: RunningBot, place_id: str, lang: str) -> str:
    place = bot.services.catalog.place(place_id)
    assert place is not None, place_id
    return place.name.get(lang)


def more_button(mother: TelegramUser, lang: str) -> str | None:
    """The "Show N more" button under the results, if there is one."""
    t = tr(lang)
    forms = {t.ngettext("Show {count} more", "Show {count} more", n) for n in (1, 2, 5)}
    patterns = [re.compile(re.escape(f).replace(re.escape("{count}"), r"\d+") + "$") for f in forms]
    for label in mother.last_bot_message().buttons:
        if any(p.match(label) for p in patterns):
            return label
    return None


async def show_everything(mother: TelegramUser, lang: str, mark: int) -> str:
    """Tap "more" until every card is shown; everything the bot sent since `mark`."""
    for _ in range(20):
        label = more_button(mother, lang)
        if label is None:
            break
        await mother.tap(label)
    return texts(mother.since(mark))


def expected_local_count(bot: RunningBot, **answers: object) -> int:
    """How many local centers the matcher finds for these answers (the bot must say it)."""
    location = bot.services.gazetteer.place_location(str(answers["place"]))
    query = Query(
        mother_age=int(answers["age"]),  # type: ignore[call-overload]
        pregnant=bool(answers["pregnant"]),
        child_months=answers["child_months"],  # type: ignore[arg-type]
        location=location,
        needs=frozenset(answers["needs"]),  # type: ignore[arg-type]
    )
    return match_centers(bot.services.catalog, query).local_count


@pytest.mark.parametrize("lang", LANGS)
async def test_teen_in_almaty_with_newborn_needing_a_home(bot: RunningBot, lang: str) -> None:
    t = tr(lang)
    mother = bot.user(2001, language_code=lang)
    await choose_language(mother, lang)
    almaty = place_name(bot, "almaty", lang)
    mark = await answer_all(
        mother, lang, age="17", child="Under 6 months", city=almaty, needs=["shelter"]
    )
    summary = mother.since(mark)[0].plain_text
    count = expected_local_count(
        bot, age=17, pregnant=False, child_months=5, place="almaty", needs=["shelter"]
    )
    assert count >= 2
    assert summary == t.ngettext(
        "{count} place in {where} can help you.", "{count} places in {where} can help you.", count
    ).format(count=count, where=almaty)
    shown = await show_everything(mother, lang, mark)
    for center_id in ("ana-uyi-almaty", "almaty-ubezhishche"):
        assert center_name(bot, center_id, lang) in shown
    # Cards say whom a center takes and how long she may stay, in her language.
    assert (
        t.ngettext(
            "Accepts mothers up to {max} year old.", "Accepts mothers up to {max} years old.", 30
        ).format(max=30)
        in shown
    )
    assert t._("Longest stay: {max}.").format(max="6 ай" if lang == "kk" else "6 месяцев") in shown
    # Below the results: the national lines, emergency numbers first.
    footer = mother.last_bot_message().plain_text
    assert footer.index("112") < footer.index("102") < footer.index("111") < footer.index("150")
    assert {t._("🔄 Start over"), t._("✏️ Change an answer"), t._("🌐 Language")} <= set(
        mother.last_bot_message().buttons
    )


@pytest.mark.parametrize("lang", LANGS)
async def test_pregnant_nineteen_year_old_thinking_about_abortion(
    bot: RunningBot, lang: str
) -> None:
    mother = bot.user(2002, language_code=lang)
    await choose_language(mother, lang)
    mark = await answer_all(
        mother, lang, age="19", child="I am pregnant",
        city=place_name(bot, "almaty", lang), needs=["pregnancy"],
    )  # fmt: skip
    shown = await show_everything(mother, lang, mark)
    assert center_name(bot, "almaty-dom-dlya-mamy", lang) in shown
    assert tr(lang)._("Accepts pregnant women.") in shown
    # Centers that say nothing about pregnant women tell her to ask first.
    assert tr(lang)._("Call first and ask whether they take pregnant women.") in shown


@pytest.mark.parametrize("lang", LANGS)
async def test_hiv_positive_mother_sees_the_hiv_organisation_only(
    bot: RunningBot, lang: str
) -> None:
    mother = bot.user(2003, language_code=lang)
    await choose_language(mother, lang)
    mark = await answer_all(
        mother, lang, age="22–25", child="Under 6 months",
        city=place_name(bot, "almaty", lang), needs=["hiv", "shelter"],
    )  # fmt: skip
    shown = await show_everything(mother, lang, mark)
    assert center_name(bot, "almaty-revansh", lang) in shown
    assert center_name(bot, "almaty-dom-dlya-mamy", lang) not in shown


@pytest.mark.parametrize("lang", LANGS)
async def test_region_without_a_fitting_center_still_gets_help(bot: RunningBot, lang: str) -> None:
    t = tr(lang)
    mother = bot.user(2004, language_code=lang)
    await choose_language(mother, lang)
    await mother.tap("18")
    await mother.tap(t._("6–12 months"))
    await mother.tap(t._("Another region…"))
    kyzylorda = bot.services.catalog.region("kyzylorda")
    assert kyzylorda is not None
    await mother.tap(kyzylorda.name.get(lang))
    await mother.tap(need_button(lang, "shelter"))
    mark = mother.mark()
    await mother.tap(t._("Done ➡️"))
    results = mother.since(mark)
    where = kyzylorda.name.get(lang)  # she chose a region, so the region is named
    assert results[0].plain_text == t._(
        "We found nothing that fits you in {where}. Here are the nearest places that can "
        "help, and the national lines."
    ).format(where=where)
    # The nearest other places come with their distance, and the national lines close it.
    distance = re.compile(
        re.escape(t._("In {place}, about {km} km from you."))
        .replace(re.escape("{place}"), ".+")
        .replace(re.escape("{km}"), r"\d+")
    )
    assert distance.search(texts(results))
    footer = mother.last_bot_message().plain_text
    for number in ("112", "102", "111", "150"):
        assert number in footer


async def test_typed_answers_in_kazakh_with_a_typo(bot: RunningBot) -> None:
    t = tr("kk")
    mother = bot.user(2005, language_code="kk")
    await choose_language(mother, "kk")
    await mother.send("17")
    await mother.send("жүктімін")
    await mother.send("Алмааты")  # a typo
    assert mother.last_bot_message().plain_text == t._(
        "What do you need? Choose one or more, then tap “Done”."
    )
    assert bot.app.user_data[2005]["answers"] == {
        "age": 17, "pregnant": True, "child_months": None, "region": "almaty-city",
        "place": "almaty",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("typed", "months"),
    [("3 ай", 3), ("3 месяца", 3), ("1,5 года", 18), ("1 жас", 12), ("2 апта", 0)],
)
async def test_typed_child_ages(bot: RunningBot, typed: str, months: int) -> None:
    mother = bot.user(2006, language_code="ru")
    await choose_language(mother, "ru")
    await mother.send("20")
    await mother.send(typed)
    assert bot.app.user_data[2006]["answers"]["child_months"] == months
    assert bot.app.user_data[2006]["answers"]["pregnant"] is False


async def test_location_finds_the_nearest_place_and_keeps_no_coordinates(bot: RunningBot) -> None:
    t = tr("ru")
    mother = bot.user(2007, language_code="ru")
    await choose_language(mother, "ru")
    await mother.tap("16")
    await mother.tap(t._("Under 6 months"))
    assert mother.reply_keyboard() == [t._("📍 Send my location")]
    await mother.tap(t._("📍 Send my location"), location=(50.06, 72.96))  # Temirtau
    assert bot.app.user_data[2007]["answers"]["place"] == "temirtau"
    assert "50.06" not in str(bot.app.user_data[2007])
    assert mother.reply_keyboard() is None  # the location keyboard is gone


@pytest.mark.parametrize("lang", LANGS)
async def test_bad_input_gets_a_kind_reask_and_nothing_is_lost(bot: RunningBot, lang: str) -> None:
    t = tr(lang)
    mother = bot.user(2008, language_code=lang)
    await choose_language(mother, lang)
    age_question = mother.last_bot_message().plain_text
    for bad in ("abc", "-5", "200", "🙂", "x" * 4000):
        mark = mother.mark()
        await mother.send(bad)
        replies = mother.since(mark)
        assert replies[0].plain_text == t._(
            "I did not understand. Please type your age as a number, for example 17."
        )
        assert replies[-1].plain_text == age_question and "17" in replies[-1].buttons
    for send in (mother.send_sticker, mother.send_photo, mother.send_voice):
        mark = mother.mark()
        await send()
        replies = mother.since(mark)
        assert replies[0].plain_text == t._("Sorry, I can only read text and buttons here.")
        assert "17" in replies[-1].buttons
    mark = mother.mark()
    await mother.send_document("notes.txt", b"hello", "text/plain")
    assert mother.since(mark)[0].plain_text == t._("Sorry, I can only read text and buttons here.")
    # Answer, then tap a button of an earlier copy of the age question.
    older_question = next(m for m in mother.bot_messages() if "16" in m.buttons)
    await mother.tap("17")
    mark = mother.mark()
    await mother.tap_in(older_question, "16")
    assert mother.answers()[-1].text == t._("This button is from an earlier step.")
    assert t._("I am pregnant") in mother.since(mark)[-1].buttons  # the current question again
    await mother.tap(t._("I am pregnant"))
    assert bot.app.user_data[2008]["answers"]["age"] == 17
    assert bot.app.user_data[2008]["answers"]["pregnant"] is True
    assert mother.server.unanswered_callbacks() == []


async def test_text_where_a_button_is_expected_and_unknown_commands(bot: RunningBot) -> None:
    t = tr("ru")
    mother = bot.user(2016, language_code="ru")
    await choose_language(mother, "ru")
    await answer_all(
        mother, "ru", age="20", child="I am pregnant",
        city=place_name(bot, "astana", "ru"), needs=["legal"],
    )  # fmt: skip
    mark = mother.mark()
    await mother.send("а что дальше?")
    replies = mother.since(mark)
    assert replies[0].plain_text == t._("Please tap one of the buttons.")
    assert t._("🔄 Start over") in replies[-1].buttons  # the results footer again
    mark = mother.mark()
    await mother.send("/unknown")
    assert mother.since(mark)[0].plain_text == t._("Sorry, I can only read text and buttons here.")


async def test_unusual_age_is_questioned_and_minors_are_welcome(bot: RunningBot) -> None:
    t = tr("ru")
    mother = bot.user(2009, language_code="ru")
    await choose_language(mother, "ru")
    await mother.send("8")
    assert mother.last_bot_message().plain_text == t._("You wrote {age}. Is that your age?").format(
        age=8
    )
    assert "age" not in bot.app.user_data[2009].get("answers", {})
    await mother.tap(t._("No, change it"))
    await mother.send("15")
    assert bot.app.user_data[2009]["answers"]["age"] == 15
    assert t._("I am pregnant") in mother.last_bot_message().buttons
    # A confirmed unusual age is taken as she says.
    await mother.send("/start")
    await mother.send("62")
    await mother.tap(t._("Yes, that's right"))
    assert bot.app.user_data[2009]["answers"]["age"] == 62


async def test_needs_need_at_least_one_and_ticks_toggle(bot: RunningBot) -> None:
    t = tr("ru")
    mother = bot.user(2010, language_code="ru")
    await choose_language(mother, "ru")
    await mother.tap("20")
    await mother.tap(t._("I am pregnant"))
    await mother.tap(place_name(bot, "astana", "ru"))
    await mother.tap(t._("Done ➡️"))
    assert mother.answers()[-1].text == t._("Choose at least one.")
    assert "needs" not in bot.app.user_data[2010]["answers"]
    legal = need_button("ru", "legal")
    await mother.tap(legal)
    assert "✅ " + legal in mother.last_bot_message().buttons
    await mother.tap("✅ " + legal)
    assert legal in mother.last_bot_message().buttons
    assert "✅ " + legal not in mother.last_bot_message().buttons


async def test_restart_mid_conversation_continues_where_she_was(bot: RunningBot) -> None:
    t = tr("kk")
    mother = bot.user(2011, language_code="kk")
    await choose_language(mother, "kk")
    await mother.send("8")  # an unusual age: she is asked to confirm
    await mother.tap(t._("No, change it"))
    await mother.tap("17")
    await mother.tap(t._("Under 6 months"))
    cities = next(m for m in mother.bot_messages() if t._("Another region…") in m.buttons)
    await mother.tap(t._("Another region…"))
    await bot.restart()  # a deploy or a crash: a new process on the same database
    turkistan = bot.services.catalog.region("turkistan")
    assert turkistan is not None
    await mother.tap(turkistan.name.get("kk"))
    assert bot.app.user_data[2011]["answers"] == {
        "age": 17, "pregnant": False, "child_months": 5, "region": "turkistan", "place": None,
    }  # fmt: skip
    assert mother.last_bot_message().plain_text == t._(
        "What do you need? Choose one or more, then tap “Done”."
    )
    # A button from before the restart explains itself instead of failing.
    await mother.tap_in(cities, place_name(bot, "shymkent", "kk"))
    assert mother.answers()[-1].text == t._("This button is from an earlier step.")
    assert bot.app.user_data[2011]["answers"]["region"] == "turkistan"


async def test_two_users_at_once_and_one_user_twice_at_once(bot: RunningBot) -> None:
    aigerim = bot.user(2012, language_code="kk")
    dana = bot.user(2013, language_code="ru")
    await choose_language(aigerim, "kk")
    await choose_language(dana, "ru")
    async with bot.harness.together():
        await aigerim.send("17")
        await dana.send("22")
        await aigerim.send("3 ай")
        await dana.send("беременна")
    assert bot.app.user_data[2012]["answers"] == {"age": 17, "pregnant": False, "child_months": 3}
    assert bot.app.user_data[2013]["answers"] == {"age": 22, "pregnant": True, "child_months": None}
    # Each reply landed in its own chat, in its own language, in order.
    for user, lang in ((aigerim, "kk"), (dana, "ru")):
        question = tr(lang)._(
            "Where are you now? Tap your city, choose a region, or type the name of the place."
        )
        assert question in user.texts()


async def test_change_an_answer_and_the_language_from_the_results(bot: RunningBot) -> None:
    t = tr("ru")
    mother = bot.user(2014, language_code="ru")
    await choose_language(mother, "ru")
    await answer_all(
        mother, "ru", age="26–30", child="Under 6 months",
        city=place_name(bot, "almaty", "ru"), needs=["shelter"],
    )  # fmt: skip
    await mother.tap(t._("✏️ Change an answer"))
    await mother.tap(t._("My age"))
    mark = mother.mark()
    await mother.tap("31–35")  # straight back to the results, without asking the rest
    shown = await show_everything(mother, "ru", mark)
    assert center_name(bot, "ana-uyi-almaty", "ru") not in shown  # up to 30 only
    assert center_name(bot, "almaty-zhan-saya", "ru") in shown
    await mother.tap(t._("🌐 Language"))
    mark = mother.mark()
    await mother.tap(LANGUAGE_BUTTONS["kk"])
    assert bot.app.user_data[2014]["lang"] == "kk"
    assert tr("kk")._("Phone lines for all of Kazakhstan:") in texts(mother.since(mark))


async def test_start_again_mid_conversation_and_cancel(bot: RunningBot) -> None:
    t = tr("ru")
    mother = bot.user(2017, language_code="ru")
    await choose_language(mother, "ru")
    await mother.tap("19")
    await mother.send("/start")  # restarts cleanly, keeps her language
    assert bot.app.user_data[2017].get("answers", {}) == {}
    assert mother.last_bot_message().plain_text == t._(
        "How old are you? Tap a button or type your age."
    )
    await mother.tap("19")
    await mother.send("/cancel")
    assert mother.last_bot_message().plain_text == t._(
        "Stopped. Your answers are deleted. /start to begin again, /sos for the numbers."
    )
    assert "answers" not in bot.app.user_data[2017]


async def test_deep_link_from_a_hotline_sets_the_language(bot: RunningBot) -> None:
    mother = bot.user(2018, language_code="en")
    await mother.send("/start kk")
    assert bot.app.user_data[2018]["lang"] == "kk"
    assert mother.last_bot_message().plain_text == tr("kk")._(
        "How old are you? Tap a button or type your age."
    )


async def test_first_message_without_start_begins_the_conversation(bot: RunningBot) -> None:
    mother = bot.user(2019, language_code="kk")
    await mother.send("сәлем")
    assert mother.last_bot_message().buttons[:2] == ["Қазақша", "Русский"]


async def test_commands_are_registered_in_both_languages(bot: RunningBot) -> None:
    server = bot.harness.server
    for lang in LANGS:
        commands = [c for key, c in server.commands.items() if key[1] == lang]
        assert len(commands) == 1, lang
        names = [c["command"] for c in commands[0]]
        assert set(names) == {
            "start", "sos", "help", "language", "clear", "forget", "privacy", "cancel",
        }  # fmt: skip
        descriptions = {c["command"]: c["description"] for c in commands[0]}
        assert descriptions["start"] == tr(lang)._("Find help")
    assert tr("kk")._("Find help") != tr("ru")._("Find help")


async def test_idle_conversation_ends_gently_even_after_a_restart(bot: RunningBot) -> None:
    t = tr("ru")
    mother = bot.user(2015, language_code="ru")
    await choose_language(mother, "ru")
    await mother.tap("19")
    assert bot.app.user_data[2015]["answers"] == {"age": 19}
    bot.app.user_data[2015]["t"] -= 31 * 60  # half an hour of silence…
    await bot.restart()  # …and a deploy in between
    job = next(job for job in bot.app.job_queue.jobs() if job.name == "purge_expired")
    await job.run(bot.app)
    assert mother.last_bot_message().plain_text == t._(
        "We paused because it was quiet for a while; your answers are deleted. "
        "Tap /start to begin again."
    )
    assert not bot.app.user_data.get(2015)
    db = await bot.services.database()
    async with db.conn.execute("SELECT COUNT(*) FROM conversations WHERE user_id = 2015") as cur:
        row = await cur.fetchone()
    assert row is not None and row[0] == 0
    # When she comes back, a tap on the old question begins again instead of failing.
    await mother.tap(t._("I am pregnant"))
    assert mother.answers()[-1].text == t._("Let's begin again.")
    assert "Русский" in mother.last_bot_message().buttons  # her language went with the rest


async def test_forged_button_data_is_not_taken(bot: RunningBot) -> None:
    mother = bot.user(2020, language_code="ru")
    await choose_language(mother, "ru")
    question = mother.last_bot_message()
    server = bot.harness.server
    for data in ("age:999", "child:77", "place:nowhere", "need:flying", "lang:en"):
        server.push_update(
            "callback_query", server.new_callback_query(mother.to_api(), question, data)
        )
        await bot.harness.settle()
    assert "age" not in bot.app.user_data[2020].get("answers", {})
    assert bot.app.user_data[2020]["lang"] == "ru"
    assert server.unanswered_callbacks() == []


async def test_old_buttons_after_the_conversation_ended_begin_again(bot: RunningBot) -> None:
    t = tr("ru")
    mother = bot.user(2023, language_code="ru")
    await choose_language(mother, "ru")
    await mother.send("/language")
    language_keyboard = mother.last_bot_message()
    assert t._("🆘 Emergency numbers") in language_keyboard.buttons  # SOS here too
    await mother.tap("Русский")
    await mother.tap("17")
    child_question = mother.last_bot_message()
    await mother.send("/cancel")
    assert "answers" not in bot.app.user_data.get(2023, {})
    mark = mother.mark()
    await mother.tap_in(child_question, t._("I am pregnant"))
    assert mother.answers()[-1].text == t._("Let's begin again.")
    assert mother.since(mark)[-1].buttons[:2] == ["Русский", "Қазақша"]
    assert mother.server.unanswered_callbacks() == []


async def test_commands_outside_a_conversation_are_answered(bot: RunningBot) -> None:
    t = tr("ru")
    mother = bot.user(2024, language_code="ru")
    await mother.send("/cancel")
    assert mother.last_bot_message().plain_text == t._(
        "Stopped. Your answers are deleted. /start to begin again, /sos for the numbers."
    )
    await mother.send("/whatever")
    assert mother.last_bot_message().buttons[:2] == ["Русский", "Қазақша"]


async def test_ticks_survive_a_reask(bot: RunningBot) -> None:
    t = tr("ru")
    mother = bot.user(2025, language_code="ru")
    await choose_language(mother, "ru")
    await answer_all_but_needs(mother, bot)
    await mother.tap(need_button("ru", "shelter"))
    await mother.tap(need_button("ru", "violence"))
    await mother.send("помогите")  # the emergency numbers, then the needs question again
    buttons = mother.last_bot_message().buttons
    assert "✅ " + need_button("ru", "shelter") in buttons
    assert "✅ " + need_button("ru", "violence") in buttons
    await mother.tap(t._("Done ➡️"))
    assert bot.app.user_data[2025]["answers"]["needs"] == ["shelter", "violence"]


async def answer_all_but_needs(mother: TelegramUser, bot: RunningBot) -> None:
    t = tr("ru")
    await mother.tap("18")
    await mother.tap(t._("Under 6 months"))
    await mother.tap(place_name(bot, "astana", "ru"))


async def test_the_location_keyboard_goes_when_she_starts_again(bot: RunningBot) -> None:
    mother = bot.user(2026, language_code="ru")
    await choose_language(mother, "ru")
    await mother.tap("18")
    await mother.tap(tr("ru")._("Under 6 months"))
    assert mother.reply_keyboard() is not None
    await mother.send("/start")
    assert mother.reply_keyboard() is None


async def test_changing_language_on_the_results_is_not_another_search(bot: RunningBot) -> None:
    mother = bot.user(2027, language_code="ru")
    await choose_language(mother, "ru")
    await answer_all(
        mother, "ru", age="18", child="Under 6 months",
        city=place_name(bot, "almaty", "ru"), needs=["shelter"],
    )  # fmt: skip
    await mother.tap(tr("ru")._("🌐 Language"))
    await mother.tap("Қазақша")
    db = await bot.services.database()
    async with db.conn.execute("SELECT SUM(searches) FROM search_stats WHERE need = '*'") as cur:
        row = await cur.fetchone()
    assert row is not None and row[0] == 1
