"""The SQLite store: migrations, pragmas, file mode, the catalog (atomic, round trip), state.

Older layouts migrating to this one are in test_migrations.py.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import stat
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

import msgspec
import pytest

from bot.catalog.files import Problem, read_catalog, read_center_table
from bot.catalog.files import load_catalog as load_catalog_files
from bot.catalog.store import (
    catalog_is_empty,
    catalog_revision,
    load_catalog,
    put_center,
    replace_catalog,
)
from bot.catalog.writer import write_catalog
from bot.core import clock
from bot.core.answers import Answers
from bot.core.codes import Language, Need, Status
from bot.core.model import Catalog, Center, Disputed, Localized, Stay
from bot.core.session import Session
from bot.services import DATA_DIR, open_seeded_database
from bot.storage import referrals, state
from bot.storage.db import BUSY_TIMEOUT_MS, Database
from bot.storage.migrations import (
    LATEST_VERSION,
    SchemaTooNewError,
    open_database,
    schema_version,
)
from bot.storage.state import SearchCount, TurnWrites
from bot.usecases.stats import STAFF_LINK_DAYS, since
from tests import db_rows

CATALOG_TABLES = {"catalog_entries", "catalog_meta"}
STATE_TABLES = {"sessions", "chat_messages", "search_stats", "inbox", "referral_stats"}
# The previous layout's tables: gone once a database is migrated.
OLD_TABLES = {
    "regions", "places", "centers", "center_needs", "center_phones", "hotlines", "user_data",
    "conversations",
}  # fmt: skip


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


async def scalar(db: Database, sql: str, *params: object) -> object:
    async with db.conn.execute(sql, params) as cursor:
        row = await cursor.fetchone()
    assert row is not None
    return row[0]


def tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def session_json(lang: str = "kk", age: int | None = 19, source: str = "") -> bytes:
    return Session(answers=Answers(language=Language(lang), age=age), source=source).to_json()


async def save_session(db: Database, user_id: int, data: bytes) -> None:
    await state.commit_turn(db, TurnWrites(user_id=user_id, session=data))


def smaller_catalog(catalog: Catalog, centers: int) -> Catalog:
    return Catalog(catalog.regions, catalog.places, catalog.centers[:centers], catalog.hotlines)


# --- migrations ---


async def test_empty_database_is_migrated_to_the_latest_version(tmp_path: Path) -> None:
    path = tmp_path / "var" / "new" / "bot.sqlite3"  # parent folders are created
    db = await open_database(path)
    try:
        assert await schema_version(db) == LATEST_VERSION
        present = await tables(db)
        assert CATALOG_TABLES | STATE_TABLES | {"schema_version"} <= present
        assert not present & OLD_TABLES
        assert await catalog_is_empty(db)
        assert await catalog_revision(db) == 0
    finally:
        await db.close()


async def test_reopening_keeps_version_and_data(tmp_path: Path, data_catalog: Catalog) -> None:
    path = tmp_path / "bot.sqlite3"
    db = await open_database(path)
    try:
        await replace_catalog(db, data_catalog)
        await save_session(db, 7, session_json("kk", 19))
    finally:
        await db.close()

    db = await open_database(path)
    try:
        assert await schema_version(db) == LATEST_VERSION
        # Every migration was applied once, not again on the second open.
        assert await scalar(db, "SELECT COUNT(*) FROM schema_version") == LATEST_VERSION
        assert await db_rows.stored_sessions(db, 3600) == {7: session_json("kk", 19)}
        assert await load_catalog(db) == data_catalog
        assert await catalog_revision(db) == 1
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
    assert "\n" not in message
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


@pytest.mark.parametrize("how", ["forget", "end_session", "end_sessions"])
async def test_forgotten_answers_leave_no_trace_in_the_file(tmp_path: Path, how: str) -> None:
    """Checked while the database is still open: the -wal file holds no copy either."""
    path = tmp_path / "bot.sqlite3"
    needle = "unforgettable-needle"
    db = await open_database(path)
    try:
        await save_session(db, 5, session_json(source=needle))
        await state.record_messages(db, 5, [1, 2])
        assert needle.encode() in _all_bytes(tmp_path)  # the check below can fail
        if how == "forget":
            await state.commit_turn(db, TurnWrites(user_id=5, forget=True))
        elif how == "end_session":
            await state.commit_turn(db, TurnWrites(user_id=5, end_session=True))
        else:
            await state.end_sessions(db, [5])
        assert needle.encode() not in _all_bytes(tmp_path)
    finally:
        await db.close()
    assert needle.encode() not in _all_bytes(tmp_path)


async def test_database_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    db = await open_database(path)
    try:
        await save_session(db, 1, session_json("ru"))
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        wal = path.with_name(path.name + "-wal")
        assert wal.exists()
        # SQLite gives its side files the database file's mode.
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

    async def count(kind: str) -> object:
        return await scalar(seeded, "SELECT COUNT(*) FROM catalog_entries WHERE kind = ?", kind)

    assert await count("center") == 47
    assert await count("region") == 20
    assert await count("hotline") == 5
    assert await count("place") == len(data_catalog.places)


async def test_seeding_happens_only_on_an_empty_catalog(
    tmp_path: Path, data_catalog: Catalog
) -> None:
    path = tmp_path / "bot.sqlite3"
    smaller = smaller_catalog(data_catalog, 3)
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
    """A center id given twice fails the write in the middle: after the old entries were
    deleted, the revision bumped and many new entries inserted."""
    before = await load_catalog(seeded)
    revision = await catalog_revision(seeded)
    centers = data_catalog.centers
    middle = len(centers) // 2
    twice = msgspec.structs.replace(centers[0], name=Localized(kk="екі", ru="дважды"))
    broken = Catalog(
        data_catalog.regions,
        data_catalog.places,
        (*centers[:middle], twice, *centers[middle:]),
        data_catalog.hotlines,
    )
    with pytest.raises(sqlite3.IntegrityError):
        await replace_catalog(seeded, broken)
    assert await load_catalog(seeded) == before
    assert await catalog_revision(seeded) == revision
    assert await scalar(seeded, "SELECT COUNT(*) FROM catalog_entries WHERE kind = 'hotline'") == 5
    # The database is still usable: the lock was released and a good import works.
    smaller = smaller_catalog(data_catalog, 1)
    await replace_catalog(seeded, smaller)
    assert await load_catalog(seeded) == smaller
    assert await catalog_revision(seeded) == revision + 1


async def test_replace_swaps_the_whole_catalog(seeded: Database, data_catalog: Catalog) -> None:
    first = data_catalog.centers[0]
    renamed = msgspec.structs.replace(
        first, name=msgspec.structs.replace(first.name, ru="Новое имя"), needs=(Need.LEGAL,)
    )
    changed = Catalog(data_catalog.regions, data_catalog.places, (renamed,), data_catalog.hotlines)
    await replace_catalog(seeded, changed)
    loaded = await load_catalog(seeded)
    assert loaded == changed
    assert loaded.centers[0].name.ru == "Новое имя"
    assert loaded.centers[0].needs == (Need.LEGAL,)
    assert await scalar(seeded, "SELECT COUNT(*) FROM catalog_entries WHERE kind = 'center'") == 1


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


async def test_sessions_round_trip_and_end(db: Database) -> None:
    await save_session(db, 5, session_json("kk"))
    await save_session(db, 5, session_json("ru", 17))
    await save_session(db, 6, session_json("kk"))
    assert await db_rows.stored_sessions(db, 3600) == {
        5: session_json("ru", 17),
        6: session_json("kk"),
    }
    # A turn that changes nothing keeps what is stored.
    await state.commit_turn(db, TurnWrites(user_id=6, session=None))
    assert 6 in await db_rows.stored_sessions(db, 3600)
    await state.commit_turn(db, TurnWrites(user_id=6, end_session=True, session=b"{}"))
    assert await db_rows.stored_sessions(db, 3600) == {5: session_json("ru", 17)}
    await state.end_sessions(db, [5])
    assert await db_rows.stored_sessions(db, 3600) == {}


async def test_idle_sessions_are_not_loaded_but_listed_to_be_ended(db: Database) -> None:
    await save_session(db, 5, session_json("kk"))
    await save_session(db, 6, session_json("ru"))
    async with db.transaction() as conn:
        await conn.execute("UPDATE sessions SET updated_at = updated_at - 7200 WHERE user_id = 5")
    assert await db_rows.stored_sessions(db, 3600) == {6: session_json("ru")}
    assert await state.idle_sessions(db, 3600) == [(5, session_json("kk"))]
    await state.end_sessions(db, [5])
    assert await state.idle_sessions(db, 3600) == []
    assert await scalar(db, "SELECT COUNT(*) FROM sessions") == 1


async def test_one_turn_writes_everything_at_once(db: Database) -> None:
    await referrals.add_source(db, "h111")  # made with /link: counted by name
    await state.store_updates(db, [(100, '{"update_id": 100}', "normal")], None)
    assert await db_rows.pending_count(db) == 1
    await state.commit_turn(
        db,
        TurnWrites(
            update_id=100,
            user_id=5,
            session=session_json("kk", source="h111"),
            chat_id=5,
            message_ids=[10, 11],
            searches=[SearchCount("almaty-city", ("shelter",), False, source="h111")],
            started_from="h111",
        ),
    )
    assert await db_rows.stored_sessions(db, 3600) == {5: session_json("kk", source="h111")}
    assert await state.chat_message_ids(db, 5) == [10, 11]
    assert (await state.search_counts(db, date.today())).by_region == {"almaty-city": 1}
    [referral] = await referrals.referral_totals(db, date.today())
    assert (referral.source, referral.started, referral.reached_results) == ("h111", 1, 1)
    # The update is handled: nothing of it is kept but its id.
    assert await db_rows.pending_count(db) == 0
    assert await scalar(db, "SELECT payload FROM inbox WHERE update_id = 100") is None


async def test_forget_user_leaves_nothing_about_her(db: Database) -> None:
    await save_session(db, 5, session_json("kk"))
    await state.record_messages(db, 5, [10, 11, 11, 12])
    await save_session(db, 6, session_json("ru"))
    await state.record_messages(db, 6, [10])
    assert await state.chat_message_ids(db, 5) == [10, 11, 12]
    assert await db_rows.rows_about_user(db, 5) == 4
    await state.commit_turn(db, TurnWrites(user_id=5, forget=True))
    assert await db_rows.rows_about_user(db, 5) == 0
    assert await state.chat_message_ids(db, 5) == []
    assert await db_rows.rows_about_user(db, 6) == 2


async def purge(db: Database, retention_seconds: float) -> int:
    """The purge job's statements in one transaction (as `bot.usecases.purge` runs them)."""
    async with db.transaction() as conn:
        return await state.purge_expired(
            conn, clock.now(), retention_seconds, since(STAFF_LINK_DAYS)
        )


