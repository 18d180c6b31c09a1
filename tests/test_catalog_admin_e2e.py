"""Admins keep the catalog true from their phone: /edit, /set, /add, /history, /undo, /stale,
their own command menu; and for everyone else these commands do not exist."""

from __future__ import annotations

import json
from datetime import date

import pytest

from bot.catalog.changes import Err, Field
from bot.core.codes import Need
from bot.i18n import Translator
from bot.render import NEED_SHORT
from bot.tg.adding import QUESTIONS, Question
from bot.tg.adminkit import ERRORS, FIELD_LABELS
from bot.usecases.editing import CLOSED_REASON
from tests.care_steps import (
    CENTER,
    NEW_HOURS,
    admin,
    card_of,
    replies,
    results,
    revision,
    rows,
    search_taraz,
    stored_doc,
    today,
    tr,
    upload_new_hours,
)
from tests.conftest import ADMIN_ID, RunningBot
from tests.fake_telegram import TelegramUser

PHONE = "+77012345678"


def refused(lang: str, code: Err, **values: str) -> str:
    """The one line a refused value gets, as the admin reads it."""
    t = tr(lang)
    return t._("Nothing changed: {reason}").format(reason=t._(ERRORS[code]).format(**values))


def label(lang: str, field: Field) -> str:
    return tr(lang)._(FIELD_LABELS[field])


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_number_added_from_a_phone_reaches_the_next_mother(
    bot: RunningBot, lang: str
) -> None:
    t = tr(lang)
    center = await bot.services.full_center(CENTER)
    assert center is not None
    name = center.name.get(lang)
    phoned = t._("Confirmed by phone on {date}.").format(date=today())
    before = card_of(results(await search_taraz(bot, 5101, lang)).plain_text, name)
    assert PHONE not in before and phoned not in before

    chief = admin(bot, lang)
    await chief.send(f"/edit {CENTER}")
    assert label(lang, Field.PHONE) in chief.last_bot_message().buttons
    await chief.tap(label(lang, Field.PHONE))
    prompt = chief.last_bot_message().plain_text
    assert t._("Send the new value. Example: {example}").split("{")[0] in prompt
    await chief.send("8 701 234 56 78")  # as people write it; stored as +7XXXXXXXXXX
    saved = t._("Saved. {field}: {old} → {new}").format(
        field=label(lang, Field.PHONE), old="—", new=PHONE
    )
    assert chief.last_bot_message().plain_text.split("\n") == [saved, phoned]

    card = card_of(results(await search_taraz(bot, 5102, lang)).plain_text, name)
    assert f"📞 {PHONE}" in card
    assert phoned in card
    doc = json.loads(stored_doc(bot))
    assert doc["phones"] == [{"number": PHONE}]
    assert doc["provenance"]["verified_how"] == "phoned"
    assert doc["provenance"]["verified_by"] == f"Telegram admin {ADMIN_ID}"

    await chief.send(f"/history {CENTER}")
    history = chief.last_bot_message().plain_text
    assert f"Telegram admin {ADMIN_ID}" in history
    assert (
        "{field}: {old} → {new}".format(field=label(lang, Field.PHONE), old="—", new=PHONE)
        in history
    )


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_set_in_one_line_then_undo(bot: RunningBot, lang: str) -> None:
    t = tr(lang)
    chief = admin(bot, lang)
    original = stored_doc(bot)
    name = bot.services.catalog.center(CENTER).name.get(lang)  # type: ignore[union-attr]
    await chief.send(f"/set {CENTER} status closed")
    center = await bot.services.full_center(CENTER)
    assert center is not None and center.status == "closed"
    reason = tr("ru")._(CLOSED_REASON).format(date=today())
    assert center.status_reason.ru == reason
    assert name not in results(await search_taraz(bot, 5111, lang)).plain_text

    await chief.send(f"/undo {CENTER}")
    first_line = chief.last_bot_message().plain_text.split("\n")[0]
    assert first_line.startswith(
        t._("Undone. {field}: {old} → {new}").split("{")[0] + label(lang, Field.STATUS)
    )
    assert first_line.endswith("→ active")
    assert stored_doc(bot) == original
    assert name in results(await search_taraz(bot, 5112, lang)).plain_text

    await chief.send(f"/history {CENTER}")
    history = chief.last_bot_message().plain_text
    assert t._("(undone)") in history
    assert t._("Undo of {what}").split("{")[0] in history
    await chief.send(f"/undo {CENTER}")
    assert chief.last_bot_message().plain_text == t._("Nothing to undo for this entry.")
    assert rows(bot, "SELECT kind, field, undone FROM catalog_changes ORDER BY id") == [
        ("edit", "status", 1),
        ("undo", "status", 0),
    ]


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_bad_value_changes_nothing(bot: RunningBot, lang: str) -> None:
    t = tr(lang)
    chief = admin(bot, lang)
    doc, rev = stored_doc(bot), revision(bot)
    cases = [
        (f"/set {CENTER} phone +7701", refused(lang, Err.PHONE, value="+7701")),
        (
            f"/set {CENTER} colour red",
            t._("Nothing changed: there is no field «{name}».").format(name="colour"),
        ),
        (
            f"/set {CENTER} status maybe",
            refused(lang, Err.CODE, value="maybe", known="active, temporarily_closed, closed"),
        ),
        (f"/set {CENTER} mother_age_max 300", refused(lang, Err.NUMBER, low="10", high="99")),
        (
            f"/set {CENTER} website ftp://example.kz",
            refused(lang, Err.URL, value="ftp://example.kz"),
        ),
        (f"/set {CENTER} stay_max forever", refused(lang, Err.DURATION)),
        (f"/set {CENTER} summary_ru -", refused(lang, Err.EMPTY)),
        (
            f"/set {CENTER} shelter no",
            refused(
                lang,
                Err.RULE,
                problem="a center without shelter has no 'shelter' need and no stay limits",
            ),
        ),
        (f"/set {CENTER} verified center", refused(lang, Err.NOT_ALLOWED)),
        (f"/set {CENTER} phone -+77000000000", refused(lang, Err.NOT_FOUND, value="+77000000000")),
        (
            f"/set no-such-center phone {PHONE}",
            t._("No center with this id. /export lists them all."),
        ),
    ]
    for command, expected in cases:
        await chief.send(command)
        assert chief.last_bot_message().plain_text.split("\n")[0] == expected, command
    # The same through the buttons: a refused value, another chance, then /cancel.
    await chief.send(f"/edit {CENTER}")
    await chief.tap(label(lang, Field.HOURS))
    await chief.send("x" * 200)
    texts = chief.texts()[-2:]
    assert texts == [
        refused(lang, Err.TOO_LONG, limit="80"),
        t._("Send another value, or /cancel."),
    ]
    await chief.send("/cancel")
    assert chief.last_bot_message().plain_text == t._("Cancelled. Nothing changed.")
    mark = chief.mark()
    await chief.send("Mon–Fri 9:00–18:00")  # no longer a value: the bot just greets
    assert all(
        t._("Saved. {field}: {old} → {new}").split("{")[0] not in text
        for text, _ in replies(chief, mark)
    )
    assert stored_doc(bot) == doc
    assert revision(bot) == rev
    assert rows(bot, "SELECT COUNT(*) FROM catalog_changes") == [(0,)]


