"""`kill -9` in the middle of her conversation: the next process continues where she was.

The bot runs as `python -m bot` in its own process, against the fake Bot API on loopback,
exactly as in production; the test kills it without warning and starts it again.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.fake_telegram import TelegramHarness, TelegramUser
from tests.journey import tr

STARTUP_SECONDS = 30


class BotProcess:
    """`python -m bot` as a child process, pointed at the fake Bot API."""

    def __init__(self, harness: TelegramHarness, database: Path) -> None:
        self.harness, self.database = harness, database
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "TELEGRAM_BOT_TOKEN": self.harness.token,
            "TELEGRAM_API_URL": self.harness.url,
            "DATABASE_PATH": str(self.database),
            "PTB_TIMEDELTA": "1",
        }
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=REPO, env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        # Ready once it polls for updates.
        async with asyncio.timeout(STARTUP_SECONDS):
            # The bot is another process: there is no event to wait on, only what it does.
            while not self.harness.server.calls_to("getUpdates"):  # noqa: ASYNC110
                await asyncio.sleep(0.05)

    async def kill(self) -> None:
        """SIGKILL: no shutdown hook runs, nothing is flushed on the way out."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()
        self.process = None
        self.harness.server.calls.clear()


async def act(user: TelegramUser, action: Callable[[], Awaitable[object]]) -> None:
    """Do something on the phone, then wait until the bot has answered and gone quiet."""
    before = len(user.bot_messages())
    await action()
    async with asyncio.timeout(10):
        while len(user.bot_messages()) == before:  # noqa: ASYNC110 - another process
            await asyncio.sleep(0.02)
        count = -1
        while count != len(user.bot_messages()):  # a reply can be several messages
            count = len(user.bot_messages())
            await asyncio.sleep(0.3)


@pytest.fixture
async def bot_process(tmp_path: Path) -> AsyncIterator[BotProcess]:
    async with TelegramHarness() as harness:
        process = BotProcess(harness, tmp_path / "bot.sqlite3")
        yield process
        if process.process is not None:
            await process.kill()


async def test_kill_9_mid_conversation_loses_nothing(bot_process: BotProcess) -> None:
    t = tr("kk")
    await bot_process.start()
    mother = bot_process.harness.user(7001, "Aigerim", "kk")
    await act(mother, lambda: mother.send("/start", wait=False))
    await act(mother, lambda: mother.tap("Қазақша", wait=False))
    await act(mother, lambda: mother.send("17", wait=False))
    assert mother.last_bot_message().plain_text == t._(
        "Are you pregnant, or how old is your child? Tap a button or type, "
        "for example: 3 months, 1.5 years."
    )
    await bot_process.kill()
    await bot_process.start()
    await act(mother, lambda: mother.tap(t._("I am pregnant"), wait=False))
    # She is asked where she is: her language, her age and her step all survived.
    assert (
        t._("Where are you now? Tap your city, choose a region, or type the name of the place.")
        in mother.texts()
    )
    await act(mother, lambda: mother.send("Шымкент", wait=False))
    assert mother.last_bot_message().plain_text == t._(
        "What do you need? Choose one or more, then tap “Done”."
    )
