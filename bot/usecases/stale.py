"""Which entries to phone first: not confirmed by phone or by the center for N days.

Entries known from public sources only come first (old or undated sources before fresh
ones), then by how often mothers were shown them in the last 30 days: a wrong number on a
card many see hurts most. The counts are per day and center, never per person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from bot.core.codes import Checked, Status
from bot.core.model import Catalog, Center, CenterHead, Directory, source_is_old
from bot.services import Services
from bot.storage.state import prune_shown, shown_counts

SHOWN_DAYS = 30
# Card counts are needed for 30 days; a little longer is kept for a late look.
_KEEP_SHOWN_DAYS = 60


@dataclass(frozen=True)
class Stale:
    """An entry to confirm, and how often mothers saw it lately."""

    center: Center | CenterHead
    shown: int


def stale_entries(
    catalog: Catalog | Directory, today: date, days: int, shown: dict[str, int]
) -> list[Stale]:
    """Entries not confirmed by phone or by the center for `days` days, most urgent first:
    desk-only ones (those whose newest source is old or undated first), then the most shown.
    Closed entries are nobody's card any more."""
    cutoff = today - timedelta(days=days)
    confirmed = (Checked.PHONED, Checked.CENTER)
    found = [
        Stale(c, shown.get(c.id, 0))
        for c in catalog.centers
        if c.status != Status.CLOSED
        and not (c.provenance.verified_how in confirmed and c.provenance.verified_at >= cutoff)
    ]
    return sorted(
        found,
        key=lambda s: (
            s.center.provenance.verified_how != Checked.DESK,
            not source_is_old(s.center.provenance.newest_source, today),
            -s.shown,
            s.center.id,
        ),
    )


async def entries_to_confirm(services: Services, days: int) -> list[Stale]:
    """The stale entries of the running catalog today, most urgent first."""
    today = date.today()
    db = await services.database()
    shown = await shown_counts(db, today - timedelta(days=SHOWN_DAYS - 1))
    return stale_entries(services.catalog, today, days, shown)


async def weekly_entries_to_confirm(services: Services, days: int) -> list[Stale]:
    """The weekly list; card counts older than it needs are dropped at the same time."""
    items = await entries_to_confirm(services, days)
    await prune_shown(await services.database(), date.today() - timedelta(days=_KEEP_SHOWN_DAYS))
    return items
