"""What admins and staff may know about the bot's use: counts per day, region, need and
staff link; never a user."""

from __future__ import annotations

from datetime import date, timedelta

from bot.services import Services
from bot.storage.referrals import ReferralTotal, referral_totals
from bot.storage.state import SearchCounts, search_counts

# /stats for staff counts the conversations started from each staff link over these days;
# the purge drops older counts.
STAFF_LINK_DAYS = 30


def since(days: int) -> date:
    """The first day of the last `days` days, today included."""
    return date.today() - timedelta(days=days - 1)


async def searches_of_last_days(services: Services, days: int) -> SearchCounts:
    """Searches of the last `days` days: in total, per region and need, and how many found
    nothing near her."""
    return await search_counts(await services.database(), since(days))


async def staff_link_totals(services: Services, days: int) -> list[ReferralTotal]:
    """Per staff link made with /link (the rest together): conversations started from it in
    the last `days` days and how many reached results, the most started first."""
    return await referral_totals(await services.database(), since(days))
