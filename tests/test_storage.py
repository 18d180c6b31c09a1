"""The SQLite store: migrations, pragmas, file mode, the catalog (atomic, round trip), state."""

from __future__ import annotations

import dataclasses
import shutil
import sqlite3
import stat
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.catalog.files import load_catalog as load_catalog_files
from bot.catalog.files import read_catalog
from bot.catalog.writer import write_catalog
from bot.catalog.model import Catalog
from bot.services import DATA_DIR, open_seeded_database
from bot.storage import state
from bot.catalog.store import catalog_is_empty, load_catalog, replace_catalog
from bot.storage.db import BUSY_TIMEOUT_MS, Database
from bot.storage.migrations import open_database
from bot.storage.migrations import (
    LATEST_VERSION,
    MIGRATIONS,
    SchemaTooNewError,
    schema_version,
)

CATALOG_TABLES = {"regions", "places", "centers", "center_needs", "center_phones", "hotlines"}
STATE_TABLES = {"conversations", "user_data", "chat_messages", "search_stats"}


@pytest.fixture(scope="module")
def data_catalog() -> Catalog:
    return load_catalog_files(DATA_DIR)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await open_database(tmp_path / "bot.sqlite3")
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
async def seeded(tmp_path: Path) -> AsyncIterator[Database]:
    database = await open_seeded_database(tmp_path / "seeded.sqlite3")
    try:
        yield database
    finally:
        await database.close()


async def tables(db: Database) -> set[str]:
    async with db.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'") as cursor:
        return {row[0] for row in await cursor.fetchall()}


async def scalar(db: Database, sql: str) -> object:
    async with db.conn.execute(sql) as cursor:
        row = await cursor.fetchone()
    assert row is not None
    return row[0]


def tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


# --- migrations ---


async def test_empty_database_is_migrated_to_the_latest_version(tmp_path: Path) -> None:
    path = tmp_path / "var" / "new" / "bot.sqlite3"  # parent folders are created
    db = await open_database(path)
    try:
        assert await schema_version(db) == LATEST_VERSION
        assert CATALOG_TABLES | STATE_TABLES | {"schema_version"} <= await tables(db)
        assert await catalog_is_empty(db)
    finally:
        await db.close()


async def test_reopening_keeps_version_and_data(tmp_path: Path, data_catalog: Catalog) -> None:
    path = tmp_path / "bot.sqlite3"
    db = await open_database(path)
    try:
        await replace_catalog(db, data_catalog)
        await state.save_user_data(db, 7, {"lang": "kk", "age": 19})
    finally:
        await db.close()

    db = await open_database(path)
    try:
        assert await schema_version(db) == LATEST_VERSION
        # Every migration was applied once, not again on the second open.
        assert await scalar(db, "SELECT COUNT(*) FROM schema_version") == LATEST_VERSION
        assert await state.load_user_data(db) == {7: {"lang": "kk", "age": 19}}
        assert await load_catalog(db) == data_catalog
    finally:
        await db.close()


async def test_older_database_is_upgraded_and_keeps_its_data(tmp_path: Path) -> None:
    """A database written by a version that had only the first migration."""
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.executescript(MIGRATIONS[0])
        conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        conn.execute("INSERT INTO schema_version (version) VALUES (1)")
        conn.execute(
            "INSERT INTO regions (id, position, kind, name_kk, name_ru, admin_center)"
            " VALUES ('astana', 0, 'city', 'Астана', 'Астана', 'astana')"
        )
    conn.close()
    db = await open_database(path)
    try:
        assert await schema_version(db) == LATEST_VERSION
        assert await tables(db) >= STATE_TABLES
        assert await scalar(db, "SELECT name_ru FROM regions WHERE id = 'astana'") == "Астана"
    finally:
        await db.close()


async def test_database_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    db = await open_database(path)
    try:
        async with db.transaction() as conn:
            await conn.execute(
                "INSERT INTO schema_version (version) VALUES (?)", (LATEST_VERSION + 1,)
            )
    finally:
        await db.close()

    with pytest.raises(SchemaTooNewError) as caught:
        refused = await open_database(path)
        await refused.close()
    message = str(caught.value)
    assert str(path) in message
    assert f"schema version {LATEST_VERSION + 1}" in message
    assert f"up to {LATEST_VERSION}" in message
    assert "newer version" in message
    # Nothing was changed: the newer version is still recorded.
    with sqlite3.connect(path) as check:
        row = check.execute("SELECT MAX(version) FROM schema_version").fetchone()
    check.close()
    assert row == (LATEST_VERSION + 1,)


async def test_pragmas(db: Database) -> None:
    assert await scalar(db, "PRAGMA journal_mode") == "wal"
    assert await scalar(db, "PRAGMA foreign_keys") == 1
    assert await scalar(db, "PRAGMA busy_timeout") == BUSY_TIMEOUT_MS
    assert BUSY_TIMEOUT_MS >= 1000
    assert await scalar(db, "PRAGMA synchronous") == 1  # NORMAL
    assert await scalar(db, "PRAGMA secure_delete") == 1  # wiped rows are overwritten


