"""What the tests read straight from the bot's SQLite file (the bot itself never needs it)."""

from __future__ import annotations

from bot.core import clock
from bot.storage.db import Database


async def _count(db: Database, sql: str, *args: object) -> int:
    async with db.conn.execute(sql, args) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def rows_about_user(db: Database, user_id: int) -> int:
    """How many rows mention this user anywhere: what /clear and /forget must bring to 0."""
    sessions = await _count(db, "SELECT COUNT(*) FROM sessions WHERE user_id = ?", user_id)
    messages = await _count(db, "SELECT COUNT(*) FROM chat_messages WHERE chat_id = ?", user_id)
    return sessions + messages


async def pending_count(db: Database) -> int:
    """Updates stored and not yet handled."""
    return await _count(db, "SELECT COUNT(*) FROM inbox WHERE done = 0")


async def stored_sessions(db: Database, max_idle_seconds: float) -> dict[int, bytes]:
    """Every stored conversation within its idle limit, as JSON."""
    async with db.conn.execute(
        "SELECT user_id, data FROM sessions WHERE updated_at >= ?",
        (clock.now() - max_idle_seconds,),
    ) as cursor:
        return {row[0]: str(row[1]).encode() for row in await cursor.fetchall()}
