"""Issue 20.6 and 20.7: /stats cannot be flooded, and small faults found by attack.

- One user sending 120 `/start ru_almaty_<random>` once made staff and admin /stats fail
  ("message is too long") and added a row per made-up source.
- `/approve 99999999999999999999999` and `/resolve 9999…` raised OverflowError (an apology,
  then a second reply from her conversation).
- A forged `link:kk` button told anyone about the staff tool.
- A refused setWebhook and a port in use said "cannot reach the Bot API".
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import sqlite3
import sys
from pathlib import Path

import pytest

from bot.render import MAX_MESSAGE
from tests.care_steps import rows
from tests.conftest import ADMIN_ID, REPO, STAFF_ID, RunningBot
from tests.fake_telegram import TelegramHarness
from tests.journey import tr


async def test_made_up_sources_cannot_flood_stats(bot: RunningBot) -> None:
    attacker = bot.user(7101, "Someone", "ru")
    async with bot.harness.together():
        for _ in range(120):
            await attacker.send(f"/start ru_almaty_{secrets.token_hex(6)}")
    await bot.harness.settle()
    # No row per made-up source: all of them are counted as one "other".
    assert rows(bot, "SELECT source, started FROM referral_stats") == [("*", 120)]
    for user_id, lang in ((STAFF_ID, "ru"), (ADMIN_ID, "kk")):
        asker = bot.user(user_id, "Staff", lang)
        await asker.send("/stats")
        text = asker.last_bot_message().plain_text
        assert len(text) <= MAX_MESSAGE
        assert tr(lang)._("other links") + ": 120 / 0" in text
    assert bot.harness.server.api_errors == []


async def test_stats_fit_one_message_whatever_the_data(bot: RunningBot) -> None:
    """Many real sources (made with /link over time): the top ones, then how many more."""
    with sqlite3.connect(bot.settings.database_path) as conn:
        conn.executemany(
            "INSERT INTO referral_sources (source, created_at) VALUES (?, 0)",
            [(f"src{n}",) for n in range(300)],
        )
        conn.executemany(
            "INSERT INTO referral_stats (day, source, started, reached_results)"
            " VALUES (date('now'), ?, ?, 0)",
            [(f"src{n}", n + 1) for n in range(300)],
        )
    t = tr("ru")
    for user_id in (STAFF_ID, ADMIN_ID):
        asker = bot.user(user_id, "Staff", "ru")
        await asker.send("/stats")
        text = asker.last_bot_message().plain_text
        assert len(text) <= MAX_MESSAGE and "src299: 300 / 0" in text and "src0:" not in text
        assert t.ngettext("…and {count} more.", "…and {count} more.", 280).format(count=280) in text
    assert bot.harness.server.api_errors == []


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        ("/approve 99999999999999999999999", "Nothing waits under #{number}."),
        ("/approve #99999999999999999999999", "Nothing waits under #{number}."),
        ("/resolve 99999999999999999999999", "There is no open report #{number}."),
        ("/resolve 9223372036854775808", "There is no open report #{number}."),
    ],
)
async def test_huge_numbers_get_one_kind_line(bot: RunningBot, command: str, answer: str) -> None:
    chief = bot.user(ADMIN_ID, "Admin", "ru")
    mark = chief.mark()
    await chief.send(command)
    number = command.split()[1].lstrip("#")
    assert chief.texts(chief.since(mark)) == [tr("ru")._(answer).format(number=number)]


async def test_a_forged_link_button_is_an_old_button_for_everyone_else(bot: RunningBot) -> None:
    mother = bot.user(7102, "Mother", "ru")
    await mother.send("/start")
    server = bot.harness.server
    answers = []
    for data in ("link:kk", "zz:old"):
        query = server.new_callback_query(mother.to_api(), mother.last_bot_message(), data)
        server.push_update("callback_query", query)
        await bot.harness.settle()
        answers.append((mother.answers()[-1].text, mother.last_bot_message().plain_text))
    assert answers[0] == answers[1]
    dialog_ended = tr("ru")._("This dialog has ended. Send /link to start again.")
    assert all(dialog_ended not in m.plain_text for m in mother.bot_messages())
    assert all("/link" not in m.plain_text for m in mother.bot_messages())


async def _run_bot(harness: TelegramHarness, tmp_path: Path, **env: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=REPO,
        env={
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "TELEGRAM_BOT_TOKEN": harness.token,
            "TELEGRAM_API_URL": harness.url,
            "DATABASE_PATH": str(tmp_path / "bot.sqlite3"),
            "WEBHOOK_SECRET": "s3cret",
            **env,
        },
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    async with asyncio.timeout(60):
        out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, (out + err).decode()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_a_refused_webhook_says_what_happened(tmp_path: Path) -> None:
    async with TelegramHarness() as harness:
        code, output = await _run_bot(
            harness, tmp_path, WEBHOOK_URL="https://example.org/hook", PORT=str(_free_port())
        )
    lines = output.strip().splitlines()
    assert code == 2 and "Traceback" not in output and harness.token not in output
    assert lines[-1].startswith("error: Telegram refused the webhook https://example.org/hook:")
    assert "loopback" in lines[-1]


async def test_a_port_in_use_says_so(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        async with TelegramHarness() as harness:
            code, output = await _run_bot(
                harness, tmp_path, WEBHOOK_URL=f"https://127.0.0.1:{port}/hook", PORT=str(port)
            )
    lines = output.strip().splitlines()
    assert code == 2 and "Traceback" not in output and harness.token not in output
    assert lines[-1].startswith(f"error: cannot listen for the webhook on port {port}:")
    assert "in use" in lines[-1]
