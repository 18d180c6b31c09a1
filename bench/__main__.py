"""`python -m bench [--quick]`: the committed benchmark. Prints one table.

- matching p50/p99 and a result page's rendering, on synthetic catalogs of 41 / 1k / 10k /
  100k centers (bench/synthetic.py: the real entries copied to random places);
- loading the 100k catalog from SQLite (time and peak RSS, in a fresh process);
- the bot and a bare PTB echo bot (bench/echo_bot.py), each a `python -m …` process against
  the fake Bot API (tests/fake_telegram.py), driven the same way: `--users` people (60) at
  once, each going through a journey of six updates (the bot: /start, her age, four taps;
  the echo bot: six texts), each step sent once the previous one was answered, after the
  same random pauses (1.5–3 s, the same seeds for both; 60 people then stay under
  Telegram's ~30 messages a second), two rounds. Reported: Bot API
  calls per update, and each process's whole CPU time over the load (from /proc, nothing
  subtracted) per update and per update-or-call;
- RSS of the bot process with 10,000 live conversations (each at the second question,
  written by the bot's own commit before it starts), 2,500 of which (more than it keeps in
  memory) write again through the bot;
- SOS latency while 300 mothers are mid-journey, with Telegram's limits (about 30 messages a
  second overall) modelled by the fake Bot API;
- the live line's relay latency (bench/relay.py) under the same load.

`--quick` runs every part at a tiny size, so CI can check the benchmark still works; its
numbers mean nothing. `--profile PATH` samples the bot under the load with py-spy (when it
is installed) and prints where the time goes. A benchmark, not a test: nothing here asserts
a target.
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
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bench.common import first_sends, percentile, until, wait_for_button
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
             "search_p99_ms": percentile(search_ms, 0.99),
             "render_p50_ms": statistics.median(render_ms),
             "render_p99_ms": percentile(render_ms, 0.99)}
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


# One journey: /start, her age, four taps (her Telegram is in Russian); each step waits for the
# bot's answer, then she takes a moment before the next (the same moments for both bots).
JOURNEY_UPDATES = 6


async def _journey(user: TelegramUser, think: Callable[[], Awaitable[None]]) -> int:
    """/start, her age typed, four taps to the results: updates sent."""
    t = translator(Language.RU)
    await user.send("/start", wait=False)
    await wait_for_button(user, "17")
    await think()
    await user.send("17", wait=False)  # she types her age, as in the README's journey
    taps = [t._("Under 6 months"), "Алматы", t._("A place to live now"), t._("Done ➡️")]
    for label in taps:
        await wait_for_button(user, label)
        await think()
        await user.tap(label, wait=False)
    await wait_for_button(user, t._("🔄 Start over"))
    return 2 + len(taps)


async def _echo_journey(user: TelegramUser, think: Callable[[], Awaitable[None]]) -> int:
    """As many texts as a journey has updates, each sent once the previous one was echoed."""
    for step in range(JOURNEY_UPDATES):
        if step:
            await think()
        before = len(user.bot_messages())
        await user.send(f"hello {step}", wait=False)
        await until(lambda before=before: len(user.bot_messages()) > before)  # type: ignore[misc]
    return JOURNEY_UPDATES


def _rhythm(seed: int, low: float, high: float) -> Callable[[], Awaitable[None]]:
    """Her pauses between steps: the same sequence for the bot and for the echo bot."""
    rng = random.Random(seed)

    async def think() -> None:
        await asyncio.sleep(rng.uniform(low, high))

    return think


Journey = Callable[[TelegramUser, Callable[[], Awaitable[None]]], Awaitable[int]]


def _py_spy(pid: int, out: Path) -> subprocess.Popen[bytes] | None:
    """Sample a process with py-spy (`pip install py-spy`), if it is installed."""
    spy = Path(sys.executable).parent / "py-spy"
    if not spy.exists():
        print("(py-spy is not installed: no profile)", file=sys.stderr)
        return None
    return subprocess.Popen(
        [str(spy), "record", "--pid", str(pid), "--format", "raw", "--rate", "250",
         "--threads", "--output", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def _frame_name(frame: str) -> str:
    """`func (…/site-packages/telegram/_bot.py:123)` → `func (telegram/_bot.py)`."""
    func, _, where = frame.rpartition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    return f"{func} ({'/'.join(path.split('/')[-2:])})"


def profile_summary(raw: Path, top: int = 12) -> list[str]:
    """py-spy's raw stacks, summed: where the samples are spent (innermost frame), and the
    bot's own functions with everything they call (inclusive)."""
    inclusive: dict[str, int] = {}
    own: dict[str, int] = {}
    ours: set[str] = set()  # frames of the bot's own code (not a library's)
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = [_frame_name(f) for f in stack.split(";")]
        ours.update(
            name for f, name in zip(stack.split(";"), frames, strict=True)
            if f.rpartition(" (")[2].startswith("bot/") or "/bot/" in f
        )  # fmt: skip
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + count
        own[frames[-1]] = own.get(frames[-1], 0) + count
    total = max(total, 1)
    lines = [f"{total} samples of the bot process (all threads)", "innermost frame:"]
    for frame, count in sorted(own.items(), key=lambda kv: -kv[1])[:top]:
        lines.append(f"  {100 * count / total:5.1f}%  {frame}")
    lines.append("the bot's own code, inclusive:")
    mine = [kv for kv in inclusive.items() if kv[0] in ours]
    for frame, count in sorted(mine, key=lambda kv: -kv[1])[:top]:
        lines.append(f"  {100 * count / total:5.1f}%  {frame}")
    return lines


