"""The update processor: one user's updates in order, other users never held up by her, the
SOS lane beside her lock, the numbers before her lock, one commit per update."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from telegram import Chat, Message, Update, User

from bot.config import Settings
from bot.core.answers import Answers
from bot.core.codes import Language
from bot.core.session import Session
from bot.services import Services
from bot.storage import state
from bot.tg.context import SERVICES_KEY
from bot.tg.processor import UpdateProcessor
from bot.tg.turn import CURRENT, Lane, lane_of
from tests import db_rows


class FakeBot:
    """Records what the processor sends by itself (the numbers, before her turn)."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, str]] = []
        self.sent_one = asyncio.Event()

    async def send_message(self, chat_id: int, text: str, **_: Any) -> Any:
        self.sent.append((chat_id, text))
        self.sent_one.set()
        return SimpleNamespace(message_id=1000 + len(self.sent))


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    services = Services(Settings(token="1:x", database_path=tmp_path / "bot.sqlite3"))
    await services.database()
    yield services
    await services.close()


@pytest.fixture
def bot() -> FakeBot:
    return FakeBot()


@pytest.fixture
def processor(services: Services, bot: FakeBot) -> UpdateProcessor:
    return make_processor(services, bot)


def make_processor(services: Services, bot: FakeBot, **limits: int) -> UpdateProcessor:
    processor = UpdateProcessor(**limits)
    processor.application = SimpleNamespace(  # type: ignore[assignment]
        bot_data={SERVICES_KEY: services}, bot=bot
    )
    return processor


def _update(update_id: int, user_id: int, text: str = "x") -> Update:
    user = User(user_id, "M", is_bot=False, language_code="kk")
    chat = Chat(user_id, Chat.PRIVATE)
    message = Message(update_id, None, chat, from_user=user, text=text)  # type: ignore[arg-type]
    return Update(update_id, message=message)


async def test_a_flooding_user_does_not_hold_the_slots_others_need(
    services: Services, bot: FakeBot
) -> None:
    processor = make_processor(services, bot, max_concurrent_updates=4)
    release = asyncio.Event()
    order: list[str] = []

    async def flooder_work(n: int) -> None:
        await release.wait()  # her first update is slow: the rest of hers must queue
        order.append(f"a{n}")

    async def other_work() -> None:
        order.append("b")

    flood = [
        asyncio.create_task(processor.process_update(_update(n, 1), flooder_work(n)))
        for n in range(20)
    ]
    other = asyncio.create_task(processor.process_update(_update(100, 2), other_work()))
    async with asyncio.timeout(2):
        await other  # done although all of the flooder's updates are still waiting
    assert order == ["b"]
    release.set()
    await asyncio.gather(*flood)
    assert order == ["b", *(f"a{n}" for n in range(20))]  # hers, in the order they came


async def test_updates_of_one_user_never_overlap(processor: UpdateProcessor) -> None:
    running = 0
    most = 0

    async def work() -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0)
        running -= 1

    await asyncio.gather(*(processor.process_update(_update(n, 7), work()) for n in range(10)))
    assert most == 1
    assert processor._locks == {}  # no lock left behind for a user who is done


def test_lanes() -> None:
    assert lane_of(_update(1, 1, "/sos")) is Lane.SOS
    assert lane_of(_update(1, 1, "/sos@ana_komek_bot")) is Lane.SOS
    assert lane_of(_update(1, 1, "он меня бьёт")) is Lane.URGENT
    assert lane_of(_update(1, 1, "17")) is Lane.NORMAL
    assert lane_of(_update(1, 1, "/start")) is Lane.NORMAL


