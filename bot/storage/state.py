"""What the bot keeps about conversations: sessions, message ids, the inbox, daily counts.

Everything one update writes is written by `commit_turn` in one transaction (one trip to
the database thread): her session, the ids of the messages exchanged (for /clear), the
search counts and the inbox row of the update itself. Every row about a person has a time,
so the purge job can drop it when it is no longer needed; `forget` drops all of it at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

import aiosqlite

from bot.core import clock
from bot.storage.db import Database

# The need code under which a whole search is counted once.
ALL_NEEDS = "*"


@dataclass(frozen=True)
class SearchCount:
    """One search for the statistics: region and needs only, no user, no time of day."""

    region: str
    needs: tuple[str, ...]
    nothing_local: bool
    source: str = ""


@dataclass
class TurnWrites:
    """Everything one update changes, written together by `commit_turn`."""

    update_id: int | None = None
    user_id: int | None = None
    # New session JSON to store; None keeps what is stored (unchanged).
    session: bytes | None = None
    end_session: bool = False  # the conversation ended: drop the session row
    forget: bool = False  # drop everything about her (session, message ids)
    chat_id: int | None = None
    message_ids: list[int] = field(default_factory=list)
    searches: list[SearchCount] = field(default_factory=list)
    started_from: str | None = None  # a staff link's source: one conversation started
    # Ids of the center cards shown to her (counted per day and center, without her).
    shown: list[str] = field(default_factory=list)


async def commit_turn(db: Database, writes: TurnWrites) -> None:
    """Write one update's changes at once; checkpoint after anything about her is deleted."""
    stamp = clock.now()
    deleted = writes.forget or writes.end_session
    async with db.transaction() as conn:
        user = writes.user_id
        if user is not None and deleted:
            await conn.execute("DELETE FROM sessions WHERE user_id = ?", (user,))
        if user is not None and writes.forget:
            # In a private chat the chat id is the user id.
            await conn.execute("DELETE FROM chat_messages WHERE chat_id = ?", (user,))
        elif writes.chat_id is not None and writes.message_ids:
            await conn.executemany(
                "INSERT OR IGNORE INTO chat_messages (chat_id, message_id, sent_at)"
                " VALUES (?, ?, ?)",
                [(writes.chat_id, message_id, stamp) for message_id in writes.message_ids],
            )
        if user is not None and writes.session is not None and not deleted:
            await conn.execute(
                "INSERT INTO sessions (user_id, data, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT(user_id) DO UPDATE SET data = excluded.data,"
                " updated_at = excluded.updated_at",
                (user, writes.session.decode(), stamp),
            )
        for search in writes.searches:
            await _count_search(conn, search, date.today())
        if writes.started_from is not None:
            await _count_referral(conn, writes.started_from, "started", date.today())
        if writes.shown:
            await _count_shown(conn, writes.shown, date.today())
        if writes.update_id is not None:
            await conn.execute(
                "UPDATE inbox SET payload = NULL, done = 1 WHERE update_id = ?",
                (writes.update_id,),
            )
    if deleted:
        await db.checkpoint()


# --- sessions ---


async def load_sessions(db: Database, max_idle_seconds: float) -> dict[int, bytes]:
    """Every conversation still within its idle limit (older ones are the purge job's)."""
    cutoff = clock.now() - max_idle_seconds
    async with db.conn.execute(
        "SELECT user_id, data FROM sessions WHERE updated_at >= ?", (cutoff,)
    ) as cursor:
        return {row[0]: row[1].encode() for row in await cursor.fetchall()}


async def idle_sessions(db: Database, max_idle_seconds: float) -> list[tuple[int, bytes]]:
    """Conversations quiet for longer than allowed: to be ended with one gentle line."""
    cutoff = clock.now() - max_idle_seconds
    async with db.conn.execute(
        "SELECT user_id, data FROM sessions WHERE updated_at < ?", (cutoff,)
    ) as cursor:
        return [(row[0], row[1].encode()) for row in await cursor.fetchall()]