# Every admin command, with arguments that would change something if they were obeyed.
ADMIN_COMMANDS = (
    "/admin",
    "/export",
    f"/center {CENTER}",
    f"/verify {CENTER} phoned",
    f"/close {CENTER} ремонт",
    f"/reopen {CENTER}",
    "/stats",
    f"/edit {CENTER}",
    f"/set {CENTER} phone {PHONE}",
    "/add",
    f"/history {CENTER}",
    f"/undo {CENTER}",
    "/stale",
    "/stale 30",
    "/reports",
    "/resolve 1",
    f"/invite {CENTER}",
    "/approve",
    "/approve 1",
)


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_admin_commands_are_unknown_commands_for_everyone_else(
    bot: RunningBot, lang: str
) -> None:
    doc, rev = stored_doc(bot), revision(bot)

    async def first_reply(user_id: int, command: str) -> list[tuple[str, list[str]]]:
        stranger = bot.user(user_id, "Mother", language_code=lang)
        mark = stranger.mark()
        await stranger.send(command)
        return replies(stranger, mark)

    unknown = await first_reply(6000, "/nosuchcommand")
    assert unknown
    for number, command in enumerate(ADMIN_COMMANDS, start=6001):
        assert await first_reply(number, command) == unknown, command

    # In the middle of her questions, too.
    mother = bot.user(6100, "Mother", language_code=lang)
    await mother.send("/start")
    await mother.tap("20")
    mark = mother.mark()
    await mother.send("/nosuchcommand")
    unknown = replies(mother, mark)
    for command in ADMIN_COMMANDS:
        mark = mother.mark()
        await mother.send(command)
        assert replies(mother, mark) == unknown, command

    # An admin's button crafted by someone else is an old button, nothing more.
    server = bot.harness.server
    for data in (f"ce:{Field.PHONE.code}:{CENTER}", f"cu:{CENTER}", "ap:y:1", "zz:old"):
        query = server.new_callback_query(mother.to_api(), mother.last_bot_message(), data)
        server.push_update("callback_query", query)
        await bot.harness.settle()
    answers = [a.text for a in mother.answers()[-4:]]
    assert answers == [answers[-1]] * 4
    assert stored_doc(bot) == doc and revision(bot) == rev
    assert rows(bot, "SELECT COUNT(*) FROM catalog_changes") == [(0,)]
    assert rows(bot, "SELECT COUNT(*) FROM center_invites") == [(0,)]
    assert not [c for c in server.calls if c.method == "sendDocument"]


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_add_a_center_by_a_dialog(bot: RunningBot, lang: str) -> None:
    t = tr(lang)
    chief = admin(bot, lang)
    await chief.send("/add")
    for answer in (
        "Тараз жаңа орталығы",
        "Новый центр Тараза",
        "Заң кеңесі.",
        "Юридические консультации.",
    ):
        await chief.send(answer)
    await chief.tap(t._("Not state"))
    await chief.send("Атлантида")
    assert chief.texts()[-2] == t._("There is no place or region «{value}».").format(
        value="Атлантида"
    )
    await chief.send("Тараз")
    await chief.tap(t._(NEED_SHORT[Need.LEGAL]))
    await chief.tap(t._("Done ➡️"))
    await chief.send("ftp://nowhere")
    assert chief.texts()[-2] == t._("«{value}» is not an http(s) address.").format(
        value="ftp://nowhere"
    )
    assert bot.services.catalog.center("taraz-novyi-tsentr-taraza") is None  # not yet
    await chief.tap(t._("I phoned them"))
    assert t._("Id: {id}").format(id="taraz-novyi-tsentr-taraza") in chief.texts()[-1]
    await chief.tap(t._("✅ Create"))
    center = await bot.services.full_center("taraz-novyi-tsentr-taraza")
    assert center is not None
    assert (center.place, center.region, center.needs) == ("taraz", "zhambyl", ("legal",))
    assert center.provenance.verified_how == "phoned"
    assert center.provenance.verified_by == f"Telegram admin {ADMIN_ID}"
    mother = await search_taraz(bot, 5121, lang)
    assert center.name.get(lang) in results(mother).plain_text

    await chief.send("/history taraz-novyi-tsentr-taraza")
    assert t._("New entry") in chief.last_bot_message().plain_text
    await chief.send("/undo taraz-novyi-tsentr-taraza")
    assert bot.services.catalog.center("taraz-novyi-tsentr-taraza") is None
    assert not rows(bot, "SELECT id FROM catalog_entries WHERE id = 'taraz-novyi-tsentr-taraza'")