async def test_purge_drops_only_what_is_too_old(db: Database) -> None:
    await save_session(db, 5, session_json("kk"))
    await state.record_messages(db, 5, [1, 2])
    await state.store_updates(
        db, [(1, "{}", "normal"), (2, "{}", "normal"), (3, "{}", "normal")], None
    )
    await state.commit_turn(db, TurnWrites(update_id=1))
    await state.commit_turn(db, TurnWrites(update_id=2))
    async with db.transaction() as conn:
        await conn.execute(
            "UPDATE chat_messages SET sent_at = sent_at - 10000 WHERE message_id = 1"
        )
        # Handled long ago, handled just now, and never handled (kept however old).
        await conn.execute(
            "UPDATE inbox SET received_at = received_at - 2 * 86400 WHERE update_id IN (1, 3)"
        )
    gone = await purge(db, retention_seconds=3600)
    assert gone == 2
    assert await state.chat_message_ids(db, 5) == [2]
    async with db.conn.execute("SELECT update_id FROM inbox ORDER BY update_id") as cursor:
        assert [row[0] for row in await cursor.fetchall()] == [2, 3]
    # Sessions are the idle sweep's, not the purge's.
    assert 5 in await db_rows.stored_sessions(db, 3600)
    assert await purge(db, retention_seconds=3600) == 0


