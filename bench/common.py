"""Steps both benchmarks (`python -m bench` and its relay part) take the same way."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from tests.fake_telegram import FakeTelegramServer, TelegramUser


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def until(done: Callable[[], bool], seconds: float = 300) -> None:
    """Wait until `done()` (the bot may be busy with hundreds of others)."""
    async with asyncio.timeout(seconds):
        while not done():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


async def wait_for_button(user: TelegramUser, label: str) -> None:
    """Wait until the bot shows a button."""
    await until(lambda: any(label in m.buttons for m in user.bot_messages()))


def first_sends(server: FakeTelegramServer, says: Callable[[int, str], bool]) -> dict[int, float]:
    """From now on, the time the bot first sent each chat a message that `says` (chat id,
    text) is true of; the dict fills in as the bot sends."""
    answered: dict[int, float] = {}
    original = server._api_sendMessage

    def watch(params: dict[str, Any]) -> Any:
        result = original(params)
        chat = int(params.get("chat_id", 0))
        if chat not in answered and says(chat, str(params.get("text", ""))):
            answered[chat] = time.perf_counter()
        return result

    server._methods["sendmessage"] = watch
    return answered