async def end_sessions(db: Database, user_ids: Sequence[int]) -> None:
    """Drop these conversations, and leave no copy of them in the WAL."""
    if not user_ids:
        return
    async with db.transaction() as conn:
        await conn.executemany(
            "DELETE FROM sessions WHERE user_id = ?", [(user_id,) for user_id in user_ids]
        )
    await db.checkpoint()


# --- message ids, for /clear ---


async def record_messages(db: Database, chat_id: int, message_ids: Iterable[int]) -> None:
    """Remember message ids of a private chat outside an update (jobs)."""
    stamp = clock.now()
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
        return [row[0] for row in await cursor.fetchall()]


async def forget_user(db: Database, user_id: int) -> None:
    """Drop everything stored about one user (outside an update: a blocked bot)."""
    await commit_turn(db, TurnWrites(user_id=user_id, forget=True))


async def rows_about_user(db: Database, user_id: int) -> int:
    """How many rows mention this user anywhere: what /clear and /forget must bring to 0."""
    total = 0
    for sql in (
        "SELECT COUNT(*) FROM sessions WHERE user_id = ?",
        "SELECT COUNT(*) FROM chat_messages WHERE chat_id = ?",
    ):
        async with db.conn.execute(sql, (user_id,)) as cursor:
            row = await cursor.fetchone()
            total += row[0] if row else 0
    return total


async def purge_expired(db: Database, retention_seconds: float) -> int:
    """Drop message ids past Telegram's deletion window and handled inbox rows; returns how
    many rows went. The WAL is emptied every time, because handled updates held her words."""
    stamp = clock.now()
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "DELETE FROM chat_messages WHERE sent_at < ?", (stamp - retention_seconds,)
        )
        gone = cursor.rowcount
        # Telegram re-delivers an update for at most 24 hours; after that an id is history.
        cursor = await conn.execute(
            "DELETE FROM inbox WHERE done = 1 AND received_at < ?", (stamp - 24 * 3600,)
        )
        gone += cursor.rowcount
    await db.checkpoint()
    return gone


# --- the inbox: updates stored before Telegram is told they arrived ---


@dataclass(frozen=True)
class StoredUpdate:
    update_id: int
    payload: bytes
    lane: str


async def store_updates(
    db: Database, updates: Sequence[tuple[int, bytes, str]], confirmed_below: int | None
) -> list[int]:
    """Store fetched updates (id, JSON, lane) before they are confirmed; returns the ids that
    are new (a re-delivered update is stored and handled once). Ids below `confirmed_below`
    will never come again: their rows go."""
    stamp = clock.now()
    new: list[int] = []
    async with db.transaction() as conn:
        for update_id, payload, lane in updates:
            cursor = await conn.execute(
                "INSERT INTO inbox (update_id, payload, lane, received_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(update_id) DO NOTHING",
                (update_id, payload.decode(), lane, stamp),
            )
            if cursor.rowcount:
                new.append(update_id)
        if confirmed_below is not None:
            await conn.execute(
                "DELETE FROM inbox WHERE done = 1 AND update_id < ?", (confirmed_below,)
            )
    return new


async def unhandled_updates(db: Database) -> list[StoredUpdate]:
    """Updates stored but never handled (the bot stopped or died): SOS lane first.

    Each start counts an attempt, so an update that kills the process every time it is
    handled is skipped after a few starts instead of killing every restart.
    """
    async with db.transaction() as conn:
        await conn.execute("UPDATE inbox SET attempts = attempts + 1 WHERE done = 0")
        async with conn.execute(
            "SELECT update_id, payload, lane FROM inbox WHERE done = 0"
            " ORDER BY lane = 'sos' DESC, update_id"
        ) as cursor:
            rows = await cursor.fetchall()
    return [StoredUpdate(row[0], (row[1] or "").encode(), row[2]) for row in rows]


