"""Speed and memory of the bot's own work per update, next to a whole update through PTB.

Run: `.venv/bin/python -m tests.benchmark [journeys]`. Not a test: it prints numbers.

"Own work" is what the bot adds to each update: matching and rendering (on a results step),
translations, and the SQLite writes of persistence. "Whole update" is a real update through
the real Application and a fake Bot API on loopback: PTB receiving it, our handlers, and the
HTTP calls the bot makes. The budget is that the first is small next to the second.
"""

from __future__ import annotations

import asyncio
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.catalog.files import load_catalog
from bot.core.geo import Gazetteer
from bot.core.matching import Query, match_centers
from bot.i18n import translator
from bot.render import center_card, summary_line
from bot.services import DATA_DIR
from bot.storage import state
from bot.storage.db import open_database
from tests.journey import LANGUAGE_BUTTONS, bot_on_fake_telegram, need_button, tr


def _per_call(fn: Callable[[], object], repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat


async def _per_call_async(fn: Callable[[], Awaitable[object]], repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        await fn()
    return (time.perf_counter() - start) / repeat


def pure_work() -> dict[str, float]:
    """Matching + rendering one full result, and one translation lookup."""
    catalog = load_catalog(DATA_DIR)
    gazetteer = Gazetteer(catalog)
    location = gazetteer.resolve("Алматы")
    assert location is not None
    query = Query(17, False, 2, location, frozenset({"shelter", "keep_baby"}))
    t = translator("kk")

    def results() -> None:
        result = match_centers(catalog, query)
        summary_line(result, catalog, "Алматы", t)
        for i, match in enumerate(result.matches, 1):
            center_card(match, catalog, t, i, len(result.matches))

    return {
        "match + render a whole result (ms)": _per_call(results, 300) * 1e3,
        "resolve a typed place with a typo (ms)": _per_call(
            lambda: gazetteer.resolve("Алмааты"), 300
        )
        * 1e3,
        "one translation lookup (µs)": _per_call(lambda: t._("Find help"), 10000) * 1e6,
    }


async def persistence_work() -> dict[str, float]:
    """The SQLite writes the bot makes after an update (user data + conversation state)."""
    with tempfile.TemporaryDirectory() as tmp:
        db = await open_database(Path(tmp) / "bench.sqlite3")
        try:
            data = {"lang": "kk", "answers": {"age": 17, "pregnant": False}, "t": 0}

            async def write() -> None:
                await state.save_user_data(db, 1, data)
                await state.save_conversation(db, "mother", (1, 1), 3)
                await state.record_messages(db, 1, [int(time.time() * 1000) % 10**9])

            return {"persistence writes per update (ms)": await _per_call_async(write, 300) * 1e3}
        finally:
            await db.close()


async def whole_updates(journeys: int) -> dict[str, float]:
    """Full journeys of many mothers through the real Application; time per update."""
    async with bot_on_fake_telegram() as (harness, app):
        almaty = app.bot_data["services"].catalog.place("almaty").name.get("ru")
        t = tr("ru")
        durations: list[float] = []
        updates = 0
        for user_id in range(1, journeys + 1):
            mother = harness.user(10_000 + user_id, "M", "ru")
            steps: list[Callable[[], Awaitable[object]]] = [
                lambda m=mother: m.send("/start"),
                lambda m=mother: m.tap(LANGUAGE_BUTTONS["ru"]),
                lambda m=mother: m.send("17"),
                lambda m=mother: m.tap(t._("Under 6 months")),
                lambda m=mother: m.tap(almaty),
                lambda m=mother: m.tap(need_button("ru", "shelter")),
                lambda m=mother: m.tap(t._("Done ➡️")),
            ]
            for step in steps:
                start = time.perf_counter()
                await step()
                durations.append(time.perf_counter() - start)
                updates += 1
        calls = len([c for c in harness.server.calls if c.method != "getUpdates"])
        return {
            "whole update, median (ms)": statistics.median(durations) * 1e3,
            "whole update, 95th percentile (ms)": sorted(durations)[int(0.95 * len(durations))]
            * 1e3,
            "Bot API calls per update": calls / updates,
        }


def memory() -> dict[str, float]:
    """Python memory held by the catalog, the translations and one search (tracemalloc)."""
    translator.cache_clear()
    tracemalloc.start()
    pure_work()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"catalog + translations + a search, peak Python memory (MiB)": peak / 2**20}


def main() -> None:
    journeys = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    numbers = pure_work()  # timings first, without tracemalloc's overhead
    numbers |= asyncio.run(persistence_work())
    numbers |= asyncio.run(whole_updates(journeys))
    numbers |= memory()
    numbers["process max RSS (MiB)"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    width = max(map(len, numbers))
    for name, value in numbers.items():
        print(f"{name:<{width}}  {value:10.3f}")
    own = (
        numbers["match + render a whole result (ms)"]
        + numbers["persistence writes per update (ms)"]
    )
    share = own / numbers["whole update, median (ms)"]
    print(f"\nown work on the heaviest step / median whole update: {share:.0%}")


if __name__ == "__main__":
    main()
