"""Nothing lost, nobody stalled: unreadable updates, failed sends, flood limits, SOS first,
and nothing of hers left in the database file or its WAL after her data is deleted."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any

import pytest
from telegram.error import NetworkError, RetryAfter

from bot.tg.ratelimit import LaneRateLimiter
from bot.tg.turn import LANE, Lane
from bot.usecases.purge import purge_expired
from tests import db_rows
from tests.conftest import RunningBot
from tests.journey import tr

# An id whose digits and whose binary form are easy to find in a file.
HER_ID = 4_398_046_511_104 + 12345


def _file_bytes(db_path: Path) -> bytes:
    data = db_path.read_bytes()
    wal = db_path.with_name(db_path.name + "-wal")
    return data + (wal.read_bytes() if wal.exists() else b"")


def _traces_of(user_id: int, db_path: Path) -> list[str]:
    """Where her id can be found in the database file or its WAL (as text or as an integer)."""
    raw = _file_bytes(db_path)
    found = []
    if str(user_id).encode() in raw:
        found.append("digits")
    if user_id.to_bytes(6, "big") in raw:
        found.append("integer")
    return found


async def test_an_update_that_cannot_be_read_is_skipped_once_and_blocks_nobody(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    # A poll update without the fields python-telegram-bot requires.
    bad = bot.harness.server.push_raw_update({"poll": {"id": "p1", "question": "secret words"}})
    mother = bot.user(701, "Aigerim", "kk")
    await mother.send("/start")
    assert mother.last_bot_message().buttons, "the next update is answered"
    skipped = [r for r in caplog.records if f"update {bad}" in r.getMessage()]
    assert len(skipped) == 1
    assert "poll" in skipped[0].getMessage()
    assert all("secret words" not in r.getMessage() for r in caplog.records)
    db = await bot.services.database()
    assert await db_rows.pending_count(db) == 0


async def test_a_send_that_fails_with_500_or_a_reset_is_tried_again(bot: RunningBot) -> None:
    mother = bot.user(702, "Mother", "ru")
    await mother.send("/start")
    server = bot.harness.server
    server.inject_fault("editMessageText", "500", times=2)
    await mother.tap("17")
    assert "17" in mother.last_bot_message().plain_text
    server.inject_fault("editMessageText", "reset")
    await mother.tap(tr("ru")._("I am pregnant"))
    fired = [f.kind for f in server.injected]
    assert fired == ["500", "500", "reset"]
    # The tap went through: the place question (pregnancy is never on the head line).
    third = tr("ru")._("Ana Komek · question {number} of {total}").format(number=3, total=4)
    assert third in mother.last_bot_message().plain_text


@pytest.mark.parametrize("how", ["/cancel", "/forget", "/clear", "blocked"])
async def test_nothing_of_hers_stays_in_the_file_or_the_wal(bot: RunningBot, how: str) -> None:
    mother = bot.user(HER_ID, "Mother", "ru")
    await mother.send("/start")
    await mother.send("17")
    db_path = bot.settings.database_path
    assert _traces_of(HER_ID, db_path), "the test must see her before"
    if how == "blocked":
        server = bot.harness.server
        chat = mother.chat_state.to_api()
        member = {"user": server.bot_user, "status": "kicked", "until_date": 0}
        old = {"user": server.bot_user, "status": "member"}
        server.push_update(
            "my_chat_member",
            {"chat": chat, "from": mother.to_api(), "date": int(time.time()),
             "old_chat_member": old, "new_chat_member": member},
        )  # fmt: skip
        await bot.harness.settle()
    else:
        await mother.send(how)
    db = await bot.services.database()
    await purge_expired(bot.services)  # handled inbox rows: content gone
    traces = _traces_of(HER_ID, db_path)
    if how == "/cancel":
        # /cancel drops her answers; the ids of her messages stay for /clear (48 hours),
        # as /privacy says: her id is there as a number, never in a stored update.
        assert "digits" not in traces
        assert await db_rows.rows_about_user(db, HER_ID) > 0
    else:
        assert traces == []
        assert await db_rows.rows_about_user(db, HER_ID) == 0


async def test_sos_goes_before_everyone_waiting_to_send() -> None:
    limiter = LaneRateLimiter(per_second=20.0, burst=1)
    order: list[str] = []

    async def send(name: str, lane: Lane) -> None:
        LANE.set(lane)

        async def call() -> bool:
            order.append(name)
            return True

        await limiter.process_request(call, (), {}, "sendMessage", {"chat_id": 1}, None)

    normal = [asyncio.create_task(send(f"n{i}", Lane.NORMAL)) for i in range(10)]
    await asyncio.sleep(0.01)
    urgent = asyncio.create_task(send("sos", Lane.SOS))
    await asyncio.gather(*normal, urgent)
    await limiter.shutdown()
    assert order.index("sos") <= 2, order
    assert order[-1].startswith("n")


async def test_a_flood_error_pauses_only_that_chat() -> None:
    limiter = LaneRateLimiter(per_second=1000.0, burst=100)
    LANE.set(Lane.NORMAL)
    calls: list[int] = []
    failed = {"once": False}

    async def call_for(chat: int) -> bool:
        if chat == 1 and not failed["once"]:
            failed["once"] = True
            raise RetryAfter(1)
        calls.append(chat)
        return True

    started = time.monotonic()
    flooded = asyncio.create_task(
        limiter.process_request(call_for, (1,), {}, "sendMessage", {"chat_id": 1}, None)
    )
    await asyncio.sleep(0.01)
    await limiter.process_request(call_for, (2,), {}, "sendMessage", {"chat_id": 2}, None)
    other_done = time.monotonic() - started
    await flooded
    flooded_done = time.monotonic() - started
    await limiter.shutdown()
    assert calls == [2, 1]
    assert other_done < 0.5 <= 1.0 <= flooded_done < 2.0


async def test_network_errors_are_retried_a_bounded_number_of_times() -> None:
    limiter = LaneRateLimiter(max_retries=2, retry_base_seconds=0.01)
    attempts = {"n": 0}

    async def always_down() -> bool:
        attempts["n"] += 1
        raise NetworkError("connection reset")

    with pytest.raises(NetworkError):
        await limiter.process_request(always_down, (), {}, "sendMessage", {"chat_id": 3}, None)
    await limiter.shutdown()
    assert attempts["n"] == 3


async def test_a_center_gone_from_the_database_mid_search_is_left_out_not_an_error(
    bot: RunningBot,
) -> None:
    """An admin's change lands between her search and the read of its cards."""
    mother = bot.user(703, "Mother", "ru")
    await mother.send("/start")
    t = tr("ru")
    for label in ("17", t._("Under 6 months"), "Алматы", t._("A place to live now"),
                  t._("Done ➡️")):  # fmt: skip
        await mother.tap(label)
    first = mother.last_bot_message().plain_text
    gone = bot.services.catalog.center("ana-uyi-almaty")
    assert gone is not None and gone.name.get("ru") in first
    db = await bot.services.database()
    async with db.transaction() as conn:
        await conn.execute("DELETE FROM catalog_entries WHERE id = 'ana-uyi-almaty'")
    bot.services._full.clear()  # its whole entry is no longer at hand either
    await mother.send("что-нибудь")  # her results come again, with a hint
    again = mother.last_bot_message().plain_text
    assert gone.name.get("ru") not in again
    assert t._("Phone lines for all of Kazakhstan:") in again


