"""Reports from anyone: «⚠️ Report a mistake» under the results reaches the admins with the
center and the reason, and nothing about who sent it; her words go when it is resolved."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import pytest

from bot import logs
from bot.core.codes import ReportReason as Reason
from bot.tg.adminkit import short
from bot.tg.reports import REASON_BUTTONS, REASON_TEXT
from tests.care_steps import CENTER, admin, replies, results, rows, search_taraz, tr
from tests.conftest import ADMIN_ID, RunningBot


def _file_bytes(path: Path) -> bytes:
    """The database file and its WAL, as a thief would read them."""
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


async def _report_first_card(bot: RunningBot, user_id: int, lang: str, name: str) -> tuple:  # type: ignore[type-arg]
    t = tr(lang)
    mother = await search_taraz(bot, user_id, lang, name=name)
    center = bot.services.catalog.center(CENTER)
    assert center is not None
    screen = results(mother)
    await mother.tap(t._("⚠️ Report a mistake"))
    card_button = f"1. {short(center.name.get(lang), 40)}"
    assert screen.buttons[0] == card_button  # the same message, edited in place
    await mother.tap(card_button)
    return mother, center.name.get(lang)


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_report_reaches_the_admins_without_who_sent_it(bot: RunningBot, lang: str) -> None:
    t = tr(lang)
    chief = admin(bot, lang)
    await chief.send("/admin")
    her_id, her_name = 5201, "Айгерим Секретова"
    mother, name = await _report_first_card(bot, her_id, lang, her_name)
    # The question names the card once, without quotes around a name that has its own.
    asked = t._("What is wrong on the card {name}?").format(name=f"1. {name}")
    assert mother.last_bot_message().plain_text.split("\n")[-1] == asked
    assert "«1." not in asked
    mark = mother.mark()
    await mother.tap(t._(REASON_BUTTONS[Reason.NO_ANSWER]))
    after = mother.since(mark)
    assert after[0].plain_text == t._("Thank you. We will check it.")
    assert name in after[1].plain_text and t._("⚠️ Report a mistake") in after[1].buttons

    note = chief.last_bot_message().plain_text
    assert name in note and CENTER in note and t._(REASON_TEXT[Reason.NO_ANSWER]) in note
    to_admins = [
        c.params["text"]
        for c in bot.harness.server.calls
        if c.method == "sendMessage" and int(c.params["chat_id"]) == ADMIN_ID
    ]
    for text in to_admins:
        assert str(her_id) not in text and "Айгерим" not in text and "Секретова" not in text
    stored = rows(bot, "SELECT * FROM reports")
    assert stored == [(1, CENTER, "no_answer", "", date.today().isoformat())]
    assert [c[1] for c in rows(bot, "PRAGMA table_info(reports)")] == [
        "id",
        "center_id",
        "reason",
        "text",
        "day",
    ]
    assert all(str(her_id) not in str(v) and "Айгерим" not in str(v) for v in stored[0])

    await chief.send("/reports")
    listed = chief.last_bot_message().plain_text
    assert (
        t._("#{number} · {age} · «{name}» ({id}): {reason}").format(
            number=1,
            age=t._("today"),
            name=name,
            id=CENTER,
            reason=t._(REASON_TEXT[Reason.NO_ANSWER]),
        )
        in listed
    )


async def test_her_words_are_kept_until_resolved_then_gone_from_the_file(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    logs.configure("DEBUG")
    caplog.set_level(logging.DEBUG)
    t = tr("ru")
    chief = admin(bot, "ru")
    await chief.send("/admin")
    mother, _ = await _report_first_card(bot, 5301, "ru", "Mother")
    await mother.tap(t._(REASON_BUTTONS[Reason.OTHER]))
    assert (
        t._("Please do not write your name or phone number.")
        in mother.last_bot_message().plain_text
    )
    words = "Там не берут трубку, звонила Секретовой 87001112233"
    mark = mother.mark()
    sent = await mother.send(words)
    assert replies(mother, mark)[0][0] == t._("Thank you. We will check it.")
    assert rows(bot, "SELECT text FROM reports") == [(words,)]
    assert all(
        words not in c.params.get("text", "")
        for c in bot.harness.server.calls
        if c.method == "sendMessage"
    )

    await chief.send("/reports")
    listed = chief.last_bot_message().plain_text
    assert words in listed and t._(REASON_TEXT[Reason.OTHER]) in listed
    assert "Секретовой".encode() in _file_bytes(bot.settings.database_path)  # kept till then
    await chief.send("/resolve 1")
    assert chief.last_bot_message().plain_text == t._(
        "Report #{number} is resolved and deleted."
    ).format(number=1)
    assert rows(bot, "SELECT COUNT(*) FROM reports") == [(0,)]
    assert "Секретовой".encode() not in _file_bytes(bot.settings.database_path)
    await chief.send("/resolve 1")
    assert chief.last_bot_message().plain_text == t._("There is no open report #{number}.").format(
        number=1
    )
    assert caplog.records
    assert "Секретовой" not in caplog.text and "87001112233" not in caplog.text

    # Her words are a message of hers like any other: /clear deletes it from the chat.
    assert sent in mother.chat
    await mother.send("/clear")
    assert all(words not in m.plain_text for m in mother.chat)


async def test_the_card_numbers_are_those_of_her_page(bot: RunningBot) -> None:
    t = tr("ru")
    mother = bot.user(5401, "Mother", language_code="ru")
    await mother.send("/start")
    await mother.tap("20")
    await mother.tap(t._("I am pregnant"))
    almaty = bot.services.catalog.place("almaty")
    assert almaty is not None
    await mother.tap(almaty.name.get("ru"))
    from bot.core.codes import Need
    from bot.render import NEED_LABELS

    await mother.tap(t._(NEED_LABELS[Need.SHELTER]))
    await mother.tap(t._("Done ➡️"))
    more = next(b for b in results(mother).buttons if b.startswith(t._("Show {count} more")[:5]))
    await mother.tap(more)
    await mother.tap(t._("⚠️ Report a mistake"))
    numbers = [b.split(".")[0] for b in mother.last_bot_message().buttons if b[:1].isdigit()]
    assert numbers and numbers[0] == "4"
    await mother.tap(next(b for b in mother.last_bot_message().buttons if b.startswith("4.")))
    await mother.tap(t._(REASON_BUTTONS[Reason.CLOSED]))
    stored = rows(bot, "SELECT center_id, reason FROM reports")
    assert len(stored) == 1 and stored[0][1] == "closed" and stored[0][0] != CENTER
    # Back from the report screens is her results again, in place.
    await mother.tap(t._("⚠️ Report a mistake"))
    await mother.tap(t._("⬅️ Back"))
    assert t._("⚠️ Report a mistake") in mother.last_bot_message().buttons