async def test_purge_drops_staff_link_counts_older_than_stats_reads(db: Database) -> None:
    """A day's count per source is read by /stats for STAFF_LINK_DAYS days, then never."""
    first_day = since(STAFF_LINK_DAYS)
    async with db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO referral_stats (day, source, started, reached_results)"
            " VALUES (?, ?, 1, 0)",
            [
                ((first_day - timedelta(days=300)).isoformat(), "*"),
                ((first_day - timedelta(days=1)).isoformat(), "h150"),
                (first_day.isoformat(), "h150"),
                (date.today().isoformat(), "*"),
            ],
        )
    assert await purge(db, retention_seconds=3600) == 2
    async with db.conn.execute("SELECT day FROM referral_stats ORDER BY day") as cursor:
        kept = [row[0] for row in await cursor.fetchall()]
    assert kept == [first_day.isoformat(), date.today().isoformat()]
    assert [(r.source, r.started) for r in await referrals.referral_totals(db, first_day)] == [
        (state.OTHER_SOURCE, 1),
        ("h150", 1),
    ]


async def test_the_inbox_keeps_each_update_once_and_sos_first(db: Database) -> None:
    new = await state.store_updates(
        db, [(1, '{"a": 1}', "normal"), (2, '{"b": 2}', "sos"), (3, '{"c": 3}', "normal")], None
    )
    assert new == [1, 2, 3]
    # Telegram sent them again (not confirmed yet): nothing is new.
    assert await state.store_updates(db, [(2, '{"b": 2}', "sos")], None) == []
    await state.commit_turn(db, TurnWrites(update_id=1))
    assert await state.store_updates(db, [(1, '{"a": 1}', "normal")], None) == []
    stored = await state.unhandled_updates(db)
    assert [(u.update_id, u.payload, u.lane) for u in stored] == [
        (2, b'{"b": 2}', "sos"),
        (3, b'{"c": 3}', "normal"),
    ]
    assert await db_rows.pending_count(db) == 2
    await state.skip_update(db, 3)
    assert await db_rows.pending_count(db) == 1
    # Confirmed ids below 10 never come again: their handled rows go.
    await state.store_updates(db, [], 10)
    assert await scalar(db, "SELECT COUNT(*) FROM inbox WHERE done = 1") == 0


