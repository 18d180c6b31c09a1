"""Every change to a center, stored with the change itself: when, who, which field, what it
was and what it became, and the whole entry before and after, so that /undo restores it
exactly.

A change and its history rows are written in one transaction, together with anything else
the same action must do (dropping an approved proposal), and the catalog's revision is
bumped so every process sees it. "Who" is an admin ("Telegram admin <id>") or a center
through its invite, approved by an admin; never a mother.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import aiosqlite

from bot.catalog.store import (
    decode_center,
    delete_center,
    encode_entry,
    put_center,
    revision_in,
    stored_center,
    write_catalog,
)
from bot.core import clock
from bot.core.model import Catalog, Center
from bot.storage.applied import claim
from bot.storage.db import Database

# The field name of rows that are not one field: a new entry, a file upload.
CREATED = "created"
UPLOADED = "file"


@dataclass(frozen=True)
class Step:
    """One field of one change: the entry before and after (None: it did not exist / is gone)."""

    field: str
    old: str
    new: str
    before: Center | None
    after: Center | None


@dataclass(frozen=True)
class Change:
    """One row of an entry's history."""

    id: int
    center_id: str
    kind: str  # "edit" or "undo"
    field: str
    old: str
    new: str
    who: str
    at: float
    undone: bool


@dataclass(frozen=True)
class Revisions:
    """The catalog's revision before and after a change: the bot switches to its new catalog
    in memory only when nobody else changed it in between."""

    before: int
    after: int


class UndoError(Exception):
    """Undo is not possible; `code` is "nothing" or "changed_elsewhere"."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _doc(center: Center | None) -> str | None:
    return encode_entry(center).decode() if center is not None else None


async def _insert(
    conn: aiosqlite.Connection, center_id: str, kind: str, step: Step, who: str, at: float
) -> None:
    await conn.execute(
        "INSERT INTO catalog_changes (center_id, kind, field, old_value, new_value, before_doc,"
        " after_doc, who, changed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            center_id,
            kind,
            step.field,
            step.old,
            step.new,
            _doc(step.before),
            _doc(step.after),
            who,
            at,
        ),
    )


Then = Callable[[aiosqlite.Connection], Awaitable[None]]


async def save(
    db: Database,
    center_id: str,
    steps: Sequence[Step],
    who: str,
    then: Then | None = None,
    *,
    update_id: int | None = None,
) -> Revisions:
    """Store the entry as the last step leaves it, one history row per step, and whatever
    `then` does, all in one transaction; `AlreadyApplied` if `update_id` did it before."""
    stamp = clock.now()
    async with db.transaction() as conn:
        await claim(conn, update_id)
        before = await revision_in(conn)
        final = steps[-1].after
        if final is None:
            await delete_center(conn, center_id)
        else:
            await put_center(conn, final)
        for step in steps:
            await _insert(conn, center_id, "edit", step, who, stamp)
        if then is not None:
            await then(conn)
        after = await revision_in(conn)
    return Revisions(before, after)


async def save_upload(
    db: Database, old: Catalog, new: Catalog, who: str, *, update_id: int | None = None
) -> Revisions:
    """Swap the whole catalog for an uploaded one, recording each center it changes;
    `AlreadyApplied` if `update_id` did it before."""
    stamp = clock.now()
    async with db.transaction() as conn:
        await claim(conn, update_id)
        before = await revision_in(conn)
        await write_catalog(conn, new)
        for center_id in sorted({c.id for c in old.centers} | {c.id for c in new.centers}):
            was, becomes = old.center(center_id), new.center(center_id)
            if was != becomes:
                step = Step(
                    UPLOADED,
                    "—" if was is None else "…",
                    "—" if becomes is None else "…",
                    was,
                    becomes,
                )
                await _insert(conn, center_id, "edit", step, who, stamp)
        after = await revision_in(conn)
    return Revisions(before, after)


def _change(row: aiosqlite.Row) -> Change:
    return Change(
        id=row["id"],
        center_id=row["center_id"],
        kind=row["kind"],
        field=row["field"],
        old=row["old_value"],
        new=row["new_value"],
        who=row["who"],
        at=row["changed_at"],
        undone=bool(row["undone"]),
    )


async def history(db: Database, center_id: str) -> list[Change]:
    """Every change of one entry, newest first."""
    async with db.conn.execute(
        "SELECT * FROM catalog_changes WHERE center_id = ? ORDER BY id DESC", (center_id,)
    ) as cursor:
        return [_change(row) for row in await cursor.fetchall()]


@dataclass(frozen=True)
class Undone:
    """What /undo reverted, and the entry as it is again (None: the entry is gone again)."""

    change: Change
    restored: Center | None
    revisions: Revisions


async def undo_last(
    db: Database, center_id: str, who: str, *, update_id: int | None = None
) -> Undone:
    """Revert the newest change of an entry that is not undone yet; the undo is recorded too.
    `AlreadyApplied` if `update_id` did it before: an /undo handled twice must not revert
    the change before the one it reverted.

    Refused when the entry was changed since without history (a command-line import), since
    restoring the old entry would silently throw that change away.
    """
    stamp = clock.now()
    async with db.transaction() as conn:
        await claim(conn, update_id)
        before = await revision_in(conn)
        async with conn.execute(
            "SELECT * FROM catalog_changes WHERE center_id = ? AND kind = 'edit' AND undone = 0"
            " ORDER BY id DESC LIMIT 1",
            (center_id,),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            raise UndoError("nothing")
        change = _change(row)
        was = decode_center(row["before_doc"]) if row["before_doc"] is not None else None
        became = decode_center(row["after_doc"]) if row["after_doc"] is not None else None
        current = await stored_center(conn, center_id)
        if current != became:
            raise UndoError("changed_elsewhere")
        if was is None:
            await delete_center(conn, center_id)
        else:
            await put_center(conn, was)
        step = Step(change.field, change.new, change.old, current, was)
        await _insert(conn, center_id, "undo", step, who, stamp)
        await conn.execute("UPDATE catalog_changes SET undone = 1 WHERE id = ?", (change.id,))
        after = await revision_in(conn)
    return Undone(change, was, Revisions(before, after))