async def add_up_to_sources(chief: TelegramUser, t: Translator) -> None:
    """/add answered up to its sources question: a non-state legal center in Taraz."""
    await chief.send("/add")
    for answer in (
        "Тараз жаңа орталығы",
        "Новый центр Тараза",
        "Заң кеңесі.",
        "Юридические консультации.",
    ):
        await chief.send(answer)
    await chief.tap(t._("Not state"))
    await chief.send("Тараз")
    await chief.tap(t._(NEED_SHORT[Need.LEGAL]))
    await chief.tap(t._("Done ➡️"))


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_add_from_a_public_page_asks_the_year_it_was_published(
    bot: RunningBot, lang: str
) -> None:
    """An entry added from a page the admin just read is dated by that page's year, so its
    card does not warn of an undated source."""
    t = tr(lang)
    center_id = "taraz-novyi-tsentr-taraza"
    chief = admin(bot, lang)
    await add_up_to_sources(chief, t)
    await chief.send("https://example.kz/new-center")
    year_question = t._(QUESTIONS[Question.SOURCE_YEAR])
    assert year_question in chief.texts()[-1]
    assert t._("Unknown") in chief.last_bot_message().buttons
    this_year = str(date.today().year)
    for bad in ("1850", str(date.today().year + 1), "next year"):
        await chief.send(bad)
        assert chief.texts()[-2] == refused(lang, Err.NUMBER, low="1990", high=this_year)
        assert year_question in chief.texts()[-1]
    await chief.send("2024")
    summary = chief.texts()[-1]
    assert t._("The newest source was published: {year}").format(year="2024") in summary
    await chief.tap(t._("✅ Create"))
    center = await bot.services.full_center(center_id)
    assert center is not None
    assert center.provenance.source_urls == ("https://example.kz/new-center",)
    assert (center.provenance.verified_how, center.provenance.newest_source) == ("desk", 2024)
    card = card_of(results(await search_taraz(bot, 5122, lang)).plain_text, center.name.get(lang))
    assert t._("From public sources of {year}: call before you go.").format(year=2024) in card
    undated = t._("From public sources of an unknown date: call before you go.")
    assert undated not in card

    # /set takes the year too; "unknown" is said as such, and a year out of range is refused.
    await chief.send(f"/set {center_id} newest_source 1850")
    assert chief.last_bot_message().plain_text == refused(
        lang, Err.NUMBER, low="1990", high=this_year
    )
    await chief.send(f"/set {center_id} newest_source unknown")
    changed = await bot.services.full_center(center_id)
    assert changed is not None and changed.provenance.newest_source == "unknown"
    card = card_of(results(await search_taraz(bot, 5123, lang)).plain_text, center.name.get(lang))
    assert undated in card
    await chief.send(f"/set {center_id} newest_source 2025")
    changed = await bot.services.full_center(center_id)
    assert changed is not None and changed.provenance.newest_source == 2025


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_add_after_a_phone_call_asks_no_year(bot: RunningBot, lang: str) -> None:
    t = tr(lang)
    chief = admin(bot, lang)
    await add_up_to_sources(chief, t)
    await chief.tap(t._("I phoned them"))
    assert t._(QUESTIONS[Question.SOURCE_YEAR]) not in "\n".join(chief.texts())
    assert t._(QUESTIONS[Question.CONFIRM]) in chief.texts()[-1]
    await chief.tap(t._("✅ Create"))
    center = await bot.services.full_center("taraz-novyi-tsentr-taraza")
    assert center is not None and center.provenance.newest_source is None


