"""The live line: a mother talks to an on-duty consultant through the bot, neither seeing the
other's account.

Use cases own their transactions and keep `Services.live` (the in-memory mirror of open
cases) in step with SQLite. What anyone wrote never passes through here: only case numbers,
chat ids of open cases, message ids and counts.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from bot.core import clock
from bot.core.live import Outcome
from bot.services import Services
from bot.storage import live as store
from bot.storage import state
from bot.storage.live import CaseRow, ConsultantRow, OutcomeCount

# Nobody took her request within this many seconds: she is told so, once per wait.
NOT_TAKEN_SECONDS = 180.0
# Display names: a first name or two, as she will see them.
MAX_NAME = 32

Case = CaseRow
Consultant = ConsultantRow


# --- consultants ---


async def consultant(services: Services, user_id: int) -> Consultant | None:
    return await store.consultant(await services.database(), user_id)


def clean_name(text: str) -> str | None:
    """A display name as typed, or None when it cannot be one (empty, too long, a command)."""
    name = " ".join(text.split())
    if not name or len(name) > MAX_NAME or name.startswith("/") or "<" in name:
        return None
    return name


async def set_name(services: Services, user_id: int, name: str, lang: str) -> None:
    await store.save_consultant(await services.database(), user_id, lang=lang, name=name)


async def set_duty(services: Services, user_id: int, on: bool, lang: str) -> list[Consultant]:
    """Go on or off duty; returns everyone on duty afterwards."""
    db = await services.database()
    await store.save_consultant(db, user_id, lang=lang, on_duty=on)
    return await store.on_duty(db)


async def on_duty(services: Services) -> list[Consultant]:
    return await store.on_duty(await services.database())


# --- her side ---


class Opened(StrEnum):
    OPENED = "opened"
    ALREADY = "already"  # she has an open case: it goes on
    BLOCKED = "blocked"  # a consultant blocked this sender


@dataclass(frozen=True)
class Request:
    result: Opened
    case: Case | None
    on_duty: list[Consultant]


async def _sender_hash(services: Services, user_id: int) -> str:
    key = services.settings.live_hash_key
    if not key:
        key = await store.hash_key(await services.database(), secrets.token_hex(32))
    return hmac.new(key.encode(), str(user_id).encode(), hashlib.sha256).hexdigest()


async def request(
    services: Services, chat_id: int, user_id: int, lang: str, region: str
) -> Request:
    """She asks for a person: open a case (unless one is open, or the sender is blocked)."""
    db = await services.database()
    existing = await store.case_of_chat(db, chat_id)
    if existing is not None:
        return Request(Opened.ALREADY, existing, [])
    if await store.is_blocked(db, await _sender_hash(services, user_id)):
        return Request(Opened.BLOCKED, None, [])
    case = await store.open_case(db, chat_id, lang, region, clock.now())
    services.live.open(case.number, chat_id)
    return Request(Opened.OPENED, case, await store.on_duty(db))


async def case_of_chat(services: Services, chat_id: int) -> Case | None:
    return await store.case_of_chat(await services.database(), chat_id)


async def case(services: Services, number: int) -> Case | None:
    return await store.case(await services.database(), number)


async def record_offers(services: Services, number: int, sent: list[tuple[int, int]]) -> None:
    """The request messages sent to consultants (to edit them once someone takes it)."""
    db = await services.database()
    for consultant_id, message_id in sent:
        await store.add_messages(db, number, consultant_id, [message_id], offer=True)


async def offers(services: Services, number: int) -> list[tuple[int, int]]:
    """(consultant, message id) of the request messages of a case."""
    return await store.offers(await services.database(), number)


async def waiting(services: Services) -> list[Case]:
    """Cases nobody has taken yet, oldest first."""
    return [c for c in await store.open_cases(await services.database()) if c.consultant is None]


async def wait_again(services: Services, number: int) -> None:
    """She keeps waiting: the "not taken yet" line may come once more, later."""
    await store.set_told_waiting(await services.database(), [number], False, clock.now())


async def hold_waiting(services: Services, number: int, message_id: int, most: int) -> bool:
    """One of her messages while nobody has taken the case: its id is kept with the case
    (never its text), so it reaches whoever takes it, across restarts. False: too many."""
    return await store.hold_waiting(await services.database(), number, message_id, most)


async def waiting_messages(services: Services, number: int) -> list[int]:
    return await store.waiting_messages(await services.database(), number)


async def drop_waiting(services: Services, number: int) -> None:
    """Her waiting messages were passed on: their ids go."""
    await store.drop_waiting(await services.database(), number)


async def is_case_message(services: Services, consultant_id: int, message_id: int) -> bool:
    """Whether a message in a consultant's chat belongs to a case (a reply to it answers her)."""
    number = await store.case_of_message(await services.database(), consultant_id, message_id)
    return number is not None


# --- the consultant's side ---