def _all_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.iterdir() if p.is_file())


async def test_forgotten_answers_leave_no_trace_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    db = await open_database(path)
    try:
        await state.save_user_data(db, 5, {"answers": {"secret": "unforgettable-needle"}})
        await state.forget_user(db, 5)
    finally:
        await db.close()
    assert b"unforgettable-needle" not in _all_bytes(tmp_path)


async def test_database_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    db = await open_database(path)
    try:
        await state.save_user_data(db, 1, {"lang": "ru"})
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        wal = path.with_name(path.name + "-wal")
        if wal.exists():  # SQLite gives its side files the database file's mode
            assert stat.S_IMODE(wal.stat().st_mode) & 0o077 == 0
    finally:
        await db.close()


async def test_existing_readable_file_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    path.touch()
    path.chmod(0o644)
    db = await open_database(path)
    try:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    finally:
        await db.close()


# --- the catalog ---


async def test_seeding_loads_data_dir(seeded: Database, data_catalog: Catalog) -> None:
    assert not await catalog_is_empty(seeded)
    assert await load_catalog(seeded) == data_catalog
    assert await scalar(seeded, "SELECT COUNT(*) FROM centers") == 46
    assert await scalar(seeded, "SELECT COUNT(*) FROM regions") == 20
    assert await scalar(seeded, "SELECT COUNT(*) FROM hotlines") == 5


async def test_seeding_happens_only_on_an_empty_catalog(
    tmp_path: Path, data_catalog: Catalog
) -> None:
    path = tmp_path / "bot.sqlite3"
    smaller = dataclasses.replace(data_catalog, centers=data_catalog.centers[:3])
    db = await open_seeded_database(path)
    try:
        await replace_catalog(db, smaller)
    finally:
        await db.close()
    db = await open_seeded_database(path)
    try:
        assert await load_catalog(db) == smaller
    finally:
        await db.close()


async def test_export_of_the_seeded_database_reads_back_equal(
    seeded: Database, tmp_path: Path, data_catalog: Catalog
) -> None:
    write_catalog(await load_catalog(seeded), tmp_path / "export")
    catalog, problems = read_catalog(tmp_path / "export")
    assert problems == []
    assert catalog == data_catalog


