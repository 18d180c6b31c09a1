"""Live-line relay latency under load: a consultant's reply reaching the mother while
hundreds of other mothers are mid-journey, with Telegram's limits modelled.

The bot runs as its own process (`python -m bot`, one consultant in STAFF_IDS) against the
fake Bot API. Probe mothers open cases with /talk, the consultant takes each one, each mother
writes once; then, while `mothers` others go through their journeys, the consultant answers
every probe by replying to her message. The time is from the consultant's reply reaching the
fake API to the bot's sendMessage into the mother's chat.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import first_sends, percentile, until, wait_for_button
from bot.core.codes import Language
from bot.i18n import translator
from tests.fake_telegram import ChatMessage, FloodLimits, TelegramHarness, TelegramUser

REPO = Path(__file__).resolve().parent.parent
CONSULTANT_ID = 1


def _start_bot(harness: TelegramHarness, database: Path) -> subprocess.Popen[bytes]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "TELEGRAM_BOT_TOKEN": harness.token,
        "TELEGRAM_API_URL": harness.url,
        "DATABASE_PATH": str(database),
        "STAFF_IDS": str(CONSULTANT_ID),
        "PTB_TIMEDELTA": "1",
        "LOG_LEVEL": "ERROR",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "bot"], cwd=REPO, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


async def _journey(user: TelegramUser, pause: float) -> None:
    """/start and five taps to the results, `pause` seconds apart (a person reading)."""
    t = translator(Language.RU)
    await user.send("/start", wait=False)
    for label in ["17", t._("Under 6 months"), "Алматы", t._("A place to live now"),
                  t._("Done ➡️")]:  # fmt: skip
        await asyncio.sleep(pause)
        await wait_for_button(user, label)
        await user.tap(label, wait=False)


async def relay_under_load(
    mothers: int, probes: int, folder: Path, pace: float = 1.0
) -> dict[str, Any]:
    """p50/p99 of a consultant's reply reaching the mother, `mothers` mid-journey (a step
    every 2 s times `pace`)."""
    t = translator(Language.RU)
    async with TelegramHarness() as harness:
        server = harness.server
        server.limits = FloodLimits()
        answered = first_sends(server, lambda chat, text: f"reply {chat}" in text)
        process = _start_bot(harness, folder / "relay.sqlite3")
        try:
            await until(lambda: bool(server.calls_to("getUpdates")), 60)
            consultant = harness.user(CONSULTANT_ID, "Consultant", "ru")
            await consultant.send("/duty", wait=False)
            await until(lambda: len(consultant.bot_messages()) >= 1)
            await consultant.send("Айгуль", wait=False)
            await until(lambda: len(consultant.bot_messages()) >= 2)
            probe_users = [harness.user(700_000 + n, "Probe", "ru") for n in range(probes)]
            take = t._("✋ Take")
            for user in probe_users:
                await user.send("/talk", wait=False)
                await until(lambda: any(take in m.buttons for m in consultant.bot_messages()))
                offer = next(m for m in consultant.bot_messages() if take in m.buttons)
                await consultant.tap_in(offer, take, wait=False)
                await until(lambda: not any(take in m.buttons for m in consultant.bot_messages()))
                await user.send(f"hello {user.id}", wait=False)
                await asyncio.sleep(1.5)  # one consultant's chat takes about a message a second
            hers: dict[int, ChatMessage] = {}

            def all_arrived() -> bool:
                for message in consultant.bot_messages():
                    for user in probe_users:
                        if message.plain_text.endswith(f"hello {user.id}"):
                            hers[user.id] = message
                return len(hers) == len(probe_users)

            await until(all_arrived)
            load_users = [harness.user(100_000 + n, "Mother", "ru") for n in range(mothers)]
            load = asyncio.gather(*(_journey(u, 2.0 * pace) for u in load_users))
            await asyncio.sleep(1.0 * pace)
            sent: dict[int, float] = {}
            for user in probe_users:
                sent[user.id] = time.perf_counter()
                await consultant.send(f"reply {user.id}", reply_to=hers[user.id], wait=False)
                await asyncio.sleep(0.2)
            await load
            await until(lambda: all(u in answered for u in sent), 120)
            latencies = [answered[u] - sent[u] for u in sent]
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
    return {
        "mothers": mothers, "relay_probes": probes,
        "relay_p50_s": statistics.median(latencies), "relay_p99_s": percentile(latencies, 0.99),
        "flood_errors": len(server.flood_errors),
    }  # fmt: skip


def print_relay(relay: dict[str, Any]) -> None:
    print(
        f"| live line: consultant's reply reaching her p50 / p99, {relay['mothers']} mothers "
        f"mid-journey | {relay['relay_p50_s']:.2f} s / {relay['relay_p99_s']:.2f} s |",
        flush=True,
    )
