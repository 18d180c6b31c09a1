"""Changing the catalog from Telegram: one field, a new entry, a whole upload, an undo.

Each use case validates (like the data files, `bot.catalog.changes`), stores the change with
its history rows in one transaction (`bot.catalog.history`), and switches every search to
the changed catalog at once. They raise `ChangeError` / `UndoError` for what is refused and
return the entry as it now is; saying so is the handler's part.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import date

from bot.catalog import history
from bot.catalog.changes import (
    Field,
    Locate,
    NewCenter,
    Stamp,
    Where,
    admin_who,
    apply_change,
    create_center,
    new_center_id,
    value_text,
)
from bot.catalog.history import CREATED, Change, Revisions, Step, Then, Undone
from bot.core.codes import Checked, Coverage
from bot.core.model import Catalog, Center, Localized
from bot.i18n import N_, translator
from bot.services import Services

_LOGGER = logging.getLogger(__name__)
_NATIONAL_WORDS = frozenset({"national", "kazakhstan", "казахстан", "қазақстан", "kz"})
# What a status other than active says when an admin gives no reason.
CLOSED_REASON = N_("Marked as closed on {date}.")


def closed_reason(day: date) -> Localized:
    """The neutral reason kept with a status set without one, in both languages."""
    text = {
        lang: translator(lang)._(CLOSED_REASON).format(date=day.strftime("%d.%m.%Y"))
        for lang in ("kk", "ru")
    }
    return Localized(kk=text["kk"], ru=text["ru"])


def admin_stamp(admin: int, how: Checked = Checked.PHONED, day: date | None = None) -> Stamp:
    """An admin changes the catalog now; `how` says how the facts were learned."""
    today = day or date.today()
    return Stamp(today=today, who=admin_who(admin), how=how, closed_reason=closed_reason(today))


def locator(services: Services) -> Locate:
    """Reads a place as an admin types it: an id, a name in any spelling, or national."""
    catalog, gazetteer = services.catalog, services.gazetteer

    def locate(text: str) -> Where | None:
        key = text.strip().lower()
        if key in _NATIONAL_WORDS:
            return Where(Coverage.NATIONAL)
        place = catalog.place(key)
        if place is not None:
            return Where(Coverage.CITY, place.region, place.id)
        region = catalog.region(key)
        location = gazetteer.region_location(region.id) if region else gazetteer.resolve(text)
        if location is None:
            return None
        if location.place is not None:
            return Where(Coverage.CITY, location.region, location.place)
        return Where(Coverage.REGION, location.region)

    return locate


def change_step(before: Center, after: Center, field: Field) -> Step:
    """A history step for one field."""
    return Step(field.value, value_text(before, field), value_text(after, field), before, after)


async def _adopt(
    services: Services, revisions: Revisions, center_id: str, center: Center | None
) -> None:
    """Switch every search to the changed catalog at once: in memory when nobody else changed
    the catalog in between, else by reading it again."""
    if revisions.before != services.catalog_revision:
        await services.reload_catalog()
        return
    directory = services.catalog
    # Re-sorting a big directory takes a while: in a thread, like the indexes.
    changed = (
        await asyncio.to_thread(directory.without, center_id)
        if center is None
        else await asyncio.to_thread(directory.with_center, center)
    )
    await services.use_catalog(changed)
    services.catalog_revision = revisions.after


async def save_change(
    services: Services,
    center_id: str,
    steps: Sequence[Step],
    author: str,
    then: Then | None = None,
    *,
    update_id: int | None = None,
) -> None:
    """Store a change with its history (and whatever `then` does) in one transaction, and
    make it live. `update_id`, the update that asks for it, is recorded in the same
    transaction: handled again (after a crash), it raises `AlreadyApplied` and changes
    nothing (`bot.storage.applied`)."""
    revisions = await history.save(
        await services.database(), center_id, steps, author, then, update_id=update_id
    )
    await _adopt(services, revisions, center_id, steps[-1].after)
    _LOGGER.info("An entry was changed from Telegram (%d field(s))", len(steps))


async def edit_field(
    services: Services,
    center: Center,
    field: Field,
    raw: str,
    stamp: Stamp,
    *,
    update_id: int | None = None,
) -> Center:
    """Set one field from a typed value, store it and make it live; the entry as it now is.
    Raises `ChangeError` (and changes nothing) for a value that cannot be taken."""
    changed = apply_change(center, field, raw, stamp, locator(services))
    step = change_step(center, changed, field)
    await save_change(services, center.id, [step], stamp.who, update_id=update_id)
    return changed


def id_for_new_center(services: Services, new: NewCenter) -> str:
    """The id a new center gets: from its place and name, unique in the catalog."""
    return new_center_id(new, {c.id for c in services.catalog.centers})


async def add_center(
    services: Services, new: NewCenter, stamp: Stamp, lang: str, *, update_id: int | None = None
) -> Center:
    """Create a center from the /add dialog's answers, store it with its history row (named
    in `lang`) and make it live. Raises `ChangeError` for what the data files refuse."""
    center = create_center(new, id_for_new_center(services, new), stamp)
    step = Step(CREATED, "—", center.name.get(lang), None, center)
    await save_change(services, center.id, [step], stamp.who, update_id=update_id)
    return center


async def import_catalog(
    services: Services, catalog: Catalog, author: str, *, update_id: int | None = None
) -> None:
    """Replace the whole catalog with a validated upload, each changed center in its history,
    and switch the running bot to it."""
    db = await services.database()
    await history.save_upload(
        db, await services.full_catalog(), catalog, author, update_id=update_id
    )
    await services.reload_catalog()


async def center_history(services: Services, center_id: str) -> list[Change]:
    """Every change of one entry, newest first."""
    return await history.history(await services.database(), center_id)


async def entry_exists_or_existed(services: Services, center_id: str) -> bool:
    """An entry that exists, or existed (a removed one can come back with an undo)."""
    if services.catalog.center(center_id) is not None:
        return True
    return bool(await center_history(services, center_id))


async def undo_last_change(
    services: Services, center_id: str, admin: int, *, update_id: int | None = None
) -> Undone:
    """Revert the entry's last change (the undo is recorded too) and make it live.
    Raises `UndoError` when there is nothing to undo or it would lose a change made since;
    `AlreadyApplied` when this update undid it before (an undo handled twice would revert
    the change before it too)."""
    done = await history.undo_last(
        await services.database(), center_id, admin_who(admin), update_id=update_id
    )
    await _adopt(services, done.revisions, center_id, done.restored)
    return done
