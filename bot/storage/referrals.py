"""Staff link sources: the ones made with /link, and how many conversations each started.

Anyone can type `?start=ru_almaty_<anything>`; counting every such name would let one
person fill /stats and the database with rows. Only a source a staffer made with /link is
counted by name (see `state._count_referral`); the rest are counted together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.core import clock
from bot.storage.db import Database
from bot.storage.state import OTHER_SOURCE

__all__ = ["OTHER_SOURCE", "ReferralTotal", "add_source", "referral_totals"]


async def add_source(db: Database, source: str) -> None:
    """Remember a source made with /link, so conversations started from it are counted."""
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO referral_sources (source, created_at) VALUES (?, ?)"
            " ON CONFLICT(source) DO NOTHING",
            (source, clock.now()),
        )


@dataclass(frozen=True)
class ReferralTotal:
    """Conversations started from one source since a day, and how many reached results."""

    source: str
    started: int
    reached_results: int


async def referral_totals(db: Database, since: date) -> list[ReferralTotal]:
    """Per source since `since`, the most started first."""
    async with db.conn.execute(
        "SELECT source, SUM(started) AS started, SUM(reached_results) AS reached"
        " FROM referral_stats WHERE day >= ? GROUP BY source ORDER BY started DESC, source",
        (since.isoformat(),),
    ) as cursor:
        rows = await cursor.fetchall()
    return [ReferralTotal(row[0], int(row[1]), int(row[2])) for row in rows]
