"""Reports of a wrong entry: recorded without anyone's name, listed for admins, resolved.

A report keeps the center, the reason, her optional words and the day only; resolving it
deletes it with her words (`bot.storage.reports` empties the WAL after).
"""

from __future__ import annotations

from datetime import date

from bot.core.codes import ReportReason
from bot.services import Services
from bot.storage import reports
from bot.storage.reports import Report


async def record_report(
    services: Services, center_id: str, reason: ReportReason, words: str
) -> int:
    """Keep a mother's report about an entry (nothing about her); its number."""
    db = await services.database()
    return await reports.add_report(db, center_id, reason, words.strip(), date.today())


async def open_reports(services: Services) -> list[Report]:
    """The reports no admin has resolved yet, oldest first."""
    return await reports.open_reports(await services.database())


async def resolve_report(services: Services, number: int, *, update_id: int | None = None) -> bool:
    """An admin handled a report: it goes, with her words; False when there is none."""
    return await reports.resolve_report(await services.database(), number, update_id=update_id)
