"""Updates whose change is stored: an admin's command is applied once, however often it comes.

After a crash between a change's commit and the commit of its update (the inbox row), the
update is handled again on restart. Every change that an update makes to the catalog or to
the bot's state records the update's id in its own transaction (`claim`); a second claim of
the same id fails, and the whole second transaction with it. Before handling, `was_applied`
lets the handler answer "already done" instead of starting again. Only update ids and the
time are stored: no user, no content.
"""

from __future__ import annotations

import aiosqlite

from bot.core import clock
from bot.storage.db import Database

# An update can wait in the inbox through a long outage; its mark must outlive that. Telegram
# reuses ids only after a week without any update, so a mark older than that is history.
KEEP_SECONDS = 7 * 86400


class AlreadyApplied(Exception):
    """This update's change is stored already; nothing was changed again."""


async def claim(conn: aiosqlite.Connection, update_id: int | None) -> None:
    """Record, in the caller's transaction, that this update's change is stored; raise
    `AlreadyApplied` (the caller's transaction rolls back) if it was before. None: a change
    made outside an update (a job, the command line), nothing to record."""
    if update_id is None:
        return
    cursor = await conn.execute(
        "INSERT INTO applied_updates (update_id, applied_at) VALUES (?, ?)"
        " ON CONFLICT(update_id) DO NOTHING",
        (update_id, clock.now()),
    )
    if not cursor.rowcount:
        raise AlreadyApplied(update_id)


async def was_applied(db: Database, update_id: int | None) -> bool:
    """True when this update's change is stored already."""
    if update_id is None:
        return False
    async with db.conn.execute(
        "SELECT 1 FROM applied_updates WHERE update_id = ?", (update_id,)
    ) as cursor:
        return await cursor.fetchone() is not None


async def purge_applied(conn: aiosqlite.Connection, now: float) -> int:
    """Drop marks older than any re-delivery; returns how many went."""
    cursor = await conn.execute(
        "DELETE FROM applied_updates WHERE applied_at < ?", (now - KEEP_SECONDS,)
    )
    return cursor.rowcount
