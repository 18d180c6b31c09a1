"""Staff link sources and their counts, for /link and /stats."""

from __future__ import annotations

from datetime import date

from bot.services import Services
from bot.storage.referrals import OTHER_SOURCE, ReferralTotal, add_source, referral_totals

__all__ = ["OTHER_SOURCE", "ReferralTotal", "link_made", "totals_since"]


async def link_made(services: Services, source: str) -> None:
    """A staffer made a link with this source: count conversations from it by name."""
    await add_source(await services.database(), source)


async def totals_since(services: Services, since: date) -> list[ReferralTotal]:
    """Conversations per source since `since`, the most started first."""
    return await referral_totals(await services.database(), since)
