"""The catalog in SQLite: every entry is stored as its model's own JSON document.

The schema lives in `bot.core.model` only: msgspec encodes and decodes the structs, so
adding a field to a center never touches this module or a migration. Entries are written
after validation (data files, uploads, admin edits) and read back typed; the bot always
loads the catalog whole and matches in memory.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Sequence
from typing import Any, Literal

import aiosqlite
import msgspec

from bot.core.durations import StayDuration, parse_duration
from bot.core.model import (
    Catalog,
    Center,
    CenterHead,
    Directory,
    Hotline,
    Place,
    Region,
    head_of,
)
from bot.storage.db import Database

_KINDS = ("region", "place", "center", "hotline")
_CHUNK = 2000


def _encode_hook(value: Any) -> Any:
    if isinstance(value, StayDuration):
        return value.iso  # as the data file writes it
    raise NotImplementedError(f"cannot store {type(value).__name__}")


def _decode_hook(kind: type, value: Any) -> Any:
    if kind is StayDuration and isinstance(value, str):
        return parse_duration(value)
    raise NotImplementedError(f"cannot read {kind.__name__}")


_ENCODER = msgspec.json.Encoder(enc_hook=_encode_hook)
_DECODERS: dict[str, msgspec.json.Decoder[Any]] = {
    "region": msgspec.json.Decoder(Region, dec_hook=_decode_hook),
    "place": msgspec.json.Decoder(Place, dec_hook=_decode_hook),
    "center": msgspec.json.Decoder(Center, dec_hook=_decode_hook),
    "hotline": msgspec.json.Decoder(Hotline, dec_hook=_decode_hook),
}


def encode_entry(entry: Region | Place | Center | Hotline) -> bytes:
    """An entry as its JSON document (also what history records as old and new values)."""
    return _ENCODER.encode(entry)


def decode_center(doc: bytes | str) -> Center:
    """A center back from its JSON document."""
    center: Center = _DECODERS["center"].decode(doc)
    return center


_HEAD_DECODERS = _DECODERS | {"center": msgspec.json.Decoder(CenterHead, dec_hook=_decode_hook)}


def _decode_rows(
    rows: Iterable[Any], decoders: dict[str, msgspec.json.Decoder[Any]], found: dict[str, list[Any]]
) -> None:
    """Decode a chunk of (kind, JSON) rows; run in a thread, so a big catalog read never
    holds up the event loop for more than a moment."""
    for kind, doc in rows:
        found[kind].append(decoders[kind].decode(doc))


def _head(entry: Region | Place | Center | Hotline) -> str | None:
    """A center's head as stored beside its document (what the running bot loads)."""
    return _ENCODER.encode(head_of(entry)).decode() if isinstance(entry, Center) else None


def entry_rows(catalog: Catalog) -> list[tuple[str, str, int, str | None, str]]:
    """The catalog as rows of `catalog_entries` (kind, id, position, head, JSON)."""
    entries: list[tuple[str, Sequence[Region | Place | Center | Hotline]]] = [
        ("region", catalog.regions),
        ("place", catalog.places),
        ("center", catalog.centers),
        ("hotline", catalog.hotlines),
    ]
    return [
        (kind, entry.id, i, _head(entry), _ENCODER.encode(entry).decode())
        for kind, items in entries
        for i, entry in enumerate(items)
    ]


async def bump_revision(conn: aiosqlite.Connection) -> None:
    """Tell every process (the bot, the CLI) that the catalog changed."""
    await conn.execute(
        "UPDATE catalog_meta SET revision = revision + 1, changed_at = ? WHERE id = 1",
        (time.time(),),
    )


async def replace_catalog(db: Database, catalog: Catalog) -> None:
    """Swap the stored catalog for `catalog` atomically: on any error nothing changes."""
    async with db.transaction() as conn:
        await write_catalog(conn, catalog)


async def write_catalog(conn: aiosqlite.Connection, catalog: Catalog) -> None:
    """Swap the stored catalog for `catalog` inside the caller's transaction."""
    await bump_revision(conn)
    await conn.execute("DELETE FROM catalog_entries")
    await conn.executemany(
        "INSERT INTO catalog_entries (kind, id, position, head, doc) VALUES (?, ?, ?, ?, ?)",
        entry_rows(catalog),
    )


