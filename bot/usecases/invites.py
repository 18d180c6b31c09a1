"""Centers confirm their own entries: one-time links, what a center sends, an admin's
approval.

Nothing a center sends is published by itself: it waits as a proposal until an admin
approves it; only then is the entry changed, with "confirmed by the center" on the day the
center said so, and the proposal dropped in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import aiosqlite

from bot.catalog.changes import ChangeError, Err, Field, Stamp, admin_who, apply_change
from bot.catalog.history import Step
from bot.core.codes import Checked
from bot.core.model import Center
from bot.services import Services
from bot.storage import invites
from bot.storage.invites import Proposal
from bot.usecases.editing import change_step, closed_reason, save_change

# How long a link works, in days (the admin is told).
INVITE_DAYS = invites.INVITE_DAYS


def center_who(admin: int) -> str:
    """How a center's own word, approved by an admin, is named in the entry and history."""
    return f"center via invite, approved by {admin_who(admin)}"


def center_stamp(day: date, who: str = "center") -> Stamp:
    """A change the center itself states (checked against the data files' rules)."""
    return Stamp(day, who, Checked.CENTER, closed_reason(day))


async def new_invite(
    services: Services, center_id: str, admin: int, *, update_id: int | None = None
) -> str:
    """A one-time link's start payload for this center's coordinator."""
    return await invites.create_invite(
        await services.database(), center_id, admin_who(admin), update_id=update_id
    )


async def use_invite_link(services: Services, payload: str) -> Center | None:
    """The entry a valid, unused, unexpired link is for (the link is used up at once);
    None for anything else."""
    center_id = await invites.use_invite(await services.database(), payload)
    return await services.full_center(center_id) if center_id else None


async def send_proposal(services: Services, center_id: str, changes: list[tuple[str, str]]) -> int:
    """Keep what a center sent (no changes: "all is correct") for an admin; its number."""
    return await invites.add_proposal(await services.database(), center_id, changes, date.today())


async def waiting_proposals(services: Services) -> list[Proposal]:
    """Every proposal waiting for an admin, oldest first."""
    return await invites.proposals(await services.database())


async def reject_proposal(services: Services, number: int, *, update_id: int | None = None) -> bool:
    """Drop a proposal without using it; False when none waits under this number."""
    return await invites.reject_proposal(await services.database(), number, update_id=update_id)


@dataclass(frozen=True)
class Approval:
    """What approving a proposal did: nothing waited, its center is gone (the proposal is
    dropped), a value is refused (nothing changed), or the entry as it now is."""

    waited: bool
    center: Center | None = None
    refused: ChangeError | None = None


async def approve_proposal(
    services: Services, number: int, admin: int, *, update_id: int | None = None
) -> Approval:
    """Publish what a center sent: its values, and "confirmed by the center" on its day."""
    db = await services.database()
    item = await invites.proposal(db, number)
    if item is None:
        return Approval(waited=False)
    center = await services.full_center(item.center_id)
    if center is None:
        await invites.reject_proposal(db, number, update_id=update_id)
        return Approval(waited=True)
    stamp = center_stamp(item.day, center_who(admin))
    steps: list[Step] = []
    now = center
    for name, value in (*item.changes, (Field.VERIFIED.value, Checked.CENTER.value)):
        chosen = Field(name)
        try:
            changed = apply_change(now, chosen, value, stamp)
        except ChangeError as error:
            if error.code is Err.SAME:
                continue
            return Approval(waited=True, center=center, refused=error)
        steps.append(change_step(now, changed, chosen))
        now = changed

    async def drop(conn: aiosqlite.Connection) -> None:
        await invites.drop_proposal(conn, number)

    if steps:
        await save_change(services, center.id, steps, stamp.who, then=drop, update_id=update_id)
    else:
        await invites.reject_proposal(db, number, update_id=update_id)
    return Approval(waited=True, center=now)