async def concurrent_load(
    module: str,
    journey: Journey,
    users: int,
    rounds: int,
    folder: Path,
    profile: Path | None = None,
    pace: float = 1.0,
) -> dict[str, Any]:
    """`users` people at once going through their journeys, `rounds` times over, against a
    bot process: its CPU (from /proc, everything the process used in that time), the
    updates it got and the Bot API calls it made (getUpdates left out). `pace` scales her
    pauses (1.0: 1.5–3 s; the smoke run shortens them)."""
    async with TelegramHarness() as harness:
        child = Child(harness, module, folder / f"{module}-load.sqlite3")
        try:
            await child.ready()
            await _quiet(harness)
            harness.server.reset_calls()
            spy = _py_spy(child.process.pid, profile) if profile is not None else None
            cpu_before, started = child.cpu_seconds(), time.perf_counter()
            updates = 0
            for round_ in range(rounds):
                people = [
                    harness.user(10_000 + round_ * users + n, "Mother", "ru") for n in range(users)
                ]
                thinks = [_rhythm(round_ * users + n, 1.5 * pace, 3.0 * pace) for n in range(users)]
                done = await asyncio.gather(
                    *(journey(u, th) for u, th in zip(people, thinks, strict=True))
                )
                updates += sum(done)
            await _quiet(harness)
            cpu = child.cpu_seconds() - cpu_before
            if spy is not None:
                spy.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
                spy.wait(timeout=60)
            calls = sum(harness.server.call_counts().values())
            return {"updates": updates, "api_calls": calls, "cpu_s": cpu,
                    "wall_s": time.perf_counter() - started}  # fmt: skip
        finally:
            child.stop()


def _stored_conversations(database: Path, count: int, first_id: int) -> None:
    """`count` conversations at the second question (her language and age given), written by
    the bot's own commit (`state.commit_turn`) as if a previous run of the bot had them."""
    from bot.storage import state
    from bot.storage.migrations import open_database

    async def write() -> None:
        db = await open_database(database)
        try:
            for number in range(count):
                session = Session(
                    answers=Answers(language=Language.RU, age=17), screen=2, touched=time.time()
                )
                await state.commit_turn(
                    db, state.TurnWrites(user_id=first_id + number, session=session.to_json(),
                                         chat_id=first_id + number, message_ids=[1, 2]),
                )  # fmt: skip
        finally:
            await db.close()

    asyncio.run(write())


async def live_conversations(
    conversations: int, returning: int, folder: Path, waves: int = 2
) -> dict[str, Any]:
    """RSS of the bot process with `conversations` conversations open, each at the second
    question; `waves` times, `returning` others of them (more than the bot keeps in memory)
    write again through the bot after it started, all at once. (All of them through the bot
    would take 12 minutes: Telegram lets a bot send about 30 messages a second, and the bot
    keeps to that.) RSS after each wave: a second wave that adds little tells a high-water
    mark (the first wave's backlog, held at once) from growth per update."""
    database = folder / "rss.sqlite3"
    await asyncio.to_thread(_stored_conversations, database, conversations, 50_000)
    async with TelegramHarness() as harness:
        child = Child(harness, "bot", database)
        try:
            await child.ready()
            await _quiet(harness)
            at_start = child.rss_mb()
            after: list[float] = []
            answered = 0
            for wave in range(waves):
                first = 50_000 + (wave * returning) % max(conversations, 1)
                users = [harness.user(first + n, "Mother", "ru") for n in range(returning)]
                for user in users:
                    await user.send("3 месяца", wait=False)  # her child's age: the next question
                await _quiet(harness)
                answered += sum(1 for user in users if user.bot_messages())
                after.append(child.rss_mb())
            return {"rss_mb_at_start": at_start, "rss_mb_after_waves": after,
                    "rss_mb_live_conversations": after[-1], "live_conversations": conversations,
                    "returning": returning, "returning_answered": answered}  # fmt: skip
        finally:
            child.stop()


