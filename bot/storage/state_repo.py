"""What the bot keeps about conversations: state, answers, message ids, daily counts.

Every row here has a time it was last touched, so that the purge job can drop it when it
is no longer needed; `forget_user` drops all of it at once.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.storage.db import Database

# The need code under which a whole search is counted once.
ALL_NEEDS = "*"


def now() -> float:
    """Seconds since the epoch; one place to read the clock."""
    return time.time()


async def load_user_data(db: Database) -> dict[int, dict[str, Any]]:
    """Every stored user's data, for PTB's persistence at start-up."""
    async with db.conn.execute("SELECT user_id, data FROM user_data") as cursor:
        return {row["user_id"]: json.loads(row["data"]) for row in await cursor.fetchall()}


async def save_user_data(db: Database, user_id: int, data: dict[str, Any]) -> None:
    """Store a user's data; an empty dict deletes the row, since there is nothing to keep."""
    async with db.transaction() as conn:
        if not data:
            await conn.execute("DELETE FROM user_data WHERE user_id = ?", (user_id,))
            return
        await conn.execute(
            "INSERT INTO user_data (user_id, data, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT(user_id) DO UPDATE SET data = excluded.data,"
            " updated_at = excluded.updated_at",
            (user_id, json.dumps(data, ensure_ascii=False), now()),
        )


async def delete_user_data(db: Database, user_id: int) -> None:
    """Drop a user's data row."""
    async with db.transaction() as conn:
        await conn.execute("DELETE FROM user_data WHERE user_id = ?", (user_id,))


async def load_conversations(
    db: Database, name: str, max_idle_seconds: float
) -> dict[tuple[int, ...], object]:
    """Conversations still within their idle limit; older ones are dropped on the way."""
    cutoff = now() - max_idle_seconds
    async with db.transaction() as conn:
        await conn.execute(
            "DELETE FROM conversations WHERE name = ? AND updated_at < ?", (name, cutoff)
        )
        async with conn.execute(
            "SELECT key, state FROM conversations WHERE name = ?", (name,)
        ) as cursor:
            rows = await cursor.fetchall()
    return {tuple(json.loads(row["key"])): json.loads(row["state"]) for row in rows}


async def save_conversation(
    db: Database, name: str, key: tuple[int, ...], state: object | None
) -> None:
    """Write one conversation's state through; None ends it."""
    encoded_key = json.dumps(list(key))
    async with db.transaction() as conn:
        if state is None:
            await conn.execute(
                "DELETE FROM conversations WHERE name = ? AND key = ?", (name, encoded_key)
            )
            return
        await conn.execute(
            "INSERT INTO conversations (name, key, user_id, state, updated_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT(name, key) DO UPDATE SET"
            " state = excluded.state, updated_at = excluded.updated_at",
            (name, encoded_key, key[-1], json.dumps(state), now()),
        )


async def end_conversations(db: Database, user_id: int) -> None:
    """Drop the stored conversation state of one user."""
    async with db.transaction() as conn:
        await conn.execute("DELETE FROM conversations WHERE user_id = ?", (user_id,))


async def record_messages(db: Database, chat_id: int, message_ids: Iterable[int]) -> None:
    """Remember message ids of a private chat so that the chat can be wiped later."""
    stamp = now()
    async with db.transaction() as conn:
        await conn.executemany(
            "INSERT OR IGNORE INTO chat_messages (chat_id, message_id, sent_at) VALUES (?, ?, ?)",
            [(chat_id, message_id, stamp) for message_id in message_ids],
        )


async def chat_message_ids(db: Database, chat_id: int) -> list[int]:
    """Ids of the messages of this chat still within Telegram's deletion window."""
    async with db.conn.execute(
        "SELECT message_id FROM chat_messages WHERE chat_id = ? ORDER BY message_id", (chat_id,)
    ) as cursor:
        return [row["message_id"] for row in await cursor.fetchall()]


async def forget_user(db: Database, user_id: int) -> None:
    """Drop everything stored about one user: state, answers, language, message ids."""
    async with db.transaction() as conn:
        await conn.execute("DELETE FROM conversations WHERE user_id = ?", (user_id,))
        await conn.execute("DELETE FROM user_data WHERE user_id = ?", (user_id,))
        # In a private chat the chat id is the user id.
        await conn.execute("DELETE FROM chat_messages WHERE chat_id = ?", (user_id,))
    await db.checkpoint()


async def rows_about_user(db: Database, user_id: int) -> int:
    """How many rows mention this user anywhere: what /clear and /forget must bring to 0."""
    total = 0
    for sql in (
        "SELECT COUNT(*) FROM conversations WHERE user_id = ?",
        "SELECT COUNT(*) FROM user_data WHERE user_id = ?",
        "SELECT COUNT(*) FROM chat_messages WHERE chat_id = ?",
    ):
        async with db.conn.execute(sql, (user_id,)) as cursor:
            row = await cursor.fetchone()
            total += row[0] if row else 0
    return total


async def purge_expired(
    db: Database, conversation_idle_seconds: float, retention_seconds: float
) -> dict[str, int]:
    """Drop idle conversations and their data, and message ids past Telegram's window."""
    stamp = now()
    counts: dict[str, int] = {}
    async with db.transaction() as conn:
        for table, column, limit in (
            ("conversations", "updated_at", conversation_idle_seconds),
            ("user_data", "updated_at", conversation_idle_seconds),
            ("chat_messages", "sent_at", retention_seconds),
        ):
            cursor = await conn.execute(
                f"DELETE FROM {table} WHERE {column} < ?",
                (stamp - limit,),
            )
            counts[table] = cursor.rowcount
    if any(counts.values()):
        await db.checkpoint()
    return counts


async def count_search(
    db: Database, region_id: str, needs: Iterable[str], nothing_local: bool, day: date | None = None
) -> None:
    """Add one search to the daily counts: region and need only, no user, no time of day.

    One row per need, and one under ALL_NEEDS for the search itself, so that searches per
    region can be counted even when a search asked for several needs.
    """
    today = (day or date.today()).isoformat()
    async with db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO search_stats (day, region_id, need, searches, nothing_local)"
            " VALUES (?, ?, ?, 1, ?) ON CONFLICT(day, region_id, need) DO UPDATE SET"
            " searches = searches + 1, nothing_local = nothing_local + excluded.nothing_local",
            [(today, region_id, need, int(nothing_local)) for need in (ALL_NEEDS, *needs)],
        )


@dataclass(frozen=True)
class SearchCounts:
    """Searches since a day: in total, per region and per need; how many found nothing near."""

    total: int
    nothing_local: int
    by_region: dict[str, int]
    by_need: dict[str, int]


async def search_counts(db: Database, since: date) -> SearchCounts:
    """The daily counts added up from `since` on."""
    async with db.conn.execute(
        "SELECT region_id, need, SUM(searches) AS searches, SUM(nothing_local) AS nothing_near"
        " FROM search_stats WHERE day >= ? GROUP BY region_id, need",
        (since.isoformat(),),
    ) as cursor:
        rows = await cursor.fetchall()
    by_region = {r["region_id"]: r["searches"] for r in rows if r["need"] == ALL_NEEDS}
    by_need: dict[str, int] = {}
    for row in rows:
        if row["need"] != ALL_NEEDS:
            by_need[row["need"]] = by_need.get(row["need"], 0) + row["searches"]
    nothing = sum(r["nothing_near"] for r in rows if r["need"] == ALL_NEEDS)
    return SearchCounts(sum(by_region.values()), nothing, by_region, by_need)
