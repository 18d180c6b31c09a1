"""`python -m bench [--quick]`: the committed benchmark. Prints one table.

- matching p50/p99 and a result page's rendering, on synthetic catalogs of 41 / 1k / 10k /
  100k centers (bench/synthetic.py: the real entries copied to random places);
- loading the 100k catalog from SQLite (time and peak RSS, in a fresh process);
- Bot API calls per update over whole journeys, and the bot's CPU per update next to a bare
  PTB echo bot (bench/echo_bot.py), both run as `python -m …` processes against the same fake
  Bot API (tests/fake_telegram.py) in the same run;
- RSS of the bot process with 1,000 live conversations;
- SOS latency while 300 mothers are mid-journey, with Telegram's limits (about 30 messages a
  second overall) modelled by the fake Bot API;
- the live line's relay latency (bench/relay.py) under the same load.

`--quick` runs every part at a tiny size, so CI can check the benchmark still works; its
numbers mean nothing. A benchmark, not a test: nothing here asserts a target.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bench.relay import print_relay, relay_under_load
from bench.synthetic import synthetic_catalog
from bot.core.answers import Answers
from bot.core.codes import Language, Need
from bot.core.geo import Gazetteer
from bot.core.matching import Matcher
from bot.core.session import Session
from bot.i18n import translator
from bot.render import location_name
from bot.tg.screens import cards_needed, results_screen
from tests.fake_telegram import FloodLimits, TelegramHarness, TelegramUser

REPO = Path(__file__).resolve().parent.parent
_NEEDS = tuple(Need)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _random_answers(gazetteer: Gazetteer, places: list[str], rng: random.Random) -> Answers:
    place = rng.choice(places)
    location = gazetteer.place_location(place)
    pregnant = rng.random() < 0.3
    return Answers(
        language=rng.choice(tuple(Language)),
        age=rng.randint(14, 36),
        pregnant=pregnant,
        child_months=None if pregnant else rng.choice((2, 5, 12, 18, 24)),
        region=location.region,
        place=place,
        needs=tuple(sorted(set(rng.sample(_NEEDS, rng.choice((1, 1, 2, 3)))))),
    )


def matching(sizes: list[int], searches: int) -> list[dict[str, Any]]:
    """Search and page-rendering times per catalog size (in this process)."""
    rows = []
    for size in sizes:
        catalog = synthetic_catalog(size)
        gazetteer = Gazetteer(catalog)
        started = time.perf_counter()
        matcher = Matcher(catalog)
        index_ms = (time.perf_counter() - started) * 1000
        # As the bot does after loading (Services.use_catalog): the catalog is permanent,
        # the garbage collector need not walk it.
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        rng = random.Random(size)
        full = {center.id: center for center in catalog.centers}
        places = [p.id for p in catalog.places]
        answers = [_random_answers(gazetteer, places, rng) for _ in range(searches)]
        queries = [a.to_query(gazetteer) for a in answers]
        search_ms, render_ms = [], []
        for answer, query in zip(answers, queries, strict=True):
            assert query is not None
            started = time.perf_counter()
            result = matcher.match(query)
            search_ms.append((time.perf_counter() - started) * 1000)
            t = translator(answer.language or Language.RU)
            where = location_name(catalog, query.location.place, query.location.region, t)
            session = Session(answers=answer)
            started = time.perf_counter()
            # The bot reads these from SQLite (a small cache in front); here they are at hand.
            centers = {cid: full[cid] for cid in cards_needed(session, result)}
            results_screen(session, result, centers, catalog, t, where)
            render_ms.append((time.perf_counter() - started) * 1000)
        rows.append(
            {"centers": size, "index_ms": index_ms,
             "search_p50_ms": statistics.median(search_ms),
             "search_p99_ms": _percentile(search_ms, 0.99),
             "render_p50_ms": statistics.median(render_ms),
             "render_p99_ms": _percentile(render_ms, 0.99)}
        )  # fmt: skip
    return rows


_LOAD_SCRIPT = """
import asyncio, json, sys, time
from pathlib import Path
from bot.catalog.store import load_directory
from bot.core.geo import Gazetteer
from bot.core.matching import Matcher
from bot.storage.migrations import open_database

def peak_mb():
    # VmHWM: this process's own peak (ru_maxrss would count the parent it was forked from).
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0

async def main():
    started = time.perf_counter()
    db = await open_database(Path(sys.argv[1]))  # with SQLite's quick_check of the file
    opened = time.perf_counter()
    catalog = await load_directory(db)  # what the bot loads: heads, not whole centers
    Matcher(catalog)
    Gazetteer(catalog)
    loaded = time.perf_counter()
    await db.close()
    print(json.dumps({"centers": len(catalog.centers), "open_s": opened - started,
                      "load_s": loaded - opened, "peak_rss_mb": peak_mb()}))

