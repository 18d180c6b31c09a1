"""A mother's search: matching off the event loop, the whole entries of the cards she will
see, and the count kept for the statistics (once per distinct search, never who)."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
from collections.abc import Callable, Sequence

import msgspec

from bot.core.answers import Answers
from bot.core.matching import MatchResult, Query
from bot.core.model import Center
from bot.core.session import Session
from bot.services import Services
from bot.storage.state import SearchCount


async def search_with_cards(
    services: Services, query: Query, cards_of: Callable[[MatchResult], Sequence[str]]
) -> tuple[MatchResult, dict[str, Center]]:
    """Her search, and the whole entries of the cards `cards_of` names (the page she is on).
    An admin may change the catalog between the search and the read: then the search runs
    once more on the new one."""
    for _attempt in range(2):
        # Off the event loop: with a big catalog a search takes milliseconds, and every
        # other mother's update must not wait for it.
        result = await asyncio.to_thread(services.matcher.match, query)
        wanted = cards_of(result)
        centers = await services.full_centers(wanted)
        if all(center_id in centers for center_id in wanted):
            break
    else:
        # Still changing under her: show the cards that could be read, never one that cannot.
        kept = tuple(m for m in result.matches if m.center.id in centers)
        result = dataclasses.replace(result, matches=kept)
    return result, centers


def _signature(answers: Answers) -> str:
    """Which search this is, so that one search is counted once (no user in it)."""
    given = msgspec.structs.replace(answers, language=None)
    return hashlib.sha256(msgspec.json.encode(given)).hexdigest()[:16]


def count_once(session: Session, query: Query, result: MatchResult) -> SearchCount | None:
    """The count of this search for the statistics, or None when it was counted already (a
    new page, a tap back). A conversation from a staff link "reached results" once, at its
    first search."""
    signature = _signature(session.answers)
    if session.counted == signature:
        return None
    first = not session.counted
    session.counted = signature
    return SearchCount(
        region=query.location.region,
        needs=tuple(sorted(query.needs)),
        nothing_local=result.local_count == 0,
        source=session.source if first else "",
    )
