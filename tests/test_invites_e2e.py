"""Centers confirm their own entries: a one-time link from /invite, the coordinator's screens,
and nothing published before an admin's /approve. The link works once and expires."""

from __future__ import annotations

import re

import pytest

from bot.catalog.changes import Field
from bot.core import clock
from bot.tg.adminkit import FIELD_LABELS
from tests.care_steps import (
    CENTER,
    admin,
    card_of,
    replies,
    results,
    rows,
    search_taraz,
    stored_doc,
    today,
    tr,
)
from tests.conftest import ADMIN_ID, RunningBot
from tests.fake_telegram import BOT_USERNAME, TelegramUser

_LINK = re.compile(rf"https://t\.me/{BOT_USERNAME}\?start=(c_[A-Za-z0-9_-]+)")


async def _invite(chief: TelegramUser) -> str:
    await chief.send(f"/invite {CENTER}")
    found = _LINK.search(chief.last_bot_message().plain_text)
    assert found is not None, chief.last_bot_message().plain_text
    payload = found.group(1)
    assert len(payload) <= 64 and re.fullmatch(r"[A-Za-z0-9_-]{1,64}", payload)
    return payload


async def _plain_start(bot: RunningBot, user_id: int, lang: str) -> list[tuple[str, list[str]]]:
    """What an ordinary /start shows someone new."""
    someone = bot.user(user_id, "Someone", language_code=lang)
    mark = someone.mark()
    await someone.send("/start")
    return replies(someone, mark)


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_center_corrects_its_entry_and_an_admin_approves(
    bot: RunningBot, lang: str
) -> None:
    t = tr(lang)
    chief = admin(bot, lang)
    payload = await _invite(chief)
    # Only the token's hash is kept: a copy of the database holds no working link.
    assert all(
        payload[2:] not in str(value)
        for row in rows(bot, "SELECT * FROM center_invites")
        for value in row
    )
    name = bot.services.catalog.center(CENTER).name.get(lang)  # type: ignore[union-attr]
    before = stored_doc(bot)

    coordinator = bot.user(7001, "Coordinator", language_code=lang)
    await coordinator.send(f"/start {payload}")
    entry = coordinator.last_bot_message()
    assert name in entry.plain_text
    assert entry.buttons == [t._("✅ All correct"), t._("✏️ Correct it")]
    await coordinator.tap(t._("✏️ Correct it"))
    await coordinator.tap(t._(FIELD_LABELS[Field.PHONES]))
    await coordinator.send("+7 717 200 00")  # a digit short
    assert coordinator.texts()[-1] == t._("Send it again, or tap another field.")
    await coordinator.send("+7 717 200 00 00")
    await coordinator.tap(t._(FIELD_LABELS[Field.HOURS]))
    await coordinator.send("Пн–Пт 9:00–18:00")
    await coordinator.tap(t._("📨 Send"))
    assert coordinator.texts()[-1] == t._(
        "Thank you! An admin will look at it soon; then the card will say that your "
        "organisation confirmed it."
    )
    assert name in chief.last_bot_message().plain_text and "/approve" in chief.texts()[-1]
    assert stored_doc(bot) == before  # nothing is published before an admin approves
    assert name in results(await search_taraz(bot, 7002, lang)).plain_text
    assert "+77172000000" not in results(await search_taraz(bot, 7003, lang)).plain_text

    await chief.send("/approve")
    proposal = chief.last_bot_message()
    # The value as the card will show it once approved, whole (issue 20.4).
    assert "+77172000000" in proposal.plain_text
    await chief.tap(t._("✅ Approve"))
    center = await bot.services.full_center(CENTER)
    assert center is not None
    assert [p.number for p in center.phones] == ["+77172000000"]
    assert center.hours == "Пн–Пт 9:00–18:00"
    assert center.provenance.verified_how == "center"
    card = card_of(results(await search_taraz(bot, 7004, lang)).plain_text, name)
    assert "+77172000000" in card
    assert t._("Confirmed by the center itself on {date}.").format(date=today()) in card
    await chief.send(f"/history {CENTER}")
    assert f"center via invite, approved by Telegram admin {ADMIN_ID}" in chief.texts()[-1]
    assert rows(bot, "SELECT COUNT(*) FROM center_proposals") == [(0,)]


