"""The live line in SQLite: consultants on duty, open cases, message ids for reply routing,
blocked senders (a keyed hash, never an id) and outcome counts.

Nothing here holds what anyone wrote. Her chat id is in `live_cases` only while her case is
open; ending a case deletes its row (its message ids go with it, by the foreign key), and
the caller then empties the WAL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.storage.db import Database


@dataclass(frozen=True)
class ConsultantRow:
    user_id: int
    name: str
    lang: str
    on_duty: bool


@dataclass(frozen=True)
class CaseRow:
    number: int
    chat_id: int
    lang: str
    region: str
    consultant: int | None
    opened_at: float
    last_at: float
    told_waiting: bool


_CASE_COLUMNS = "number, chat_id, lang, region, consultant, opened_at, last_at, told_waiting"


def _case(row: Sequence[Any]) -> CaseRow:
    values = tuple(row)
    return CaseRow(
        number=int(values[0]), chat_id=int(values[1]), lang=str(values[2]),
        region=str(values[3]), consultant=None if values[4] is None else int(values[4]),
        opened_at=float(values[5]), last_at=float(values[6]), told_waiting=bool(values[7]),
    )  # fmt: skip


# --- consultants ---


async def consultant(db: Database, user_id: int) -> ConsultantRow | None:
    async with db.conn.execute(
        "SELECT user_id, display_name, lang, on_duty FROM live_consultants WHERE user_id = ?",
        (user_id,),
    ) as cursor:
        row = await cursor.fetchone()
    return None if row is None else ConsultantRow(row[0], row[1], row[2], bool(row[3]))


async def save_consultant(
    db: Database, user_id: int, *, lang: str, name: str | None = None, on_duty: bool | None = None
) -> None:
    """Create or change a consultant: their language always, name and duty when given."""
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO live_consultants (user_id, display_name, lang, on_duty)"
            " VALUES (?, ?, ?, 0) ON CONFLICT(user_id) DO UPDATE SET lang = excluded.lang",
            (user_id, name or "", lang),
        )
        if name is not None:
            await conn.execute(
                "UPDATE live_consultants SET display_name = ? WHERE user_id = ?", (name, user_id)
            )
        if on_duty is not None:
            await conn.execute(
                "UPDATE live_consultants SET on_duty = ? WHERE user_id = ?",
                (int(on_duty), user_id),
            )


async def on_duty(db: Database) -> list[ConsultantRow]:
    async with db.conn.execute(
        "SELECT user_id, display_name, lang, on_duty FROM live_consultants"
        " WHERE on_duty = 1 AND display_name != '' ORDER BY display_name, user_id"
    ) as cursor:
        return [ConsultantRow(r[0], r[1], r[2], True) for r in await cursor.fetchall()]


# --- cases ---


async def open_case(db: Database, chat_id: int, lang: str, region: str, stamp: float) -> CaseRow:
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "INSERT INTO live_cases (chat_id, lang, region, opened_at, last_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (chat_id, lang, region, stamp, stamp),
        )
        number = int(cursor.lastrowid or 0)
    return CaseRow(number, chat_id, lang, region, None, stamp, stamp, False)


async def case(db: Database, number: int) -> CaseRow | None:
    async with db.conn.execute(
        f"SELECT {_CASE_COLUMNS} FROM live_cases WHERE number = ?", (number,)
    ) as cursor:
        row = await cursor.fetchone()
    return None if row is None else _case(row)


async def case_of_chat(db: Database, chat_id: int) -> CaseRow | None:
    async with db.conn.execute(
        f"SELECT {_CASE_COLUMNS} FROM live_cases WHERE chat_id = ?", (chat_id,)
    ) as cursor:
        row = await cursor.fetchone()
    return None if row is None else _case(row)


async def open_cases(db: Database) -> list[CaseRow]:
    async with db.conn.execute(f"SELECT {_CASE_COLUMNS} FROM live_cases ORDER BY number") as cur:
        return [_case(row) for row in await cur.fetchall()]


async def take(db: Database, number: int, consultant_id: int, stamp: float) -> bool:
    """The first to take a waiting case gets it; False when it is gone or already taken."""
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "UPDATE live_cases SET consultant = ?, last_at = ?"
            " WHERE number = ? AND consultant IS NULL",
            (consultant_id, stamp, number),
        )
        return cursor.rowcount == 1


async def hand_over(db: Database, number: int, consultant_id: int, stamp: float) -> None:
    async with db.transaction() as conn:
        await conn.execute(
            "UPDATE live_cases SET consultant = ?, last_at = ? WHERE number = ?",
            (consultant_id, stamp, number),
        )


async def touch(db: Database, number: int, stamp: float) -> None:
    async with db.transaction() as conn:
        await conn.execute("UPDATE live_cases SET last_at = ? WHERE number = ?", (stamp, number))


async def set_told_waiting(db: Database, numbers: list[int], told: bool, stamp: float) -> None:
    """Mark the "nobody has taken it yet" line as sent (or, to wait again, as not sent)."""
    async with db.transaction() as conn:
        await conn.executemany(
            "UPDATE live_cases SET told_waiting = ?, opened_at = CASE WHEN ? THEN opened_at"
            " ELSE ? END WHERE number = ?",
            [(int(told), int(told), stamp, number) for number in numbers],
        )


async def end_case(db: Database, number: int, outcome: str, day: date) -> CaseRow | None:
    """Delete the case (its link to her chat and every message id of it) and count how it
    ended, in one transaction. The caller empties the WAL afterwards."""
    async with db.transaction() as conn:
        async with conn.execute(
            f"SELECT {_CASE_COLUMNS} FROM live_cases WHERE number = ?", (number,)
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        ended = _case(row)
        await conn.execute("DELETE FROM live_messages WHERE case_number = ?", (number,))
        await conn.execute("DELETE FROM live_waiting WHERE case_number = ?", (number,))
        await conn.execute("DELETE FROM live_cases WHERE number = ?", (number,))
        await conn.execute(
            "INSERT INTO live_outcomes (day, region, outcome, cases) VALUES (?, ?, ?, 1)"
            " ON CONFLICT(day, region, outcome) DO UPDATE SET cases = cases + 1",
            (day.isoformat(), ended.region, outcome),
        )
    return ended


# --- message ids in consultants' chats, for reply routing ---


async def add_messages(
    db: Database, number: int, consultant_id: int, message_ids: list[int], *, offer: bool = False
) -> None:
    async with db.transaction() as conn:
        await conn.executemany(
            "INSERT OR REPLACE INTO live_messages (consultant, message_id, case_number, offer)"
            " VALUES (?, ?, ?, ?)",
            [(consultant_id, mid, number, int(offer)) for mid in message_ids],
        )


async def case_of_message(db: Database, consultant_id: int, message_id: int) -> int | None:
    async with db.conn.execute(
        "SELECT case_number FROM live_messages WHERE consultant = ? AND message_id = ?",
        (consultant_id, message_id),
    ) as cursor:
        row = await cursor.fetchone()
    return None if row is None else int(row[0])


async def offers(db: Database, number: int) -> list[tuple[int, int]]:
    """(consultant, message id) of every request message of a case."""
    async with db.conn.execute(
        "SELECT consultant, message_id FROM live_messages WHERE case_number = ? AND offer = 1",
        (number,),
    ) as cursor:
        return [(int(r[0]), int(r[1])) for r in await cursor.fetchall()]


# --- her messages written before anyone took the case: their ids in her chat, no text ---


async def hold_waiting(db: Database, number: int, message_id: int, most: int) -> bool:
    """Remember one of her waiting messages (at most `most` per case); False when full.
    A message handled twice (a restart mid-update) is remembered once."""
    async with db.transaction() as conn:
        async with conn.execute(
            "SELECT COUNT(*) FROM live_waiting WHERE case_number = ?", (number,)
        ) as cursor:
            row = await cursor.fetchone()
        if row is not None and int(row[0]) >= most:
            return False
        await conn.execute(
            "INSERT OR IGNORE INTO live_waiting (case_number, message_id) VALUES (?, ?)",
            (number, message_id),
        )
    return True


async def waiting_messages(db: Database, number: int) -> list[int]:
    """Her waiting messages' ids, in the order she wrote them."""
    async with db.conn.execute(
        "SELECT message_id FROM live_waiting WHERE case_number = ? ORDER BY message_id",
        (number,),
    ) as cursor:
        return [int(r[0]) for r in await cursor.fetchall()]


