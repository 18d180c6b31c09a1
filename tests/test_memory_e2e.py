"""Nothing kept per person outlives what it is for: after many different mothers' updates
are handled, none of the per-user structures of the running bot still holds them (a bot
that runs for months must not grow with everyone it ever answered)."""

from __future__ import annotations

import asyncio
import datetime as dtm
from typing import Any

from telegram.error import RetryAfter

from bot.tg.processor import UpdateProcessor
from bot.tg.ratelimit import LaneRateLimiter
from bot.tg.turn import LANE, Lane
from tests.conftest import RunningBot
from tests.journey import tr

MOTHERS = 12
FIRST_ID = 7_000_000


async def test_many_mothers_leave_nothing_per_user_behind(bot: RunningBot) -> None:
    t = tr("ru")
    mothers = [bot.user(FIRST_ID + n) for n in range(MOTHERS)]

    async def journey(number: int) -> None:
        mother = mothers[number]
        await mother.send("/start")
        await mother.send("17")
        await mother.tap(t._("Under 6 months"))
        if number % 2:  # half of them end it; the others leave it open
            await mother.send("/forget")

    await asyncio.gather(*(journey(n) for n in range(MOTHERS)))
    ids = {m.id for m in mothers}
    assert all(m.bot_messages() for m in mothers)  # every one was answered
    app: Any = bot.app
    # PTB's per-user and per-chat stores: this bot keeps nothing there, and PTB's ids marked
    # for a persistence the bot does not have are not gathered either.
    assert ids.isdisjoint(app.user_data) and ids.isdisjoint(app.chat_data)
    assert ids.isdisjoint(app._user_ids_to_be_updated_in_persistence)
    assert ids.isdisjoint(app._chat_ids_to_be_updated_in_persistence)
    processor = app.update_processor
    assert isinstance(processor, UpdateProcessor)
    assert ids.isdisjoint(processor._locks) and ids.isdisjoint(processor._waiting)
    assert ids.isdisjoint(processor.sos_flights._flights)
    assert not processor._began and not processor._marked
    services = bot.services
    assert ids.isdisjoint(services.waiting)
    # Open conversations are kept (bounded by SESSIONS_IN_MEMORY); ended ones are not.
    ended = {m.id for n, m in enumerate(mothers) if n % 2}
    assert all(services.sessions.get(user) is None for user in ended)
    assert not any(services.sessions.may_be_stored(user) for user in ended)
    assert all(services.sessions.get(user) is not None for user in ids - ended)


async def test_pauses_that_are_over_are_not_kept_for_chats_that_never_send_again() -> None:
    limiter = LaneRateLimiter(per_second=1000.0, burst=100)
    LANE.set(Lane.NORMAL)
    flooded: set[int] = set()

    async def call_for(chat: int) -> bool:
        if chat not in flooded:
            flooded.add(chat)
            raise RetryAfter(dtm.timedelta(milliseconds=20))
        return True

    for chat in range(1, 6):
        await limiter.process_request(call_for, (chat,), {}, "sendMessage", {"chat_id": chat}, None)
        await asyncio.sleep(0.2)  # her pause is over; she never writes again
    await limiter.shutdown()
    assert flooded == {1, 2, 3, 4, 5}
    # Only the newest pause (not yet looked at again) may still be there.
    assert set(limiter._paused) <= {5}
