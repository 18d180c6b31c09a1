"""Staff link sources made with /link: only these are counted by name in /stats."""

from __future__ import annotations

from bot.services import Services
from bot.storage.referrals import OTHER_SOURCE, add_source

__all__ = ["OTHER_SOURCE", "link_made"]


async def link_made(services: Services, source: str) -> None:
    """A staffer made a link with this source: count conversations from it by name."""
    await add_source(await services.database(), source)
