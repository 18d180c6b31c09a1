"""The durable inbox: updates stored before Telegram is told they arrived, and what a
restart finds in it (done, started and not done, never started)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.services import Services
from bot.storage import state
from bot.storage.state import StoredUpdate

__all__ = ["StoredUpdate", "give_up_poisoned", "mark_started", "skip", "store", "unhandled"]


async def store(
    services: Services,
    updates: Sequence[tuple[int, str, str]],
    confirmed_below: int | None,
    started: Sequence[int] = (),
) -> list[int]:
    """Store a fetched batch (id, JSON, lane) in one transaction; the ids that are new."""
    return await state.store_updates(await services.database(), updates, confirmed_below, started)


async def mark_started(services: Services, update_ids: Sequence[int]) -> None:
    """Handling these updates began: a durable mark, so a restart can tell them apart."""
    await state.mark_started(await services.database(), update_ids)


async def unhandled(services: Services) -> list[StoredUpdate]:
    """What a previous run stored and did not finish: SOS lane first."""
    return await state.unhandled_updates(await services.database())


async def give_up_poisoned(services: Services, max_attempts: int) -> list[int]:
    """Drop the updates the process died with `max_attempts` times; their ids."""
    return await state.poisoned_updates(await services.database(), max_attempts)


async def skip(services: Services, update_id: int) -> None:
    """Mark an update done without handling it (it cannot be read)."""
    await state.skip_update(await services.database(), update_id)
