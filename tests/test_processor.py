"""The update processor: one user's updates in order, other users never held up by her."""

from __future__ import annotations

import asyncio

from telegram import Chat, Message, Update, User

from bot.tg.processor import UpdateProcessor


def _update(update_id: int, user_id: int) -> Update:
    user = User(user_id, "M", is_bot=False)
    chat = Chat(user_id, Chat.PRIVATE)
    message = Message(update_id, None, chat, from_user=user, text="x")  # type: ignore[arg-type]
    return Update(update_id, message=message)


async def test_a_flooding_user_does_not_hold_the_slots_others_need() -> None:
    processor = UpdateProcessor(max_concurrent_updates=4)
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


async def test_updates_of_one_user_never_overlap() -> None:
    processor = UpdateProcessor()
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
