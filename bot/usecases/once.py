"""An admin's command changes the catalog or the bot's state once, however often it arrives.

Telegram (or the bot's own inbox after a crash) can hand the same update over again when
its change was stored but its handling was not yet marked done. Every such change records
the update's id in its own transaction (`bot.storage.applied`); a handler asks here first and
answers a repeated update without doing it again.
"""

from __future__ import annotations

from bot.services import Services
from bot.storage.applied import AlreadyApplied, was_applied

__all__ = ["AlreadyApplied", "applied_before"]


async def applied_before(services: Services, update_id: int | None) -> bool:
    """True when this update's change is stored already."""
    return await was_applied(await services.database(), update_id)
