"""Committing one update's unit of work: everything it changed, and the inbox row that says
it was handled, in one transaction."""

from __future__ import annotations

from bot.services import Services
from bot.storage import state
from bot.storage.state import SearchCount, TurnWrites

__all__ = ["SearchCount", "TurnWrites", "commit"]


async def commit(services: Services, writes: TurnWrites) -> None:
    """Write what one update changed and mark it handled, in one trip to the database."""
    await state.commit_turn(await services.database(), writes)