async def test_sos_does_not_wait_behind_her_own_updates(
    processor: UpdateProcessor, services: Services
) -> None:
    """/sos only reads: it runs beside her slow update instead of after it, and writes no
    conversation."""
    holding, release = asyncio.Event(), asyncio.Event()
    order: list[str] = []
    services.sessions[5] = Session(answers=Answers(language=Language.KK))

    async def slow() -> None:
        holding.set()
        await release.wait()
        order.append("slow")

    async def sos() -> None:
        turn = CURRENT.get()
        assert turn is not None and turn.read_only and turn.lane is Lane.SOS
        order.append("sos")

    slow_task = asyncio.create_task(processor.process_update(_update(1, 5), slow()))
    await holding.wait()  # her slow update holds her lock now
    async with asyncio.timeout(2):
        await processor.process_update(_update(2, 5, "/sos"), sos())
    assert order == ["sos"]
    db = await services.database()
    async with db.conn.execute("SELECT COUNT(*) FROM sessions") as cur:
        assert tuple(await cur.fetchone() or ()) == (0,)  # the SOS lane wrote no conversation
    release.set()
    await slow_task
    assert order == ["sos", "slow"]


async def test_words_of_danger_get_the_numbers_before_her_lock(
    processor: UpdateProcessor, bot: FakeBot
) -> None:
    """The numbers go out while her earlier update still holds her lock; the rest of the
    urgent update waits its turn, and knows the numbers were sent."""
    holding, release = asyncio.Event(), asyncio.Event()
    order: list[str] = []

    async def slow() -> None:
        holding.set()
        await release.wait()
        order.append("slow")

    async def urgent() -> None:
        turn = CURRENT.get()
        assert turn is not None and turn.sos_sent
        order.append("urgent")

    slow_task = asyncio.create_task(processor.process_update(_update(1, 6), slow()))
    await holding.wait()  # her lock is taken
    urgent_task = asyncio.create_task(processor.process_update(_update(2, 6, "помогите"), urgent()))
    async with asyncio.timeout(2):
        await bot.sent_one.wait()
    assert order == []  # the numbers are out, and neither handler has finished
    assert bot.sent[0][0] == 6 and "112" in bot.sent[0][1]
    release.set()
    await asyncio.gather(slow_task, urgent_task)
    assert order == ["slow", "urgent"]  # her updates still in the order they came
    assert len(bot.sent) == 1


async def test_one_commit_per_update_marks_it_handled_with_her_conversation(
    processor: UpdateProcessor, services: Services
) -> None:
    db = await services.database()
    update = _update(41, 8, "17")
    payload = json.dumps(update.to_dict())
    assert await state.store_updates(db, [(41, payload, "normal")], None) == [41]
    assert await db_rows.pending_count(db) == 1

    async def handler() -> None:
        turn = CURRENT.get()
        assert turn is not None
        turn.session = Session(answers=Answers(language=Language.KK, age=17))
        turn.message_ids.append(77)

    await processor.process_update(update, handler())
    assert await db_rows.pending_count(db) == 0
    async with db.conn.execute("SELECT payload, done FROM inbox WHERE update_id = 41") as cur:
        assert tuple(await cur.fetchone() or ()) == (None, 1)  # her words are gone with it
    async with db.conn.execute("SELECT data FROM sessions WHERE user_id = 8") as cur:
        row = await cur.fetchone()
    assert row is not None and Session.from_json(row[0]).answers.age == 17
    assert await state.chat_message_ids(db, 8) == [41, 77]  # her message and the reply
    # The same update again (Telegram re-sends it) is not stored a second time.
    assert await state.store_updates(db, [(41, payload, "normal")], None) == []


async def test_an_update_interrupted_by_a_stop_stays_in_the_inbox(
    processor: UpdateProcessor, services: Services
) -> None:
    """Stopped in the middle of an update (shutdown, or a crash): nothing of it is written,
    and it is still unhandled in the inbox, so the next start handles it."""
    db = await services.database()
    update = _update(51, 9, "17")
    await state.store_updates(db, [(51, "{}", "normal")], None)
    started = asyncio.Event()

    async def interrupted() -> None:
        turn = CURRENT.get()
        assert turn is not None
        turn.session = Session(answers=Answers(language=Language.RU, age=17))
        started.set()
        await asyncio.Event().wait()

    task = asyncio.create_task(processor.process_update(update, interrupted()))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await db_rows.pending_count(db) == 1
    assert [u.update_id for u in await state.unhandled_updates(db)] == [51]
    async with db.conn.execute("SELECT COUNT(*) FROM sessions") as cur:
        assert tuple(await cur.fetchone() or ()) == (0,)