async def test_stale_lists_unconfirmed_entries_most_shown_first(bot: RunningBot) -> None:
    t = tr("ru")
    for user_id in (5131, 5132):
        await search_taraz(bot, user_id, "ru")
    # Each card on the first page was shown twice; nothing names who saw it.
    assert (CENTER, 2) in rows(bot, "SELECT center_id, shown FROM center_shown")
    assert [c[1] for c in rows(bot, "PRAGMA table_info(center_shown)")] == [
        "day",
        "center_id",
        "shown",
    ]
    chief = admin(bot, "ru")
    await chief.send("/stale")
    text = chief.last_bot_message().plain_text
    first = text.split("\n\n")[2]
    assert first.startswith("1. ")
    shown_twice = t.ngettext(
        "shown {count} time in {days} days", "shown {count} times in {days} days", 2
    ).format(count=2, days=30)
    assert shown_twice in first
    # Issue 16: desk entries whose newest source is old or undated come first, so the
    # first is a card of her page with such sources (the national Union), not the Taraz
    # center itself, whose newest source is from 2025.
    first_id = first.split("\n")[0].rsplit("(", 1)[1].rstrip(")")
    assert first_id != CENTER and first_id in text

    await chief.send(f"/verify {first_id} phoned")
    await chief.send("/stale")
    assert f"({first_id})" not in chief.last_bot_message().plain_text
    await chief.send("/stale soon")
    assert chief.last_bot_message().plain_text == t._("Write the number of days, e.g. /stale 90.")

    job = next(job for job in bot.app.job_queue.jobs() if job.name == "weekly_stale")
    mark = chief.mark()
    await job.run(bot.app)
    weekly = chief.since(mark)
    assert len(weekly) == 1
    assert weekly[0].plain_text.startswith(t._("This week's entries to confirm:"))
    listed = [line for line in weekly[0].plain_text.split("\n") if line[:2].rstrip(".").isdigit()]
    assert [line.split(".")[0] for line in listed] == ["1", "2", "3", "4", "5"]