async def bot_processes(
    users: int,
    rounds: int,
    conversations: int,
    folder: Path,
    profile: Path | None = None,
    pace: float = 1.0,
) -> dict[str, Any]:
    """The bot and a bare PTB echo bot driven the same way: the same number of people at
    once, the same number of updates each, the same pauses. Nothing is subtracted: each
    figure is the process's whole CPU time over the whole load, divided."""
    bot = await concurrent_load("bot", _journey, users, rounds, folder, pace=pace)
    echo = await concurrent_load("bench.echo_bot", _echo_journey, users, rounds, folder, pace=pace)
    out: dict[str, Any] = {"users": users, "rounds": rounds}
    for name, run in (("bot", bot), ("echo", echo)):
        out[f"{name}_updates"] = run["updates"]
        out[f"{name}_calls_per_update"] = run["api_calls"] / run["updates"]
        out[f"{name}_cpu_ms_per_update"] = run["cpu_s"] * 1000 / run["updates"]
        out[f"{name}_cpu_ms_per_event"] = run["cpu_s"] * 1000 / (run["updates"] + run["api_calls"])
        out[f"{name}_wall_s"] = run["wall_s"]
    out["cpu_ratio"] = out["bot_cpu_ms_per_update"] / max(out["echo_cpu_ms_per_update"], 1e-9)
    out["event_ratio"] = out["bot_cpu_ms_per_event"] / max(out["echo_cpu_ms_per_event"], 1e-9)
    out |= await live_conversations(conversations, min(conversations, 2_500), folder)
    if profile is not None:  # a run of its own: sampling costs the sampled process CPU too
        await concurrent_load("bot", _journey, users, 1, folder, profile, pace)
    return out


async def sos_under_load(
    mothers: int, probes: int, folder: Path, pace: float = 1.0
) -> dict[str, Any]:
    """SOS answer times while `mothers` go through their journeys (a step every 2 s times
    `pace`), Telegram limits on."""
    async with TelegramHarness() as harness:
        server = harness.server
        server.limits = FloodLimits()
        answered = first_sends(server, lambda chat, text: "112" in text)
        child = Child(harness, "bot", folder / "sos.sqlite3")
        try:
            await child.ready()
            users = [harness.user(100_000 + n, "Mother", "ru") for n in range(mothers)]
            load = asyncio.gather(*(_journey(u, lambda: asyncio.sleep(2.0 * pace)) for u in users))
            await asyncio.sleep(1.0 * pace)
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
        "sos_p50_s": statistics.median(latencies), "sos_p99_s": percentile(latencies, 0.99),
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
        help="comma-separated parts to run: matching, load, processes (CPU per update and"
        " the RSS row), rss (the RSS row alone), sos, relay",
    )
    parser.add_argument("--users", type=int, default=60, help="people at once in the load")
    parser.add_argument(
        "--profile", type=Path, help="sample the bot under the load with py-spy, raw stacks here"
    )
    args = parser.parse_args(argv)
    quick = args.quick
    pace = 0.05 if quick else 1.0  # the smoke run checks the parts work, not how they pace
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
                bot_processes(
                    4 if quick else args.users,
                    1 if quick else 2,
                    20 if quick else 10_000,
                    folder,
                    args.profile,
                    pace,
                )
            )
            _print_processes(processes)
            if args.profile is not None and args.profile.exists():
                print("\n".join(["", "Profile (py-spy):", *profile_summary(args.profile)]))
        if "rss" in parts and "processes" not in parts:  # the RSS row alone (it is in both)
            held = asyncio.run(
                live_conversations(20 if quick else 10_000, 20 if quick else 2_500, folder)
            )
            _print_rss(held)
        if "sos" in parts:
            sos = asyncio.run(
                sos_under_load(10 if quick else 300, 3 if quick else 30, folder, pace)
            )
            _print_sos(sos)
        if "relay" in parts:
            relay = asyncio.run(
                relay_under_load(10 if quick else 300, 3 if quick else 30, folder, pace)
            )
            print_relay(relay)
    return 0


def _print_processes(p: dict[str, Any]) -> None:
    print(f"| Bot API calls per update (whole journeys) | {p['bot_calls_per_update']:.2f} |")
    who = f"{p['users']} people at once, {p['bot_updates']:,} updates"
    print(f"| bot CPU per update ({who}) | {p['bot_cpu_ms_per_update']:.2f} ms |")
    print(f"| bare PTB echo bot CPU per update (the same) | {p['echo_cpu_ms_per_update']:.2f} ms |")
    print(f"| ratio | {p['cpu_ratio']:.1f}× |")
    print(f"| bot CPU per update or Bot API call | {p['bot_cpu_ms_per_event']:.2f} ms |")
    print(f"| echo bot CPU per update or Bot API call | {p['echo_cpu_ms_per_event']:.2f} ms |")
    print(f"| ratio | {p['event_ratio']:.1f}× |")
    _print_rss(p)


def _print_rss(p: dict[str, Any]) -> None:
    waves = p["rss_mb_after_waves"]
    growth = (waves[-1] - p["rss_mb_at_start"]) * 1024 / max(p["returning_answered"], 1)
    print(
        f"| bot RSS with {p['live_conversations']:,} live conversations, "
        f"{p['returning_answered']:,} answered since its start in {len(waves)} waves of "
        f"{p['returning']:,} at once (RSS at start: {p['rss_mb_at_start']:.0f} MB; after each "
        f"wave: {' / '.join(f'{mb:.0f}' for mb in waves)} MB; "
        f"{growth:.1f} KB per update on average) | {p['rss_mb_live_conversations']:.0f} MB |",
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