async def test_an_update_the_process_dies_with_is_given_up(db: Database) -> None:
    """Only starts during which its handling began count: waiting through restarts does not."""
    await state.store_updates(db, [(7, '{"poison": true}', "normal")], None)
    await state.store_updates(db, [(8, '{"innocent": true}', "normal")], None)
    for _ in range(5):  # five restarts that never got to these updates
        assert await state.poisoned_updates(db, 3) == []
    assert [(u.update_id, u.attempts) for u in await state.unhandled_updates(db)] == [
        (7, 0),
        (8, 0),
    ]
    await state.mark_started(db, [7])
    await state.store_updates(db, [(9, "{}", "normal")], None, started=[7])  # rides along
    await state.commit_turn(db, TurnWrites(update_id=8, started=[7]))
    assert [(u.update_id, u.attempts) for u in await state.unhandled_updates(db)] == [
        (7, 3),
        (9, 0),
    ]
    assert await state.poisoned_updates(db, 3) == [7]
    assert [u.update_id for u in await state.unhandled_updates(db)] == [9]
    assert await scalar(db, "SELECT payload FROM inbox WHERE update_id = 7") is None
    # A mark never touches an update already handled.
    await state.mark_started(db, [8])
    assert await scalar(db, "SELECT attempts FROM inbox WHERE update_id = 8") == 0


async def count_searches(db: Database, *searches: SearchCount) -> None:
    """Searches counted as an update counts them: with its commit."""
    await state.commit_turn(db, TurnWrites(searches=list(searches)))


async def test_search_counts_add_up_per_day_region_and_need(db: Database) -> None:
    await count_searches(db, SearchCount("astana", ("legal",), False))
    async with db.transaction() as conn:  # that search was 40 days ago
        await conn.execute(
            "UPDATE search_stats SET day = ?", ((date.today() - timedelta(days=40)).isoformat(),)
        )
    await count_searches(
        db,
        SearchCount("kyzylorda", ("shelter", "legal"), True),
        SearchCount("kyzylorda", ("shelter",), False),
    )
    async with db.conn.execute(
        "SELECT need, searches, nothing_local FROM search_stats WHERE region_id = 'kyzylorda'"
        " ORDER BY need"
    ) as cursor:
        rows = [tuple(row) for row in await cursor.fetchall()]
    assert rows == [("*", 2, 1), ("legal", 1, 1), ("shelter", 2, 1)]
    counts = await state.search_counts(db, date.today())
    assert (counts.total, counts.nothing_local) == (2, 1)
    assert counts.by_region == {"kyzylorda": 2}
    assert counts.by_need == {"legal": 1, "shelter": 2}
    assert (await state.search_counts(db, date.today() + timedelta(days=1))).total == 0
    assert (await state.search_counts(db, date.today() - timedelta(days=50))).total == 3
    # No user and no time of day are kept.
    async with db.conn.execute("PRAGMA table_info(search_stats)") as cursor:
        columns = {row["name"] for row in await cursor.fetchall()}
    assert columns == {"day", "region_id", "need", "searches", "nothing_local"}