async def test_admins_get_their_own_menu_in_their_language(bot: RunningBot) -> None:
    commands = bot.harness.server.commands
    scope = json.dumps({"chat_id": ADMIN_ID, "type": "chat"}, sort_keys=True)
    menu = {c["command"]: c["description"] for c in commands[(scope, "")]}
    assert menu["edit"] == tr("ru")._("Change an entry field by field")  # the default language
    assert "start" in menu and "sos" in menu
    everyone = [c["command"] for key, listed in commands.items() if key[0] != scope for c in listed]
    assert everyone and "edit" not in everyone and "approve" not in everyone
    await admin(bot, "kk").send("/admin")
    menu = {c["command"]: c["description"] for c in commands[(scope, "")]}
    assert menu["edit"] == tr("kk")._("Change an entry field by field")
    assert rows(bot, "SELECT user_id, lang FROM admin_prefs") == [(ADMIN_ID, "kk")]


async def test_an_upload_is_recorded_in_the_history(bot: RunningBot) -> None:
    chief = admin(bot, "ru")
    await upload_new_hours(bot, chief)
    assert (await bot.services.full_center(CENTER)).hours == NEW_HOURS  # type: ignore[union-attr]
    await chief.send(f"/history {CENTER}")
    assert tr("ru")._("Data file upload") in chief.last_bot_message().plain_text
    await chief.send(f"/undo {CENTER}")
    assert (await bot.services.full_center(CENTER)).hours == ""  # type: ignore[union-attr]


async def test_a_long_history_is_paged_to_fit_telegram(bot: RunningBot) -> None:
    t = tr("kk")
    chief = admin(bot, "kk")
    for number in range(30):
        await chief.send(f"/set {CENTER} notes {number:02d} " + "ескерту " * 30)
    await chief.send(f"/history {CENTER}")
    first = chief.last_bot_message()
    assert len(first.plain_text) <= 4096
    pages = t._("Page {page} of {pages}")
    total = next(n for n in range(2, 20) if pages.format(page=1, pages=n) in first.plain_text)
    assert "29 ескерту" in first.plain_text and "00 ескерту" not in first.plain_text  # newest first
    await chief.tap(t._("Older ➡️"))
    second = chief.last_bot_message()
    assert second.message_id == first.message_id  # the same message, paged in place
    assert "29 ескерту" not in second.plain_text
    assert t._("⬅️ Newer") in second.buttons
    assert pages.format(page=2, pages=total) in second.plain_text