async def test_export_import_export_is_byte_identical(
    seeded: Database, tmp_path: Path, data_catalog: Catalog
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    write_catalog(await load_catalog(seeded), first)

    fresh = await open_database(tmp_path / "fresh.sqlite3")
    try:
        assert await catalog_is_empty(fresh)
        await replace_catalog(fresh, load_catalog_files(first))
        imported = await load_catalog(fresh)
    finally:
        await fresh.close()
    write_catalog(imported, second)

    assert tree(first) == tree(second)
    assert len(tree(first)) == 2 + len(data_catalog.centers)
    assert imported == data_catalog


async def test_failure_in_the_middle_of_a_replace_rolls_back_everything(
    seeded: Database, data_catalog: Catalog
) -> None:
    """Ulytau is left out of the regions (and places) but its center stays: the FOREIGN KEY
    fails in the middle of the write, after the old rows were deleted and many new ones
    inserted."""
    before = await load_catalog(seeded)
    broken = dataclasses.replace(
        data_catalog,
        regions=tuple(r for r in data_catalog.regions if r.id != "ulytau"),
        places=tuple(p for p in data_catalog.places if p.region != "ulytau"),
    )
    orphan = [i for i, c in enumerate(broken.centers) if c.region == "ulytau"]
    assert orphan and 0 < orphan[0] < len(broken.centers) - 1
    with pytest.raises(sqlite3.IntegrityError):
        await replace_catalog(seeded, broken)
    assert await load_catalog(seeded) == before
    assert await scalar(seeded, "SELECT COUNT(*) FROM hotlines") == 5
    # The database is still usable: the lock was released and a good import works.
    smaller = dataclasses.replace(data_catalog, centers=data_catalog.centers[:1])
    await replace_catalog(seeded, smaller)
    assert await load_catalog(seeded) == smaller


async def test_replace_swaps_the_whole_catalog(seeded: Database, data_catalog: Catalog) -> None:
    first = data_catalog.centers[0]
    renamed = dataclasses.replace(
        first, name=dataclasses.replace(first.name, ru="Новое имя"), needs=("legal",)
    )
    changed = dataclasses.replace(data_catalog, centers=(renamed,))
    await replace_catalog(seeded, changed)
    loaded = await load_catalog(seeded)
    assert loaded == changed
    assert loaded.centers[0].name.ru == "Новое имя"
    assert await scalar(seeded, "SELECT COUNT(*) FROM center_needs") == 1


async def test_import_round_trip_with_an_id_that_prefixes_another(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    source = (data / "centers" / "ana-uyi-almaty.toml").read_text(encoding="utf-8")
    (data / "centers" / "ana-uyi.toml").write_text(
        source.replace('id = "ana-uyi-almaty"', 'id = "ana-uyi"'), encoding="utf-8"
    )
    from_files = load_catalog_files(data)
    assert from_files.center("ana-uyi") is not None
    db = await open_database(tmp_path / "bot.sqlite3")
    try:
        await replace_catalog(db, from_files)
        assert await load_catalog(db) == from_files
    finally:
        await db.close()


# --- conversation state ---


async def test_user_data_round_trip_and_delete(db: Database) -> None:
    await state.save_user_data(db, 5, {"lang": "kk"})
    await state.save_user_data(db, 5, {"lang": "ru", "age": 17})
    await state.save_user_data(db, 6, {"lang": "kk"})
    assert await state.load_user_data(db) == {5: {"lang": "ru", "age": 17}, 6: {"lang": "kk"}}
    await state.save_user_data(db, 6, {})  # nothing to keep: the row goes
    assert await state.load_user_data(db) == {5: {"lang": "ru", "age": 17}}
    await state.delete_user_data(db, 5)
    assert await state.load_user_data(db) == {}


async def test_conversations_round_trip_and_idle_ones_are_dropped(db: Database) -> None:
    await state.save_conversation(db, "main", (5, 5), 3)
    await state.save_conversation(db, "main", (6, 6), 1)
    await state.save_conversation(db, "other", (5, 5), 9)
    assert await state.load_conversations(db, "main", 3600) == {(5, 5): 3, (6, 6): 1}
    await state.save_conversation(db, "main", (6, 6), None)
    assert await state.load_conversations(db, "main", 3600) == {(5, 5): 3}
    async with db.transaction() as conn:
        await conn.execute("UPDATE conversations SET updated_at = updated_at - 7200")
    assert await state.load_conversations(db, "main", 3600) == {}
    async with db.conn.execute("SELECT COUNT(*) FROM conversations WHERE name = 'main'") as cur:
        row = await cur.fetchone()
    assert row is not None and row[0] == 0  # dropped on the way, not just skipped


async def test_forget_user_leaves_nothing_about_her(db: Database) -> None:
    await state.save_user_data(db, 5, {"lang": "kk"})
    await state.save_conversation(db, "main", (5, 5), 2)
    await state.record_messages(db, 5, [10, 11, 11, 12])
    await state.save_user_data(db, 6, {"lang": "ru"})
    assert await state.chat_message_ids(db, 5) == [10, 11, 12]
    assert await state.rows_about_user(db, 5) == 5
    await state.forget_user(db, 5)
    assert await state.rows_about_user(db, 5) == 0
    assert await state.rows_about_user(db, 6) == 1


async def test_purge_drops_only_what_is_too_old(db: Database) -> None:
    await state.save_user_data(db, 5, {"lang": "kk"})
    await state.save_user_data(db, 6, {"lang": "ru"})
    await state.record_messages(db, 5, [1, 2])
    async with db.transaction() as conn:
        await conn.execute("UPDATE user_data SET updated_at = updated_at - 10000 WHERE user_id = 5")
        await conn.execute(
            "UPDATE chat_messages SET sent_at = sent_at - 10000 WHERE message_id = 1"
        )
    counts = await state.purge_expired(db, 3600, 3600)
    assert counts == {"conversations": 0, "user_data": 1, "chat_messages": 1}
    assert await state.load_user_data(db) == {6: {"lang": "ru"}}
    assert await state.chat_message_ids(db, 5) == [2]


async def test_search_counts_add_up_per_day_region_and_need(db: Database) -> None:
    await state.count_search(db, "kyzylorda", ["shelter", "legal"], nothing_local=True)
    await state.count_search(db, "kyzylorda", ["shelter"], nothing_local=False)
    async with db.conn.execute(
        "SELECT need, searches, nothing_local FROM search_stats ORDER BY need"
    ) as cursor:
        rows = [tuple(row) for row in await cursor.fetchall()]
    assert rows == [("*", 2, 1), ("legal", 1, 1), ("shelter", 2, 1)]
    counts = await state.search_counts(db, date.today())
    assert (counts.total, counts.nothing_local) == (2, 1)
    assert counts.by_region == {"kyzylorda": 2}
    assert counts.by_need == {"legal": 1, "shelter": 2}
    assert (await state.search_counts(db, date.today() + timedelta(days=1))).total == 0
    # No user and no time of day are kept.
    async with db.conn.execute("PRAGMA table_info(search_stats)") as cursor:
        columns = {row["name"] for row in await cursor.fetchall()}
    assert columns == {"day", "region_id", "need", "searches", "nothing_local"}