async def test_referrals_are_counted_per_day_and_source_only(db: Database) -> None:
    await referrals.add_source(db, "h150")
    await state.commit_turn(db, TurnWrites(user_id=5, started_from="h150"))
    await state.commit_turn(db, TurnWrites(user_id=6, started_from="h150"))
    await count_searches(
        db,
        SearchCount("astana", ("legal",), False, source="h150"),
        SearchCount("astana", ("legal",), False),  # no staff link
    )
    async with db.conn.execute(
        "SELECT day, source, started, reached_results FROM referral_stats"
    ) as cursor:
        per_day = [tuple(row) for row in await cursor.fetchall()]
    assert per_day == [(date.today().isoformat(), "h150", 2, 1)]
    # A source nobody made with /link (anyone can type a start link) is no row of its own.
    await state.commit_turn(db, TurnWrites(user_id=7, started_from="madeup1"))
    await state.commit_turn(db, TurnWrites(user_id=7, started_from="madeup2"))
    assert [(r.source, r.started) for r in await referrals.referral_totals(db, date.today())] == [
        (state.OTHER_SOURCE, 2),
        ("h150", 2),
    ]
    async with db.conn.execute("PRAGMA table_info(referral_stats)") as cursor:
        columns = {row["name"] for row in await cursor.fetchall()}
    assert columns == {"day", "source", "started", "reached_results"}


# --- the catalog as documents: the schema lives in the model only ---


def _iso(value: object) -> str:
    iso = getattr(value, "iso", None)
    if not isinstance(iso, str):
        raise NotImplementedError(type(value).__name__)
    return iso  # a stay limit, as the data file writes it


def msgspec_encoding(entry: msgspec.Struct) -> str:
    """An entry encoded by msgspec itself, nothing mapped by hand."""
    return msgspec.json.encode(entry, enc_hook=_iso).decode()


def every_field_catalog(data_catalog: Catalog) -> Catalog:
    """The real catalog plus entries with every optional field set, disputed limits too."""
    problems: list[Problem] = []
    center = read_center_table(
        {
            "id": "taraz-every-field", "name_kk": "Орталық", "name_ru": "Центр",
            "summary_kk": "Сынақ.", "summary_ru": "Проверка.", "org_type": "state",
            "status": "temporarily_closed", "status_reason_kk": "Жөндеу",
            "status_reason_ru": "Ремонт", "coverage": "city", "place": "taraz",
            "region": "zhambyl", "needs": ["shelter", "legal"], "shelter": True,
            "stay_min": "P10D", "stay_max": "P6M", "stay_max_exceptional": "P1Y",
            "mother_age_min": {"values": [16, 18], "sources": ["https://example.org/a"]},
            "mother_age_max": {"values": [30, 34]},
            "child_age_min_months": {"values": [0, 1]},
            "child_age_max_months": 36, "accepts_pregnant": False,
            "exclusions": ["substance_use"], "requirements": ["documents"],
            "phones": [{"number": "+77001234567", "kind": "telegram", "hours": "24/7",
                        "languages": ["ru"]}],
            "hours": "Пн–Пт 9:00–18:00", "website": "https://example.org",
            "free_places": 3, "free_places_at": date(2026, 11, 20),
            "address_kk": "Абай, 1", "address_ru": "Абая, 1", "address_public": True,
            "lat": 42.9, "lon": 71.37, "confidence": "low", "verified_how": "phoned",
            "verified_at": date(2026, 11, 1), "verified_by": "admin", "notes": "all of it",
        },
        "centers/taraz-every-field.toml",
        problems,
    )  # fmt: skip
    assert problems == []
    hotline = msgspec.structs.replace(data_catalog.hotlines[0], id="999", anonymous=False)
    centers = tuple(sorted((*data_catalog.centers, center), key=lambda c: c.id))
    return Catalog(
        data_catalog.regions, data_catalog.places, centers, (*data_catalog.hotlines, hotline)
    )


