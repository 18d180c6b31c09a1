"""What admins and staff may know about the bot's use: counts per day, region, need and
staff link; never a user."""

from __future__ import annotations

from datetime import date, timedelta

from bot.services import Services
from bot.storage.state import ReferralCount, SearchCounts, referral_counts, search_counts


def _since(days: int) -> date:
    """The first day of the last `days` days, today included."""
    return date.today() - timedelta(days=days - 1)


async def searches_of_last_days(services: Services, days: int) -> SearchCounts:
    """Searches of the last `days` days: in total, per region and need, and how many found
    nothing near her."""
    return await search_counts(await services.database(), _since(days))


async def staff_links_of_last_days(services: Services, days: int) -> list[ReferralCount]:
    """Per staff link and day: conversations started from it and how many reached results."""
    return await referral_counts(await services.database(), _since(days))