@dataclass(frozen=True)
class Taken:
    case: Case | None  # None: the case is gone (ended)
    won: bool  # this consultant got it
    by: Consultant | None  # who holds it
    offers: list[tuple[int, int]]  # request messages to edit: (consultant, message id)


async def take(services: Services, number: int, consultant_id: int) -> Taken:
    """The first tap on «Take» wins."""
    db = await services.database()
    won = await store.take(db, number, consultant_id, clock.now())
    current = await store.case(db, number)
    if current is None:
        return Taken(None, False, None, [])
    if won:
        services.live.hold(number, consultant_id)
    holder = await store.consultant(db, current.consultant) if current.consultant else None
    return Taken(current, won, holder, await store.offers(db, number))


class Route(StrEnum):
    FOUND = "found"
    NONE_OPEN = "none"  # they hold no case
    WHICH = "which"  # several cases and no reply to say which
    NOT_HELD = "not_held"  # a reply to a case someone else holds now, or one that ended


@dataclass(frozen=True)
class Routed:
    route: Route
    case: Case | None = None


async def route(services: Services, consultant_id: int, replied_to: int | None) -> Routed:
    """Which of their cases a consultant's message is for: the case of the message they
    replied to, else their only open case."""
    db = await services.database()
    held = services.live.cases_of(consultant_id)
    if replied_to is not None:
        number = await store.case_of_message(db, consultant_id, replied_to)
        if number is not None:
            if number not in held:
                return Routed(Route.NOT_HELD)
            found = await store.case(db, number)
            return Routed(Route.FOUND, found) if found else Routed(Route.NOT_HELD)
    if not held:
        return Routed(Route.NONE_OPEN)
    if len(held) > 1:
        return Routed(Route.WHICH)
    found = await store.case(db, next(iter(held)))
    return Routed(Route.FOUND, found) if found else Routed(Route.NONE_OPEN)


async def delivered(
    services: Services,
    number: int,
    *,
    consultant_id: int | None = None,
    consultant_messages: Sequence[int] = (),
    her_chat: int | None = None,
    her_messages: Sequence[int] = (),
) -> None:
    """Messages of a case were delivered: ids in the consultant's chat route replies; ids in
    her chat are remembered for /clear; the case is alive (for the idle end)."""
    db = await services.database()
    if consultant_id is not None and consultant_messages:
        await store.add_messages(db, number, consultant_id, list(consultant_messages))
        await state.record_messages(db, consultant_id, consultant_messages)
    if her_chat is not None and her_messages:
        await state.record_messages(db, her_chat, her_messages)
    await store.touch(db, number, clock.now())


async def hand_over(services: Services, number: int, to_consultant: int) -> Consultant | None:
    """/transfer: the case goes to another consultant on duty; returns them (None: not on
    duty or no name)."""
    db = await services.database()
    target = next((c for c in await store.on_duty(db) if c.user_id == to_consultant), None)
    if target is None or await store.case(db, number) is None:
        return None
    await store.hand_over(db, number, to_consultant, clock.now())
    services.live.hold(number, to_consultant)
    return target


async def end(services: Services, number: int, outcome: Outcome) -> Case | None:
    """Close a case: its link to her chat and its message ids are deleted, the outcome is
    counted (day, region, outcome), and the WAL is emptied. None when it had ended already."""
    db = await services.database()
    ended = await store.end_case(db, number, str(outcome), date.today())
    services.live.close(number)
    await db.checkpoint()
    return ended


async def block_and_end(services: Services, number: int) -> Case | None:
    """Block the sender of a case (a keyed hash of her id, never the id) and end the case."""
    db = await services.database()
    found = await store.case(db, number)
    if found is None:
        return None
    await store.block(db, await _sender_hash(services, found.chat_id), clock.now())
    return await end(services, number, Outcome.BLOCKED)


# --- timers (the job queue runs them; their state is in SQLite, so they survive restarts) ---


async def not_taken(services: Services) -> list[Case]:
    """Waiting cases nobody took within NOT_TAKEN_SECONDS and not told yet; marked told."""
    db = await services.database()
    cutoff = clock.now() - NOT_TAKEN_SECONDS
    due = [
        c for c in await store.open_cases(db)
        if c.consultant is None and not c.told_waiting and c.opened_at <= cutoff
    ]  # fmt: skip
    await store.set_told_waiting(db, [c.number for c in due], True, clock.now())
    return due


async def idle(services: Services) -> list[Case]:
    """Cases quiet for LIVE_IDLE_MINUTES (the caller tells both sides, then ends them)."""
    db = await services.database()
    cutoff = clock.now() - services.settings.live_idle_minutes * 60.0
    return [c for c in await store.open_cases(db) if c.last_at <= cutoff]


# --- statistics: counts only ---


async def outcome_counts(services: Services, since: date) -> list[OutcomeCount]:
    return await store.outcome_counts(await services.database(), since)