async def test_every_entry_survives_the_store_unchanged(
    db: Database, data_catalog: Catalog
) -> None:
    catalog = every_field_catalog(data_catalog)
    await replace_catalog(db, catalog)
    loaded = await load_catalog(db)
    assert loaded == catalog
    for kind in ("regions", "places", "centers", "hotlines"):
        assert getattr(loaded, kind) == getattr(catalog, kind)
    # Disputed limits come back as disputed limits, sources and all.
    for center_id in ("ana-uyi-almaty", "astana-umit", "taraz-every-field"):
        assert loaded.center(center_id) == catalog.center(center_id)
    ana_uyi = loaded.center("ana-uyi-almaty")
    assert ana_uyi is not None and isinstance(ana_uyi.eligibility.mother_age_max, Disputed)
    assert ana_uyi.eligibility.mother_age_max.values == (30, 34)


async def test_each_stored_document_is_exactly_msgspecs_encoding(
    db: Database, data_catalog: Catalog
) -> None:
    """Nothing in the store maps fields by hand: a field added to the model is stored."""
    catalog = every_field_catalog(data_catalog)
    await replace_catalog(db, catalog)
    entries: dict[tuple[str, str], msgspec.Struct] = {
        **{("region", r.id): r for r in catalog.regions},
        **{("place", p.id): p for p in catalog.places},
        **{("center", c.id): c for c in catalog.centers},
        **{("hotline", h.id): h for h in catalog.hotlines},
    }
    async with db.conn.execute("SELECT kind, id, doc FROM catalog_entries") as cursor:
        stored = {(row[0], row[1]): row[2] for row in await cursor.fetchall()}
    assert set(stored) == set(entries)
    for key, entry in entries.items():
        assert stored[key] == msgspec_encoding(entry), key
    full = json.loads(stored[("center", "taraz-every-field")])
    # Every field of the model is in the document (this center sets them all).
    assert set(full) == set(Center.__struct_fields__)
    assert full["eligibility"]["mother_age_max"] == {"values": [30, 34]}
    assert full["stay"] == {"min": "P10D", "max": "P6M", "max_exceptional": "P1Y"}


async def test_documents_of_an_older_or_newer_model_still_load(
    db: Database, data_catalog: Catalog
) -> None:
    """A field added later: old documents lack it (default), newer ones carry one this
    code does not know (ignored). Neither needs a migration."""
    center = data_catalog.centers[0]
    doc = json.loads(msgspec_encoding(center))
    newer = doc | {"fax": "+77001234567", "eligibility": doc["eligibility"] | {"max_kids": 3}}
    older = {k: v for k, v in doc.items() if k not in ("website", "stay")}
    for variant, expected in (
        (newer, center),
        (older, msgspec.structs.replace(center, website="", stay=Stay())),
    ):
        async with db.transaction() as conn:
            await conn.execute("DELETE FROM catalog_entries")
            await conn.execute(
                "INSERT INTO catalog_entries (kind, id, position, doc) VALUES ('center', ?, 0, ?)",
                (center.id, json.dumps(variant, ensure_ascii=False)),
            )
        assert (await load_catalog(db)).centers == (expected,)


async def test_an_admin_edit_stores_one_center_in_her_transaction(
    seeded: Database, data_catalog: Catalog
) -> None:
    revision = await catalog_revision(seeded)
    center = data_catalog.center("almaty-rodnik")
    assert center is not None
    closed = msgspec.structs.replace(
        center, status=Status.TEMPORARILY_CLOSED, status_reason=Localized(kk="жабық", ru="закрыт")
    )
    async with seeded.transaction() as conn:
        await put_center(conn, closed)
    loaded = await load_catalog(seeded)
    assert loaded == data_catalog.with_center(closed)
    assert await catalog_revision(seeded) == revision + 1
    doc = await scalar(
        seeded, "SELECT doc FROM catalog_entries WHERE kind = 'center' AND id = 'almaty-rodnik'"
    )
    assert doc == msgspec_encoding(closed)  # text, as every other document
    # A new center joins the catalog in id order.
    new = msgspec.structs.replace(center, id="aaa-first")
    async with seeded.transaction() as conn:
        await put_center(conn, new)
    assert (await load_catalog(seeded)).centers[0] == new