async def poisoned_updates(db: Database, max_attempts: int) -> list[int]:
    """Ids of stored updates tried too often; they are dropped (content and all)."""
    async with db.transaction() as conn:
        async with conn.execute(
            "SELECT update_id FROM inbox WHERE done = 0 AND attempts > ?", (max_attempts,)
        ) as cursor:
            ids = [row[0] for row in await cursor.fetchall()]
        await conn.executemany(
            "UPDATE inbox SET payload = NULL, done = 1 WHERE update_id = ?", [(i,) for i in ids]
        )
    return ids


async def skip_update(db: Database, update_id: int) -> None:
    """Mark an update handled without handling it (it could not be read)."""
    async with db.transaction() as conn:
        await conn.execute(
            "UPDATE inbox SET payload = NULL, done = 1 WHERE update_id = ?", (update_id,)
        )


async def pending_count(db: Database) -> int:
    """Updates stored and not yet handled."""
    async with db.conn.execute("SELECT COUNT(*) FROM inbox WHERE done = 0") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


# --- statistics: counts only ---


async def _count_search(conn: aiosqlite.Connection, search: SearchCount, day: date) -> None:
    """One row per need, and one under ALL_NEEDS for the search itself, so that searches per
    region can be counted even when a search asked for several needs."""
    await conn.executemany(
        "INSERT INTO search_stats (day, region_id, need, searches, nothing_local)"
        " VALUES (?, ?, ?, 1, ?) ON CONFLICT(day, region_id, need) DO UPDATE SET"
        " searches = searches + 1, nothing_local = nothing_local + excluded.nothing_local",
        [
            (day.isoformat(), search.region, need, int(search.nothing_local))
            for need in (ALL_NEEDS, *search.needs)
        ],
    )
    if search.source:
        await _count_referral(conn, search.source, "results", day)


async def _count_referral(conn: aiosqlite.Connection, source: str, what: str, day: date) -> None:
    column = "started" if what == "started" else "reached_results"
    await conn.execute(
        f"INSERT INTO referral_stats (day, source, {column}) VALUES (?, ?, 1)"
        f" ON CONFLICT(day, source) DO UPDATE SET {column} = {column} + 1",
        (day.isoformat(), source),
    )


async def count_search(db: Database, search: SearchCount, day: date | None = None) -> None:
    """Add one search to the daily counts (outside an update: tests, tools)."""
    async with db.transaction() as conn:
        await _count_search(conn, search, day or date.today())


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


@dataclass(frozen=True)
class ReferralCount:
    day: str
    source: str
    started: int
    reached_results: int


async def referral_counts(db: Database, since: date) -> list[ReferralCount]:
    """Conversations started from each staff link and how many reached results, per day."""
    async with db.conn.execute(
        "SELECT day, source, started, reached_results FROM referral_stats WHERE day >= ?"
        " ORDER BY day DESC, source",
        (since.isoformat(),),
    ) as cursor:
        return [ReferralCount(*tuple(row)) for row in await cursor.fetchall()]


async def _count_shown(conn: aiosqlite.Connection, center_ids: list[str], day: date) -> None:
    await conn.executemany(
        "INSERT INTO center_shown (day, center_id, shown) VALUES (?, ?, 1)"
        " ON CONFLICT(day, center_id) DO UPDATE SET shown = shown + 1",
        [(day.isoformat(), center_id) for center_id in center_ids],
    )


async def shown_counts(db: Database, since: date) -> dict[str, int]:
    """How often each center's card was shown from `since` on (counts only, no one)."""
    async with db.conn.execute(
        "SELECT center_id, SUM(shown) FROM center_shown WHERE day >= ? GROUP BY center_id",
        (since.isoformat(),),
    ) as cursor:
        return {row[0]: int(row[1]) for row in await cursor.fetchall()}


async def prune_shown(db: Database, before: date) -> None:
    """Drop card counts older than they are needed."""
    async with db.transaction() as conn:
        await conn.execute("DELETE FROM center_shown WHERE day < ?", (before.isoformat(),))
