"""Reports of a wrong entry, from anyone: which center, what is wrong, her optional words, the
day. Nothing else: no id, no name, no username, no time of day (a time could be matched with
the times of her messages). Her words are deleted with the report when an admin resolves it,
and the WAL is emptied so no copy stays in the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.core.codes import ReportReason
from bot.storage.applied import claim
from bot.storage.db import Database

# Her words are a hint for the admins, not a letter: a few sentences at most.
MAX_REPORT_TEXT = 500


@dataclass(frozen=True)
class Report:
    id: int
    center_id: str
    reason: ReportReason
    text: str
    day: date


async def add_report(
    db: Database, center_id: str, reason: ReportReason, text: str, day: date
) -> int:
    """Store a report; returns its number."""
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "INSERT INTO reports (center_id, reason, text, day) VALUES (?, ?, ?, ?)",
            (center_id, str(reason), text[:MAX_REPORT_TEXT], day.isoformat()),
        )
        number = cursor.lastrowid
    assert number is not None
    return number


async def open_reports(db: Database) -> list[Report]:
    """Every report not resolved yet, oldest first."""
    async with db.conn.execute(
        "SELECT id, center_id, reason, text, day FROM reports ORDER BY id"
    ) as cursor:
        rows = await cursor.fetchall()
    return [
        Report(row[0], row[1], ReportReason(row[2]), row[3], date.fromisoformat(row[4]))
        for row in rows
    ]


async def resolve_report(db: Database, number: int, *, update_id: int | None = None) -> bool:
    """Delete a report with her words, and leave no copy in the WAL; False if there is none,
    `AlreadyApplied` if `update_id` resolved it before."""
    async with db.transaction() as conn:
        await claim(conn, update_id)
        cursor = await conn.execute("DELETE FROM reports WHERE id = ?", (number,))
        gone = cursor.rowcount > 0
    if gone:
        await db.checkpoint()
    return gone