asyncio.run(main())
"""


def catalog_load(size: int, folder: Path) -> dict[str, Any]:
    """Write a synthetic catalog to a database, then load it in a fresh process."""
    from bot.catalog.store import replace_catalog
    from bot.storage.migrations import open_database

    path = folder / f"load-{size}.sqlite3"

    async def write() -> None:
        db = await open_database(path)
        try:
            await replace_catalog(db, synthetic_catalog(size))
        finally:
            await db.close()

    asyncio.run(write())
    out = subprocess.run(
        [sys.executable, "-c", _LOAD_SCRIPT, str(path)],
        cwd=REPO, capture_output=True, text=True, check=True,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


class Child:
    """A bot process (ours or the echo bot) polling the fake Bot API."""

    def __init__(self, harness: TelegramHarness, module: str, database: Path) -> None:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "TELEGRAM_BOT_TOKEN": harness.token,
            "TELEGRAM_API_URL": harness.url,
            "DATABASE_PATH": str(database),
            "PTB_TIMEDELTA": "1",
            "LOG_LEVEL": "ERROR",
        }
        self.harness = harness
        self.process = subprocess.Popen(
            [sys.executable, "-m", module], cwd=REPO, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip

    async def ready(self) -> None:
        async with asyncio.timeout(60):
            while not self.harness.server.calls_to("getUpdates"):  # noqa: ASYNC110
                await asyncio.sleep(0.05)

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()


async def _quiet(harness: TelegramHarness, seconds: float = 0.4) -> None:
    """Wait until every update was fetched and the bot has stopped calling the API."""
    server = harness.server
    async with asyncio.timeout(600):
        while server.last_update_id and server.confirmed_offset <= server.last_update_id:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        count = -1
        while count != len(server.calls):
            count = len(server.calls)
            await asyncio.sleep(seconds)


async def _button(user: TelegramUser, label: str) -> None:
    """Wait until the bot shows a button (it may be busy with hundreds of others)."""
    async with asyncio.timeout(300):
        while not any(label in m.buttons for m in user.bot_messages()):  # noqa: ASYNC110
            await asyncio.sleep(0.05)


async def _journey(user: TelegramUser, wait: Callable[[], Awaitable[None]]) -> int:
    """/start and five taps to the results (her Telegram is in Russian): updates sent."""
    t = translator(Language.RU)
    await user.send("/start", wait=False)
    taps = ["17", t._("Under 6 months"), "Алматы", t._("A place to live now"), t._("Done ➡️")]
    for label in taps:
        await wait()
        await _button(user, label)
        await user.tap(label, wait=False)
    await wait()
    return 1 + len(taps)


async def bot_processes(journeys: int, conversations: int, folder: Path) -> dict[str, Any]:
    """Calls per update, CPU per update next to the echo bot, RSS with live conversations."""
    out: dict[str, Any] = {}
    async with TelegramHarness() as harness:
        child = Child(harness, "bot", folder / "cpu.sqlite3")
        try:
            await child.ready()
            await _quiet(harness)
            harness.server.reset_calls()
            cpu_before = child.cpu_seconds()
            updates = 0
            for number in range(journeys):
                user = harness.user(10_000 + number, "Mother", "ru")
                updates += await _journey(user, lambda: _quiet(harness, 0.05))
            await _quiet(harness)
            cpu = child.cpu_seconds() - cpu_before
            calls = sum(harness.server.call_counts().values())
            out |= {"updates": updates, "api_calls": calls, "calls_per_update": calls / updates,
                    "bot_cpu_ms_per_update": cpu * 1000 / updates}  # fmt: skip
            for number in range(conversations):
                user = harness.user(50_000 + number, "Mother", "ru")
                await user.send("/start", wait=False)
                await user.send("17", wait=False)
            await _quiet(harness)
            out["rss_mb_live_conversations"] = child.rss_mb()
            out["live_conversations"] = conversations
        finally:
            child.stop()
    async with TelegramHarness() as harness:
        echo = Child(harness, "bench.echo_bot", folder / "unused.sqlite3")
        try:
            await echo.ready()
            await _quiet(harness)
            cpu_before = echo.cpu_seconds()
            count = max(1, out["updates"])
            user = harness.user(1, "Echo", "ru")
            for number in range(count):
                await user.send(f"hello {number}", wait=False)
                await _quiet(harness, 0.05)
            cpu = echo.cpu_seconds() - cpu_before
            out["echo_cpu_ms_per_update"] = cpu * 1000 / count
        finally:
            echo.stop()
    out["cpu_ratio"] = out["bot_cpu_ms_per_update"] / max(out["echo_cpu_ms_per_update"], 1e-9)
    return out


async def sos_under_load(mothers: int, probes: int, folder: Path) -> dict[str, Any]:
    """SOS answer times while `mothers` go through their journeys, Telegram limits on."""
    async with TelegramHarness() as harness:
        server = harness.server
        server.limits = FloodLimits()
        answered: dict[int, float] = {}
        original = server._api_sendMessage

        def watch(params: dict[str, Any]) -> Any:
            result = original(params)
            chat = int(params.get("chat_id", 0))
            if "112" in str(params.get("text", "")) and chat not in answered:
                answered[chat] = time.perf_counter()
            return result

        server._methods["sendmessage"] = watch
        child = Child(harness, "bot", folder / "sos.sqlite3")
        try:
            await child.ready()
            users = [harness.user(100_000 + n, "Mother", "ru") for n in range(mothers)]
            load = asyncio.gather(*(_journey(u, lambda: asyncio.sleep(2.0)) for u in users))
            await asyncio.sleep(1.0)
            sent: dict[int, float] = {}
            for number in range(probes):
                user = harness.user(900_000 + number, "Probe", "ru")
                sent[user.id] = time.perf_counter()
                await user.send("/sos", wait=False)
                await asyncio.sleep(0.2)
            await load
            async with asyncio.timeout(120):
                while len([u for u in sent if u in answered]) < len(sent):  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
            latencies = [answered[u] - sent[u] for u in sent]
            await _quiet(harness)
        finally:
            child.stop()
    return {
        "mothers": mothers, "sos_probes": probes,
        "sos_p50_s": statistics.median(latencies), "sos_p99_s": _percentile(latencies, 0.99),
        "flood_errors": len(server.flood_errors),
    }  # fmt: skip


def machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GiB, Python {platform.python_version()}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run for CI")
    parser.add_argument(
        "--parts",
        default="matching,load,processes,sos,relay",
        help="comma-separated parts to run",
    )
    args = parser.parse_args(argv)
    quick = args.quick
    parts = set(args.parts.split(","))
    sizes = [41, 200] if quick else [41, 1_000, 10_000, 100_000]
    print(f"Machine: {machine()}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rows = matching(sizes, searches=20 if quick else 300) if "matching" in parts else []
        print("| centers | index build | search p50 | search p99 | page render p50 | p99 |")
        print("|---:|---:|---:|---:|---:|---:|")
        for row in rows:
            print(
                f"| {row['centers']:,} | {row['index_ms']:.0f} ms "
                f"| {row['search_p50_ms']:.2f} ms | {row['search_p99_ms']:.2f} ms "
                f"| {row['render_p50_ms']:.2f} ms | {row['render_p99_ms']:.2f} ms |",
                flush=True,
            )
        print()
        print("| measure | value |")
        print("|---|---:|")
        if "load" in parts:
            load = catalog_load(500 if quick else 100_000, folder)
            print(f"| opening the database file (integrity check), {load['centers']:,} centers "
                  f"| {load['open_s']:.2f} s |")  # fmt: skip
            print(f"| catalog load and indexes, {load['centers']:,} centers (fresh process) "
                  f"| {load['load_s']:.2f} s |")  # fmt: skip
            print(f"| peak RSS of that process | {load['peak_rss_mb']:.0f} MB |", flush=True)
        if "processes" in parts:
            processes = asyncio.run(
                bot_processes(2 if quick else 40, 20 if quick else 1_000, folder)
            )
            _print_processes(processes)
        if "sos" in parts:
            sos = asyncio.run(sos_under_load(10 if quick else 300, 3 if quick else 30, folder))
            _print_sos(sos)
        if "relay" in parts:
            relay = asyncio.run(relay_under_load(10 if quick else 300, 3 if quick else 30, folder))
            print_relay(relay)
    return 0


def _print_processes(processes: dict[str, Any]) -> None:
    print(f"| Bot API calls per update (whole journeys) | {processes['calls_per_update']:.2f} |")
    print(f"| bot CPU per update | {processes['bot_cpu_ms_per_update']:.2f} ms |")
    print(f"| bare PTB echo bot CPU per update | {processes['echo_cpu_ms_per_update']:.2f} ms |")
    print(f"| ratio | {processes['cpu_ratio']:.1f}× |")
    print(
        f"| bot RSS with {processes['live_conversations']:,} live conversations "
        f"| {processes['rss_mb_live_conversations']:.0f} MB |",
        flush=True,
    )


def _print_sos(sos: dict[str, Any]) -> None:
    print(
        f"| SOS answer p50 / p99, {sos['mothers']} mothers mid-journey "
        f"| {sos['sos_p50_s']:.2f} s / {sos['sos_p99_s']:.2f} s |"
    )
    print(f"| flood errors from the (modelled) Bot API | {sos['flood_errors']} |")
    _ = resource  # peak RSS of this process is not reported: it holds every catalog size


if __name__ == "__main__":
    sys.exit(main())