async def test_all_correct_waits_for_approval_then_redates_the_entry(bot: RunningBot) -> None:
    t = tr("kk")
    chief = admin(bot, "kk")
    coordinator = bot.user(7011, "Coordinator", language_code="kk")
    await coordinator.send(f"/start {await _invite(chief)}")
    await coordinator.tap(t._("✅ All correct"))
    assert bot.services.catalog.center(CENTER).provenance.verified_how == "desk"  # type: ignore[union-attr]
    await chief.send("/approve")
    assert t._("The center says everything is correct.") in chief.texts()[-1]
    await chief.send("/approve 1")
    center = await bot.services.full_center(CENTER)
    assert center is not None and center.provenance.verified_how == "center"
    assert center.phones == ()  # re-dated only


async def test_a_rejected_correction_changes_nothing(bot: RunningBot) -> None:
    t = tr("ru")
    chief = admin(bot, "ru")
    before = stored_doc(bot)
    coordinator = bot.user(7021, "Coordinator", language_code="ru")
    await coordinator.send(f"/start {await _invite(chief)}")
    await coordinator.tap(t._("✏️ Correct it"))
    await coordinator.tap(t._(FIELD_LABELS[Field.STATUS]))
    # Chosen with a button: no "Example:" of something to type.
    asked = coordinator.last_bot_message().plain_text
    assert asked.endswith(t._("Tap one of the buttons below.")) and "Например" not in asked
    await coordinator.tap(t._("Closed"))
    await coordinator.tap(t._("📨 Send"))
    await chief.send("/approve")
    await chief.tap(t._("✖️ Reject"))
    assert chief.texts()[-1] == t._("Rejected #{number}; nothing changed.").format(number=1)
    assert stored_doc(bot) == before
    assert rows(bot, "SELECT COUNT(*) FROM center_proposals") == [(0,)]


async def test_an_invite_works_once_and_expires(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    t = tr("ru")
    chief = admin(bot, "ru")
    plain = await _plain_start(bot, 7100, "ru")
    payload = await _invite(chief)
    first = bot.user(7101, "Coordinator", language_code="ru")
    await first.send(f"/start {payload}")
    assert t._("✅ All correct") in first.last_bot_message().buttons
    # Used once: for the next person it is an ordinary /start.
    second = bot.user(7102, "Someone", language_code="ru")
    mark = second.mark()
    await second.send(f"/start {payload}")
    assert replies(second, mark) == plain

    # Expired after 14 days; a day before, it still works.
    early, late = await _invite(chief), await _invite(chief)
    real_now = clock.now
    monkeypatch.setattr(clock, "now", lambda: real_now() + 13 * 86400)
    on_time = bot.user(7103, "Coordinator", language_code="ru")
    await on_time.send(f"/start {early}")
    assert t._("✅ All correct") in on_time.last_bot_message().buttons
    monkeypatch.setattr(clock, "now", lambda: real_now() + 15 * 86400)
    too_late = bot.user(7104, "Someone", language_code="ru")
    mark = too_late.mark()
    await too_late.send(f"/start {late}")
    assert replies(too_late, mark) == plain
    # A made-up link is an ordinary /start too.
    guess = bot.user(7105, "Someone", language_code="ru")
    mark = guess.mark()
    await guess.send("/start c_" + "A" * 32)
    assert replies(guess, mark) == plain

    # The link grants nothing else, and not for long: an hour later its buttons do nothing.
    monkeypatch.setattr(clock, "now", lambda: real_now() + 2 * 3600)
    await first.tap(t._("✅ All correct"))
    assert first.answers()[-1].text == t._("This link's time is over. Ask for a new link.")
    assert rows(bot, "SELECT COUNT(*) FROM center_proposals") == [(0,)]
    stranger = bot.user(7106, "Someone", language_code="ru")
    mark = stranger.mark()
    await stranger.send("/nosuchcommand")
    unknown = replies(stranger, mark)
    mark = first.mark()
    await first.send("/edit " + CENTER)
    assert replies(first, mark) == unknown