async def put_center(conn: aiosqlite.Connection, center: Center) -> None:
    """Add or replace one center inside the caller's transaction (admin edits)."""
    await conn.execute(
        "INSERT INTO catalog_entries (kind, id, position, head, doc)"
        " VALUES ('center', ?, 0, ?, ?)"
        " ON CONFLICT(kind, id) DO UPDATE SET head = excluded.head, doc = excluded.doc",
        (center.id, _head(center), _ENCODER.encode(center).decode()),  # text, as elsewhere
    )
    await bump_revision(conn)


async def delete_center(conn: aiosqlite.Connection, center_id: str) -> None:
    """Remove one center inside the caller's transaction (undoing its creation)."""
    await conn.execute("DELETE FROM catalog_entries WHERE kind = 'center' AND id = ?", (center_id,))
    await bump_revision(conn)


async def stored_center(conn: aiosqlite.Connection, center_id: str) -> Center | None:
    """One center as stored now, read inside the caller's transaction."""
    async with conn.execute(
        "SELECT doc FROM catalog_entries WHERE kind = 'center' AND id = ?", (center_id,)
    ) as cursor:
        row = await cursor.fetchone()
    return decode_center(row[0]) if row else None


async def revision_in(conn: aiosqlite.Connection) -> int:
    """The catalog's revision, read inside the caller's transaction."""
    async with conn.execute("SELECT revision FROM catalog_meta WHERE id = 1") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def catalog_revision(db: Database) -> int:
    """How many times the catalog has been changed; differs when anyone changed it."""
    async with db.conn.execute("SELECT revision FROM catalog_meta WHERE id = 1") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def catalog_is_empty(db: Database) -> bool:
    """True for a new database that has not been seeded yet."""
    async with db.conn.execute(
        "SELECT COUNT(*) FROM catalog_entries WHERE kind = 'region'"
    ) as cursor:
        row = await cursor.fetchone()
    return row is None or row[0] == 0


async def _read_entries(
    db: Database,
    center_column: Literal["doc", "head"],
    decoders: dict[str, msgspec.json.Decoder[Any]],
) -> dict[str, list[Any]]:
    """Every entry by kind, geography and hotlines in file order, centers by id; centers read
    from `center_column` ("doc" whole, "head" what matching reads)."""
    found: dict[str, list[Any]] = {kind: [] for kind in _KINDS}
    async with (
        db.reading() as conn,
        conn.execute(
            f"SELECT kind, CASE kind WHEN 'center' THEN {center_column} ELSE doc END"
            " FROM catalog_entries ORDER BY kind, position, id"
        ) as cursor,
    ):
        # In chunks, decoded in a thread: one trip to the database thread per chunk, a big
        # catalog never sits in memory twice (as text and as structs), and decoding it never
        # holds up the event loop for more than a moment.
        while rows := await cursor.fetchmany(_CHUNK):
            await asyncio.to_thread(_decode_rows, rows, decoders, found)
    found["center"].sort(key=lambda c: c.id)
    return found


async def load_catalog(db: Database) -> Catalog:
    """The stored catalog, whole: geography and hotlines in file order, centers by id."""
    found = await _read_entries(db, "doc", _DECODERS)
    return Catalog(
        tuple(found["region"]), tuple(found["place"]), tuple(found["center"]),
        tuple(found["hotline"]),
    )  # fmt: skip


async def load_directory(db: Database) -> Directory:
    """What the running bot keeps in memory: geography, hotlines, and each center's head.

    The head column comes before the document in each row, so SQLite reads it without
    reading the (much longer) document: 100,000 centers load in a second or two.
    """
    found = await _read_entries(db, "head", _HEAD_DECODERS)
    return Directory(
        tuple(found["region"]), tuple(found["place"]), tuple(found["center"]),
        tuple(found["hotline"]),
    )  # fmt: skip


async def load_centers(db: Database, center_ids: Sequence[str]) -> dict[str, Center]:
    """Whole centers by id (the cards of one page, an admin's entry)."""
    found: dict[str, Center] = {}
    for start in range(0, len(center_ids), 500):  # SQLite's limit on parameters is far above
        batch = list(center_ids[start : start + 500])
        marks = ", ".join("?" * len(batch))
        async with db.conn.execute(
            f"SELECT doc FROM catalog_entries WHERE kind = 'center' AND id IN ({marks})", batch
        ) as cursor:
            for (doc,) in await cursor.fetchall():
                center = decode_center(doc)
                found[center.id] = center
    return found
