"""Keeping nothing longer than needed: the periodic purge of rows past their use."""

from __future__ import annotations

from bot.core import clock
from bot.services import Services
from bot.storage import state
from bot.usecases.stats import STAFF_LINK_DAYS, since


async def purge_expired(services: Services) -> int:
    """Drop message ids past Telegram's deletion window, handled inbox rows and staff-link
    counts older than /stats reads, in one transaction; how many rows went. The WAL is
    emptied every time, because handled updates held her words."""
    db = await services.database()
    retention = services.settings.message_retention_hours * 3600
    async with db.transaction() as conn:
        gone = await state.purge_expired(conn, clock.now(), retention, since(STAFF_LINK_DAYS))
    await db.checkpoint()
    return gone