async def drop_waiting(db: Database, number: int) -> None:
    async with db.transaction() as conn:
        await conn.execute("DELETE FROM live_waiting WHERE case_number = ?", (number,))


# --- blocked senders: a keyed hash only ---


async def block(db: Database, sender: str, stamp: float) -> None:
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT OR IGNORE INTO live_blocked (sender, blocked_at) VALUES (?, ?)",
            (sender, stamp),
        )


async def is_blocked(db: Database, sender: str) -> bool:
    async with db.conn.execute("SELECT 1 FROM live_blocked WHERE sender = ?", (sender,)) as cur:
        return await cur.fetchone() is not None


async def hash_key(db: Database, generated: str) -> str:
    """The key blocked senders are hashed with: stored once, `generated` on first use."""
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT OR IGNORE INTO live_keys (name, value) VALUES ('sender_hash', ?)", (generated,)
        )
        async with conn.execute("SELECT value FROM live_keys WHERE name = 'sender_hash'") as cur:
            row = await cur.fetchone()
    assert row is not None
    return str(row[0])


# --- outcome counts ---


@dataclass(frozen=True)
class OutcomeCount:
    day: str
    region: str
    outcome: str
    cases: int


async def outcome_counts(db: Database, since: date) -> list[OutcomeCount]:
    async with db.conn.execute(
        "SELECT day, region, outcome, cases FROM live_outcomes WHERE day >= ?"
        " ORDER BY day DESC, region, outcome",
        (since.isoformat(),),
    ) as cursor:
        return [OutcomeCount(r[0], r[1], r[2], int(r[3])) for r in await cursor.fetchall()]