def _message(user_id: int, **fields: object) -> dict[str, object]:
    person = {"id": user_id, "is_bot": False, "first_name": "M"}
    return {
        "message_id": 1, "date": int(time.time()),
        "chat": {"id": user_id, "type": "private", "first_name": "M"}, "from": person,
    } | fields  # fmt: skip


MALFORMED: dict[str, dict[str, Any]] = {
    "text a number": {"message": _message(4101, text=17)},
    "text a dict": {"message": _message(4102, text={"secret": "words"})},
    "text a list": {"message": _message(4103, text=["secret words"])},
    "caption a number": {"message": _message(4104, caption=5)},
    "edited text a number": {"edited_message": _message(4105, text=3)},
    "user id a string": {
        "message": _message(4106, text="secret words")
        | {"from": {"id": "abc", "is_bot": False, "first_name": "M"}}
    },
    "message id a string": {"message": _message(4107, text="hi", message_id="x")},
    "callback data a number": {
        "callback_query": {
            "id": "q1",
            "chat_instance": "c",
            "data": 12,
            "from": {"id": 4108, "is_bot": False, "first_name": "M"},
        }
    },
    "inline query a number": {
        "inline_query": {
            "id": "i1",
            "query": 12,
            "offset": "",
            "from": {"id": 4109, "is_bot": False, "first_name": "M"},
        }
    },
    "message a string": {"message": "secret words"},
}


@pytest.mark.parametrize("shape", list(MALFORMED))
async def test_a_malformed_update_is_skipped_and_polling_goes_on(
    bot: RunningBot, shape: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 20: one update of a wrong shape (Telegram never sends one, but one bad byte
    must not stop the bot) is skipped, logged once without her words; the batch it came in
    and every update after it are handled: another mother's /sos is answered."""
    caplog.set_level(logging.ERROR)
    bad = bot.harness.server.push_raw_update(MALFORMED[shape])
    other = bot.user(4199, "Other", "kk")
    await other.send("/sos")
    assert other.last_bot_message().plain_text.startswith(tr("kk")._("📞 Useful numbers"))
    skipped = [r for r in caplog.records if f"update {bad} " in r.getMessage()]
    assert len(skipped) == 1, [r.getMessage() for r in caplog.records]
    assert all("secret" not in r.getMessage() for r in caplog.records)
    assert await db_rows.pending_count(await bot.services.database()) == 0
    # And the next fetch too.
    await other.send("/sos")
    assert len(other.bot_messages()) == 2


async def test_text_with_a_lone_surrogate_is_stored_and_answered(bot: RunningBot) -> None:
    """Issue 20: "x \\ud800 17" cannot be encoded as UTF-8, so it could not be stored (and
    stopped polling). What can be kept is kept: the bad character becomes "?" and she is
    answered like anyone; another mother's /sos in the same batch is answered too."""
    server = bot.harness.server
    mother = bot.user(4201, "Mother", "ru")
    await mother.send("/start")
    server.push_raw_update({"message": _message(4201, text="x \ud800 17", message_id=50)})
    other = bot.user(4202, "Other", "ru")
    await other.send("/sos")
    assert other.last_bot_message().plain_text.startswith(tr("ru")._("📞 Useful numbers"))
    assert len(mother.bot_messages()) >= 2, "her message was answered too"
    assert await db_rows.pending_count(await bot.services.database()) == 0
