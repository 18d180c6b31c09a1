"""What the bot keeps about conversations: sessions, message ids, the inbox, daily counts.

Everything one update writes is written by `commit_turn` in one transaction (one trip to
the database thread): her session, the ids of the messages exchanged (for /clear), the
search counts and the inbox row of the update itself. Every row about a person has a time,
so the purge job can drop it when it is no longer needed; `forget` drops all of it at once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

import aiosqlite

from bot.core import clock
from bot.storage.applied import purge_applied
from bot.storage.db import Database

# The need code under which a whole search is counted once.
ALL_NEEDS = "*"
# Where conversations from start links with a source not made by /link are counted (not a
# valid source name, so it never collides with one).
OTHER_SOURCE = "*"


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
    # Other updates whose handling began since the last write: their durable "started"
    # mark rides along with this commit (see `bot.tg.processor`).
    started: list[int] = field(default_factory=list)
    checkpoint: bool = False  # empty the WAL after the commit (something about her went)


def commit_turn_sync(conn: sqlite3.Connection, writes: TurnWrites) -> None:
    """The statements of `commit_turn`, run inside its transaction in the database thread."""
    stamp = clock.now()
    today = date.today().isoformat()
    user = writes.user_id
    deleted = writes.forget or writes.end_session
    if user is not None and deleted:
        conn.execute("DELETE FROM sessions WHERE user_id = ?", (user,))
    if user is not None and writes.forget:
        # In a private chat the chat id is the user id.
        conn.execute("DELETE FROM chat_messages WHERE chat_id = ?", (user,))
    elif writes.chat_id is not None and writes.message_ids:
        conn.executemany(
            "INSERT OR IGNORE INTO chat_messages (chat_id, message_id, sent_at) VALUES (?, ?, ?)",
            [(writes.chat_id, message_id, stamp) for message_id in writes.message_ids],
        )
    if user is not None and writes.session is not None and not deleted:
        conn.execute(
            "INSERT INTO sessions (user_id, data, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT(user_id) DO UPDATE SET data = excluded.data,"
            " updated_at = excluded.updated_at",
            (user, writes.session.decode(), stamp),
        )
    for search in writes.searches:
        _count_search(conn, search, today)
    if writes.started_from is not None:
        _count_referral(conn, writes.started_from, "started", today)
    if writes.shown:
        conn.executemany(
            "INSERT INTO center_shown (day, center_id, shown) VALUES (?, ?, 1)"
            " ON CONFLICT(day, center_id) DO UPDATE SET shown = shown + 1",
            [(today, center_id) for center_id in writes.shown],
        )
    _mark_started(conn, writes.started)
    if writes.update_id is not None:
        conn.execute(
            "UPDATE inbox SET payload = NULL, done = 1 WHERE update_id = ?", (writes.update_id,)
        )


async def commit_turn(db: Database, writes: TurnWrites) -> None:
    """Write one update's changes in one transaction and one trip to the database thread;
    checkpoint after anything about her is deleted."""
    await db.run_transaction(lambda conn: commit_turn_sync(conn, writes))
    if writes.forget or writes.end_session or writes.checkpoint:
        await db.checkpoint()


# --- sessions ---


async def live_session_users(db: Database, max_idle_seconds: float) -> set[int]:
    """Who has a conversation still within its idle limit (older ones are the purge job's)."""
    cutoff = clock.now() - max_idle_seconds
    async with db.conn.execute(
        "SELECT user_id FROM sessions WHERE updated_at >= ?", (cutoff,)
    ) as cursor:
        return {row[0] for row in await cursor.fetchall()}


async def load_session(db: Database, user_id: int) -> bytes | None:
    """Her stored conversation, when she comes back after it left memory."""
    async with db.conn.execute("SELECT data FROM sessions WHERE user_id = ?", (user_id,)) as cursor:
        row = await cursor.fetchone()
    return str(row[0]).encode() if row else None


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


async def purge_expired(
    conn: aiosqlite.Connection, now: float, retention_seconds: float, stats_since: date
) -> int:
    """Inside the caller's transaction, drop message ids past Telegram's deletion window,
    handled inbox rows and staff-link counts older than /stats looks; how many rows went.
    The caller empties the WAL after the commit (handled updates held her words)."""
    cursor = await conn.execute(
        "DELETE FROM chat_messages WHERE sent_at < ?", (now - retention_seconds,)
    )
    gone = cursor.rowcount
    # Telegram re-delivers an update for at most 24 hours; after that an id is history.
    cursor = await conn.execute(
        "DELETE FROM inbox WHERE done = 1 AND received_at < ?", (now - 24 * 3600,)
    )
    gone += cursor.rowcount
    # /stats adds up only the last days; an older row (a day's count per source) is never
    # read again.
    cursor = await conn.execute(
        "DELETE FROM referral_stats WHERE day < ?", (stats_since.isoformat(),)
    )
    gone += cursor.rowcount
    gone += await purge_applied(conn, now)
    return gone


# --- the inbox: updates stored before Telegram is told they arrived ---


@dataclass(frozen=True)
class StoredUpdate:
    update_id: int
    payload: bytes
    lane: str
    # Starts during which its handling began and did not finish (0: never started).
    attempts: int


def _mark_started(conn: sqlite3.Connection, update_ids: Sequence[int]) -> None:
    if update_ids:
        conn.executemany(
            "UPDATE inbox SET attempts = attempts + 1 WHERE update_id = ? AND done = 0",
            [(update_id,) for update_id in update_ids],
        )


async def store_updates(
    db: Database,
    updates: Sequence[tuple[int, str, str]],
    confirmed_below: int | None,
    started: Sequence[int] = (),
) -> list[int]:
    """Store fetched updates (id, JSON, lane) before they are confirmed, in one transaction;
    returns the ids that are new (a re-delivered update is stored and handled once). Ids
    below `confirmed_below` will never come again: their rows go. `started` are updates whose
    handling began since the last write (their mark rides along)."""
    stamp = clock.now()

    def work(conn: sqlite3.Connection) -> list[int]:
        new: list[int] = []
        for update_id, payload, lane in updates:
            cursor = conn.execute(
                "INSERT INTO inbox (update_id, payload, lane, received_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(update_id) DO NOTHING",
                (update_id, payload, lane, stamp),
            )
            if cursor.rowcount:
                new.append(update_id)
        _mark_started(conn, started)
        if confirmed_below is not None:
            conn.execute("DELETE FROM inbox WHERE done = 1 AND update_id < ?", (confirmed_below,))
        return new

    return await db.run_transaction(work)


async def mark_started(db: Database, update_ids: Sequence[int]) -> None:
    """Record that handling these updates began (when no other write carries the mark)."""
    await db.run_transaction(lambda conn: _mark_started(conn, update_ids))


async def unhandled_updates(db: Database) -> list[StoredUpdate]:
    """Updates stored but never handled (the bot stopped or died): SOS lane first. Each
    says how often its handling began: 0 means it never started."""
    async with db.conn.execute(
        "SELECT update_id, payload, lane, attempts FROM inbox WHERE done = 0"
        " ORDER BY lane = 'sos' DESC, update_id"
    ) as cursor:
        rows = await cursor.fetchall()
    return [StoredUpdate(row[0], (row[1] or "").encode(), row[2], row[3]) for row in rows]


async def poisoned_updates(db: Database, max_attempts: int) -> list[int]:
    """Ids of stored updates whose handling began `max_attempts` times and never finished:
    the process died with each of them. They are dropped (content and all)."""

    def work(conn: sqlite3.Connection) -> list[int]:
        ids = [
            row[0]
            for row in conn.execute(
                "SELECT update_id FROM inbox WHERE done = 0 AND attempts >= ?", (max_attempts,)
            )
        ]
        conn.executemany(
            "UPDATE inbox SET payload = NULL, done = 1 WHERE update_id = ?", [(i,) for i in ids]
        )
        return ids

    return await db.run_transaction(work)


async def skip_update(db: Database, update_id: int) -> None:
    """Mark an update handled without handling it (it could not be read)."""
    await db.run_transaction(
        lambda conn: conn.execute(
            "UPDATE inbox SET payload = NULL, done = 1 WHERE update_id = ?", (update_id,)
        )
    )


# --- statistics: counts only ---


def _count_search(conn: sqlite3.Connection, search: SearchCount, day: str) -> None:
    """One row per need, and one under ALL_NEEDS for the search itself, so that searches per
    region can be counted even when a search asked for several needs."""
    conn.executemany(
        "INSERT INTO search_stats (day, region_id, need, searches, nothing_local)"
        " VALUES (?, ?, ?, 1, ?) ON CONFLICT(day, region_id, need) DO UPDATE SET"
        " searches = searches + 1, nothing_local = nothing_local + excluded.nothing_local",
        [
            (day, search.region, need, int(search.nothing_local))
            for need in (ALL_NEEDS, *search.needs)
        ],
    )
    if search.source:
        _count_referral(conn, search.source, "results", day)


def _count_referral(conn: sqlite3.Connection, source: str, what: str, day: str) -> None:
    column = "started" if what == "started" else "reached_results"
    conn.execute(
        # Only a source made with /link is counted by name; any other (a start link anyone
        # can type) under OTHER_SOURCE, so made-up sources add no rows.
        f"INSERT INTO referral_stats (day, source, {column}) SELECT ?, COALESCE("
        f"(SELECT source FROM referral_sources WHERE source = ?), '{OTHER_SOURCE}'), 1"
        f" WHERE true ON CONFLICT(day, source) DO UPDATE SET {column} = {column} + 1",
        (day, source),
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
