"""Databases the bot did not just create: the previous layout migrates, the rest is refused.

A database of the previous layout (schema version 3) is built here the way that code built
it: migrations 1–3 as SQL, the catalog in its column tables (the insert statements of the
previous `catalog_repo`), and the PTB persistence rows (`user_data`, `conversations`).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import msgspec
import pytest

from bot.catalog.files import Problem, read_center_table
from bot.catalog.files import load_catalog as load_catalog_files
from bot.catalog.store import catalog_is_empty, catalog_revision, load_catalog, load_directory
from bot.config import Settings
from bot.core.answers import Answers
from bot.core.codes import Language, Need, OrgType, Requirement
from bot.core.model import Catalog, Center, Directory, Disputed, Hotline, Limit
from bot.core.session import Session, View
from bot.services import DATA_DIR, Services, open_seeded_database
from bot.storage import state
from bot.storage.db import DatabaseError
from bot.storage.migrations import LATEST_VERSION, MIGRATIONS, open_database, schema_version
from tests import db_rows

REPO = Path(__file__).resolve().parent.parent
OLD_TABLES = {
    "regions", "places", "centers", "center_needs", "center_phones", "hotlines", "user_data",
    "conversations",
}  # fmt: skip
NEW_TABLES = {"catalog_entries", "catalog_meta", "sessions", "inbox", "referral_stats"}
FAKE_TOKEN = "123456789:AAEfakeFAKEfakeFAKEfakeFAKEfake12345"
T0 = 1764000000

# user_data rows as the previous layout wrote them (json.dumps(user_data, ensure_ascii=False)).
LEGACY_USERS: dict[int, dict[str, Any]] = {
    101: {"lang": "ru", "answers": {"age": 17, "pregnant": False, "child_months": 5,
                                    "region": "almaty-city", "place": "almaty",
                                    "needs": ["shelter"]},
          "step": "needs", "picked": ["shelter", "legal"], "t": T0},
    102: {"lang": "kk", "answers": {}, "step": "age_confirm", "pending_age": 61, "t": T0},
    103: {"lang": "kk", "answers": {"age": 19, "pregnant": True, "region": "zhambyl",
                                    "place": None}, "step": "needs", "picked": [], "t": T0},
}  # fmt: skip
# The ConversationHandler's states of the same conversations (NEEDS = 5, AGE_CONFIRM = 2).
LEGACY_CONVERSATIONS = {101: 5, 102: 2, 103: 5}


# --- the previous layout, written as its code wrote it ---


def _bool(value: bool | None) -> int | None:
    return None if value is None else int(value)


def _strict(limit: Limit, upper: bool) -> int | None:
    """The previous layout had one number per limit and excluded on it: the strictest."""
    if isinstance(limit, Disputed):
        return limit.low if upper else limit.high
    return limit


def as_previous_layout_stored(catalog: Catalog) -> Catalog:
    """What the previous layout could hold of a catalog: one number per limit and one stay,
    no opening hours of a center, no "unknown" org type or "abuser_complaint" requirement,
    no date of its newest source, no anonymous flag of a line (those came later)."""

    def center(c: Center) -> Center:
        rules, stay = c.eligibility, c.stay
        disputed = stay.max_disputed
        return msgspec.structs.replace(
            c,
            hours="",
            org_type=OrgType.STATE if c.org_type is OrgType.UNKNOWN else c.org_type,
            provenance=msgspec.structs.replace(c.provenance, newest_source=None),
            stay=msgspec.structs.replace(
                stay, max=disputed.low if disputed else stay.max, max_disputed=None
            ),
            eligibility=msgspec.structs.replace(
                rules,
                mother_age_min=_strict(rules.mother_age_min, upper=False),
                mother_age_max=_strict(rules.mother_age_max, upper=True),
                child_age_min_months=_strict(rules.child_age_min_months, upper=False),
                child_age_max_months=_strict(rules.child_age_max_months, upper=True),
                requirements=tuple(
                    Requirement.POLICE_COMPLAINT if r is Requirement.ABUSER_COMPLAINT else r
                    for r in rules.requirements
                ),
            ),
        )

    def hotline(h: Hotline) -> Hotline:
        return msgspec.structs.replace(h, anonymous=None)

    return Catalog(
        catalog.regions,
        catalog.places,
        tuple(center(c) for c in catalog.centers),
        tuple(hotline(h) for h in catalog.hotlines),
    )


def write_legacy_catalog(conn: sqlite3.Connection, catalog: Catalog) -> None:
    """The previous `catalog_repo.replace_catalog`, statement for statement."""
    conn.executemany(
        "INSERT INTO regions (id, position, kind, name_kk, name_ru, name_en, aliases,"
        " admin_center) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (r.id, i, r.kind, r.name.kk, r.name.ru, r.name_en, json.dumps(r.aliases),
             r.admin_center)
            for i, r in enumerate(catalog.regions)
        ],
    )  # fmt: skip
    conn.executemany(
        "INSERT INTO places (id, position, region_id, name_kk, name_ru, name_en, aliases,"
        " lat, lon) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (p.id, i, p.region, p.name.kk, p.name.ru, p.name_en, json.dumps(p.aliases),
             p.lat, p.lon)
            for i, p in enumerate(catalog.places)
        ],
    )  # fmt: skip
    for center in catalog.centers:
        rules, stay, prov = center.eligibility, center.stay, center.provenance
        conn.execute(
            "INSERT INTO centers (id, name_kk, name_ru, summary_kk, summary_ru, org_type, status,"
            " status_reason_kk, status_reason_ru, coverage, place_id, region_id, shelter,"
            " stay_min, stay_max, stay_max_exceptional, mother_age_min, mother_age_max,"
            " child_age_min_months, child_age_max_months, accepts_pregnant, exclusions,"
            " requirements, website, address_kk, address_ru, address_public, lat, lon,"
            " confidence, source_urls, verified_at, verified_by, notes)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
            " ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                center.id, center.name.kk, center.name.ru, center.summary.kk, center.summary.ru,
                center.org_type, center.status, center.status_reason.kk,
                center.status_reason.ru, center.coverage, center.place, center.region,
                _bool(center.shelter),
                stay.min.iso if stay.min else None, stay.max.iso if stay.max else None,
                stay.max_exceptional.iso if stay.max_exceptional else None,
                _strict(rules.mother_age_min, upper=False),
                _strict(rules.mother_age_max, upper=True),
                _strict(rules.child_age_min_months, upper=False),
                _strict(rules.child_age_max_months, upper=True),
                _bool(rules.accepts_pregnant),
                json.dumps(rules.exclusions), json.dumps(rules.requirements), center.website,
                center.address.kk, center.address.ru, int(center.address_public), center.lat,
                center.lon, prov.confidence, json.dumps(prov.source_urls),
                prov.verified_at.isoformat(), prov.verified_by, prov.notes,
            ),
        )  # fmt: skip
        conn.executemany(
            "INSERT INTO center_needs (center_id, position, need) VALUES (?, ?, ?)",
            [(center.id, i, need) for i, need in enumerate(center.needs)],
        )
        conn.executemany(
            "INSERT INTO center_phones (center_id, position, number, kind, hours, languages,"
            " source) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (center.id, i, p.number, p.kind, p.hours, json.dumps(p.languages), p.source)
                for i, p in enumerate(center.phones)
            ],
        )
    conn.executemany(
        "INSERT INTO hotlines (id, position, number, emergency, name_kk, name_ru, purpose_kk,"
        " purpose_ru, hours, free, channels, needs, confidence, source_urls, verified_at,"
        " verified_by, notes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (h.id, i, h.number, int(h.emergency), h.name.kk, h.name.ru, h.purpose.kk,
             h.purpose.ru, h.hours, _bool(h.free), json.dumps(h.channels),
             json.dumps(h.needs), h.provenance.confidence,
             json.dumps(h.provenance.source_urls), h.provenance.verified_at.isoformat(),
             h.provenance.verified_by, h.provenance.notes)
            for i, h in enumerate(catalog.hotlines)
        ],
    )  # fmt: skip


def build_legacy_database(
    path: Path, catalog: Catalog | None, version: int = 3, revision: int = 7
) -> None:
    """A database as the previous layout left it at `version`, with a catalog and, from
    version 2 on, conversations in progress, message ids and counts."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        for number, script in enumerate(MIGRATIONS[:version], 1):
            assert isinstance(script, str)  # the previous layout's migrations were SQL
            conn.executescript(script)
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", (number,))
        if catalog is not None:
            write_legacy_catalog(conn, catalog)
        now = time.time()
        if version >= 2:
            conn.executemany(
                "INSERT INTO user_data (user_id, data, updated_at) VALUES (?, ?, ?)",
                [(uid, json.dumps(data, ensure_ascii=False), now)
                 for uid, data in LEGACY_USERS.items()],
            )  # fmt: skip
            conn.executemany(
                "INSERT INTO conversations (name, key, user_id, state, updated_at)"
                " VALUES (?, ?, ?, ?, ?)",
                [("mother", json.dumps([uid, uid]), uid, json.dumps(st), now)
                 for uid, st in LEGACY_CONVERSATIONS.items()],
            )  # fmt: skip
            conn.executemany(
                "INSERT INTO chat_messages (chat_id, message_id, sent_at) VALUES (?, ?, ?)",
                [(101, 10, now), (101, 11, now), (102, 3, now)],
            )
            conn.execute(
                "INSERT INTO search_stats (day, region_id, need, searches, nothing_local)"
                " VALUES ('2026-11-20', 'almaty-city', '*', 4, 1)"
            )
        if version >= 3:
            conn.execute("UPDATE catalog_meta SET revision = ?", (revision,))
        conn.commit()
    finally:
        conn.close()


def table_names(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    finally:
        conn.close()
    return {row[0] for row in rows}


def rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        return [tuple(r) for r in conn.execute(sql).fetchall()]
    finally:
        conn.close()


@pytest.fixture(scope="module")
def data_catalog() -> Catalog:
    return load_catalog_files(DATA_DIR)


@pytest.fixture(scope="module")
def previous(data_catalog: Catalog) -> Catalog:
    stored = as_previous_layout_stored(data_catalog)
    # The projection really drops what the old columns could not hold (so the test below
    # compares something), and nothing else.
    assert stored != data_catalog
    assert [c.id for c in stored.centers] == [c.id for c in data_catalog.centers]
    ana_uyi = stored.center("ana-uyi-almaty")
    assert ana_uyi is not None and ana_uyi.eligibility.mother_age_max == 30
    return stored


# --- the previous layout migrates ---


async def test_previous_layout_migrates_catalog_sessions_and_counts(
    tmp_path: Path, previous: Catalog, data_catalog: Catalog
) -> None:
    path = tmp_path / "var" / "ana_komek.sqlite3"
    build_legacy_database(path, previous)
    assert table_names(path) >= OLD_TABLES
    sent_at = rows(path, "SELECT updated_at FROM user_data WHERE user_id = 101")[0][0]

    db = await open_database(path)
    try:
        assert await schema_version(db) == LATEST_VERSION
        # The catalog: every entry, as the data files say it (within what the old columns
        # held), in the data files' order.
        migrated = await load_catalog(db)
        assert migrated == previous
        assert len(migrated.centers) == 47 and len(migrated.hotlines) == 5
        assert [r.id for r in migrated.regions] == [r.id for r in previous.regions]
        assert [p.id for p in migrated.places] == [p.id for p in previous.places]
        # Against the data files themselves: equal, but for what the old columns could not
        # hold (a second source's age limit, the anonymous flag of two lines).
        assert (migrated.regions, migrated.places) == (data_catalog.regions, data_catalog.places)
        differ = {c.id for c in data_catalog.centers if migrated.center(c.id) != c}
        assert {"ana-uyi-almaty", "astana-umit"} <= differ
        assert differ == {c.id for c in data_catalog.centers if previous.center(c.id) != c}
        assert {h.id for h in data_catalog.hotlines if h not in migrated.hotlines} == {"111"}
        # The running bot notices nothing: the revision it knew is kept.
        assert await catalog_revision(db) == 7
        # Conversations: one row per mother, exactly as it was written.
        stored = await db_rows.stored_sessions(db, 3600)
        assert set(stored) == set(LEGACY_USERS)
        for user_id, data in LEGACY_USERS.items():
            assert json.loads(stored[user_id]) == data
        # Message ids (for /clear) and the counts are kept.
        assert await state.chat_message_ids(db, 101) == [10, 11]
        assert await db_rows.rows_about_user(db, 101) == 3
    finally:
        await db.close()

    assert not table_names(path) & OLD_TABLES
    assert table_names(path) >= NEW_TABLES
    assert rows(path, "SELECT updated_at FROM sessions WHERE user_id = 101") == [(sent_at,)]
    assert rows(path, "SELECT day, region_id, need, searches FROM search_stats") == [
        ("2026-11-20", "almaty-city", "*", 4)
    ]


EVERY_FIELD: dict[str, Any] = {
    "id": "taraz-every-field",
    "name_kk": "Барлық өрісі бар орталық", "name_ru": "Центр со всеми полями",
    "summary_kk": "Сынақ үшін.", "summary_ru": "Для проверки.",
    "org_type": "state", "status": "temporarily_closed",
    "status_reason_kk": "Жөндеу", "status_reason_ru": "Ремонт",
    "coverage": "city", "place": "taraz", "region": "zhambyl",
    "needs": ["shelter", "legal", "keep_baby"], "shelter": True,
    "stay_min": "P10D", "stay_max": "P6M", "stay_max_exceptional": "P1Y",
    "mother_age_min": 16, "mother_age_max": 35,
    "child_age_min_months": 1, "child_age_max_months": 36, "accepts_pregnant": False,
    "exclusions": ["substance_use", "hiv"], "requirements": ["documents", "police_complaint"],
    "phones": [
        {"number": "+77001234567", "kind": "whatsapp", "hours": "9:00–18:00",
         "languages": ["kk", "ru"], "source": "https://example.org/contacts"},
        {"number": "+77261234567", "source": "https://example.org/old-contacts"},
    ],
    "website": "https://example.org",
    "address_kk": "Абай даңғылы, 1", "address_ru": "пр. Абая, 1", "address_public": True,
    "lat": 42.9, "lon": 71.37, "confidence": "low",
    "source_urls": ["https://example.org/a", "https://example.org/b"],
    "verified_at": date(2026, 11, 1), "verified_by": "test", "notes": "every column",
}  # fmt: skip


async def test_every_column_of_the_previous_layout_carries_over(
    tmp_path: Path, previous: Catalog
) -> None:
    """The real data leaves some columns empty (no center has a phone yet): one center
    with every field set goes through the migration too."""
    problems: list[Problem] = []
    full = read_center_table(EVERY_FIELD, "centers/taraz-every-field.toml", problems)
    assert problems == []
    centers = tuple(sorted((*previous.centers, full), key=lambda c: c.id))
    catalog = Catalog(previous.regions, previous.places, centers, previous.hotlines)
    path = tmp_path / "bot.sqlite3"
    build_legacy_database(path, catalog)
    db = await open_database(path)
    try:
        migrated = await load_catalog(db)
    finally:
        await db.close()
    assert migrated.center("taraz-every-field") == full
    assert migrated == catalog


async def test_migrated_heads_are_what_the_running_bot_reads_of_each_center(
    tmp_path: Path, previous: Catalog
) -> None:
    """Migration 4 writes each center's head beside its document with its own frozen code:
    the heads must be exactly the heads of the migrated centers."""
    path = tmp_path / "bot.sqlite3"
    build_legacy_database(path, previous)
    db = await open_database(path)
    try:
        directory = await load_directory(db)
    finally:
        await db.close()
    expected = Directory.of(previous)
    assert directory.centers == expected.centers
    assert (directory.regions, directory.places, directory.hotlines) == (
        expected.regions,
        expected.places,
        expected.hotlines,
    )


async def test_a_legacy_conversation_resumes_in_the_running_bot(
    tmp_path: Path, previous: Catalog
) -> None:
    """The path the bot takes at start: open, seed if empty, load catalog and sessions."""
    path = tmp_path / "bot.sqlite3"
    build_legacy_database(path, previous)
    services = Services(Settings(token=FAKE_TOKEN, database_path=path))
    try:
        await services.database()
        assert await services.full_catalog() == previous  # not re-seeded from data/
        # Known to be stored; read from SQLite when she writes again.
        assert all(services.sessions.may_be_stored(user) for user in LEGACY_USERS)
        mother = await services.session(101)
        assert mother is not None
        assert mother.answers == Answers(
            language=Language.RU, age=17, pregnant=False, child_months=5,
            region="almaty-city", place="almaty", needs=(Need.SHELTER,),
        )  # fmt: skip
        assert mother.picked == (Need.SHELTER, Need.LEGAL)
        query = mother.answers.to_query(services.gazetteer)
        assert query is not None and query.location.place == "almaty"
        assert services.matcher.match(query).matches
        waiting = await services.session(102)
        assert waiting is not None
        assert (waiting.view, waiting.pending_age) == (View.AGE_CONFIRM, 61)
        assert waiting.answers.language is Language.KK
        pregnant = await services.session(103)
        assert pregnant is not None
        assert pregnant.answers == Answers(
            language=Language.KK, age=19, pregnant=True, region="zhambyl"
        )
        assert pregnant.picked == ()
    finally:
        await services.close()


async def test_migrated_sessions_are_rewritten_in_the_new_layout(
    tmp_path: Path, previous: Catalog
) -> None:
    """Once the bot writes her turn, the row is this layout's JSON and reads back equal."""
    path = tmp_path / "bot.sqlite3"
    build_legacy_database(path, previous)
    db = await open_database(path)
    try:
        legacy = Session.from_json((await db_rows.stored_sessions(db, 3600))[101])
        await state.commit_turn(db, state.TurnWrites(user_id=101, session=legacy.to_json()))
        data = (await db_rows.stored_sessions(db, 3600))[101]
        assert "lang" not in json.loads(data)
        assert Session.from_json(data) == legacy
    finally:
        await db.close()


async def test_a_database_of_the_first_version_migrates_too(
    tmp_path: Path, previous: Catalog
) -> None:
    """Only the catalog migration had run (the old test kept one region; now the whole
    catalog must carry over, since it is validated on the way)."""
    path = tmp_path / "v1.sqlite3"
    build_legacy_database(path, previous, version=1)
    db = await open_database(path)
    try:
        assert await schema_version(db) == LATEST_VERSION
        assert await load_catalog(db) == previous
        assert await catalog_revision(db) == 0
        assert await db_rows.stored_sessions(db, 3600) == {}
    finally:
        await db.close()
    assert not table_names(path) & OLD_TABLES


async def test_a_never_seeded_legacy_database_is_seeded_after_migrating(
    tmp_path: Path, data_catalog: Catalog
) -> None:
    path = tmp_path / "empty.sqlite3"
    build_legacy_database(path, None)
    db = await open_database(path)
    try:
        assert await catalog_is_empty(db)
        assert set(await db_rows.stored_sessions(db, 3600)) == set(LEGACY_USERS)
    finally:
        await db.close()
    db = await open_seeded_database(path)
    try:
        assert await load_catalog(db) == data_catalog
    finally:
        await db.close()


async def test_a_legacy_catalog_that_does_not_validate_changes_nothing(
    tmp_path: Path, previous: Catalog
) -> None:
    path = tmp_path / "bot.sqlite3"
    build_legacy_database(path, previous)
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO center_needs VALUES ('astana-umit', 9, 'flying')")
    conn.commit()
    conn.close()
    before = {name: rows(path, f"SELECT * FROM {name}") for name in sorted(OLD_TABLES)}

    with pytest.raises(DatabaseError) as caught:
        await open_database(path)
    message = str(caught.value)
    assert "\n" not in message
    assert "astana-umit" in message and "flying" in message
    # Migration 4 rolled back whole: version 3, the old tables and her answers as they were.
    assert rows(path, "SELECT MAX(version) FROM schema_version") == [(3,)]
    assert not table_names(path) & NEW_TABLES - {"catalog_meta"}
    assert {name: rows(path, f"SELECT * FROM {name}") for name in sorted(OLD_TABLES)} == before


# --- files that are not a usable database: one line, never a traceback ---


def _foreign(path: Path) -> Path:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    conn.execute("INSERT INTO notes (text) VALUES ('shopping list')")
    conn.commit()
    conn.close()
    return path


def _directory(path: Path) -> Path:
    path.mkdir()
    return path


def _damaged(path: Path) -> Path:
    """A real database of this bot whose pages were overwritten in the middle."""
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    conn.execute("CREATE TABLE filler (x TEXT)")
    conn.executemany("INSERT INTO filler VALUES (?)", [("x" * 500,) for _ in range(200)])
    conn.commit()
    conn.close()
    data = bytearray(path.read_bytes())
    assert len(data) > 4 * 4096
    data[2 * 4096 : 2 * 4096 + 512] = b"\x0d\xff" * 256
    path.write_bytes(bytes(data))
    return path


def _not_a_database(path: Path) -> Path:
    path.write_text("TELEGRAM_BOT_TOKEN=...\n" * 200, encoding="utf-8")
    return path


def _under_proc(_: Path) -> Path:
    return Path("/proc/self/ana_komek.sqlite3")


BAD_FILES = {
    "foreign": (_foreign, "another program"),
    "directory": (_directory, "not a file"),
    "damaged": (_damaged, "malformed|damaged"),
    "not a database": (_not_a_database, "not a database"),
    "under /proc": (_under_proc, "not a place for a database"),
}


@pytest.mark.parametrize("kind", list(BAD_FILES))
async def test_an_unusable_database_is_one_line(tmp_path: Path, kind: str) -> None:
    make, reason = BAD_FILES[kind]
    path = make(tmp_path / "bot.sqlite3")
    before = path.read_bytes() if path.is_file() else None
    with pytest.raises(DatabaseError) as caught:
        await open_database(path)
    message = str(caught.value)
    assert "\n" not in message
    assert str(path) in message
    assert re.search(reason, message), message
    if before is not None:
        assert path.read_bytes() == before  # refused, not "repaired" or migrated


def run_bot(
    database: Path, *args: str, prefix: tuple[str, ...] = (), cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    environ = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(cwd or database.parent),
        "LANG": "C.UTF-8",
        "PYTHONIOENCODING": "utf-8",
        "PYTHONPATH": str(REPO),
        "PYTHONDONTWRITEBYTECODE": "1",
        "DATABASE_PATH": str(database),
        "TELEGRAM_BOT_TOKEN": FAKE_TOKEN,
        "TELEGRAM_API_URL": "http://127.0.0.1:9",  # never reached: the database comes first
    }
    return subprocess.run(
        [*prefix, sys.executable, "-m", "bot", *args],
        cwd=cwd or database.parent,
        env=environ,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )


def assert_one_error_line(done: subprocess.CompletedProcess[str], *mentions: str) -> None:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert FAKE_TOKEN not in done.stderr + done.stdout
    assert FAKE_TOKEN.split(":")[1] not in done.stderr + done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ")
    for mention in mentions:
        assert re.search(mention, lines[0]), lines[0]


@pytest.mark.parametrize("kind", list(BAD_FILES))
@pytest.mark.parametrize("command", [(), ("match", "--age", "20", "--pregnant", "--city",
                                          "Алматы", "--need", "legal")])  # fmt: skip
def test_the_bot_with_an_unusable_database_says_so_in_one_line(
    tmp_path: Path, kind: str, command: tuple[str, ...]
) -> None:
    make, reason = BAD_FILES[kind]
    path = make(tmp_path / "bot.sqlite3")
    assert_one_error_line(run_bot(path, *command, cwd=tmp_path), reason)


def test_a_legacy_catalog_that_does_not_validate_is_one_line_for_the_bot(
    tmp_path: Path, previous: Catalog
) -> None:
    path = tmp_path / "bot.sqlite3"
    build_legacy_database(path, previous)
    conn = sqlite3.connect(path)
    assert conn.execute("UPDATE places SET lat = 10.0 WHERE id = 'temirtau'").rowcount == 1
    conn.commit()
    conn.close()
    assert_one_error_line(run_bot(path), "cannot be carried over", "place temirtau", "outside")


# --- permissions: root ignores them, so root runs these without CAP_DAC_OVERRIDE ---


@pytest.fixture
def unprivileged(tmp_path: Path) -> Iterator[tuple[tuple[str, ...], Path]]:
    """A command prefix under which file permissions hold, and a directory nobody may
    write to under it (a folder outside pytest's private one, so that it can be entered)."""
    prefix: tuple[str, ...] = ()
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: permissions cannot be tested")
        prefix = (setpriv, "--bounding-set=-dac_override,-dac_read_search,-fowner", "--")
    folder = Path(os.environ.get("TMPDIR", "/tmp")) / f"ana-komek-readonly-{os.getpid()}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(mode=0o755)
    try:
        folder.chmod(0o555)
        probe = subprocess.run(
            [*prefix, sys.executable, "-c", f"open({str(folder / 'probe')!r}, 'w')"],
            capture_output=True,
            check=False,
        )
        if probe.returncode == 0:
            pytest.skip("this environment cannot make a directory read-only")
        yield prefix, folder
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder, ignore_errors=True)


_OPEN = """
import asyncio, sys
from pathlib import Path
from bot.storage.db import DatabaseError
from bot.storage.migrations import open_database

async def main() -> None:
    try:
        db = await open_database(Path(sys.argv[1]))
    except DatabaseError as exc:
        print(f"DatabaseError|{exc}")
    else:
        await db.close()
        print("opened")

asyncio.run(main())
"""


def test_a_directory_nobody_may_write_to_is_one_line(
    unprivileged: tuple[tuple[str, ...], Path],
) -> None:
    prefix, folder = unprivileged
    for path in (folder / "bot.sqlite3", folder / "var" / "bot.sqlite3"):
        opened = subprocess.run(
            [*prefix, sys.executable, "-c", _OPEN, str(path)],
            cwd=REPO,
            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "PYTHONDONTWRITEBYTECODE": "1"},
            capture_output=True,
            text=True,
            check=False,
        )
        assert opened.stderr == ""
        kind, _, message = opened.stdout.strip().partition("|")
        assert kind == "DatabaseError", opened.stdout
        assert str(path) in message and "\n" not in message
        assert "Permission denied" in message
        assert_one_error_line(run_bot(path, prefix=prefix, cwd=folder.parent), re.escape(str(path)))
    assert list(folder.iterdir()) == []


def test_an_existing_database_in_a_read_only_directory_is_one_line(
    tmp_path: Path, unprivileged: tuple[tuple[str, ...], Path]
) -> None:
    """SQLite cannot create the -wal file beside it: one line, not a traceback."""
    prefix, folder = unprivileged
    built = tmp_path / "bot.sqlite3"
    asyncio.run(_seed(built))
    folder.chmod(0o755)
    path = folder / "bot.sqlite3"
    shutil.copy(built, path)
    folder.chmod(0o555)
    assert_one_error_line(run_bot(path, prefix=prefix, cwd=folder.parent), re.escape(str(path)))


async def _seed(path: Path) -> None:
    db = await open_seeded_database(path)
    await db.close()


# --- a database another program is writing to ---


async def test_a_database_locked_while_it_migrates_is_one_line_and_migrates_later(
    tmp_path: Path, previous: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CLI importing, or a second bot, holds the write lock longer than we wait."""
    monkeypatch.setattr("bot.storage.db.BUSY_TIMEOUT_MS", 200)
    path = tmp_path / "bot.sqlite3"
    build_legacy_database(path, previous)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(DatabaseError) as caught:
            await open_database(path)
        message = str(caught.value)
        assert "\n" not in message
        assert str(path) in message and "locked by another program" in message
        other.execute("ROLLBACK")
    finally:
        other.close()
    assert rows(path, "SELECT MAX(version) FROM schema_version") == [(3,)]
    db = await open_database(path)  # once the other program is done, it migrates
    try:
        assert await schema_version(db) == LATEST_VERSION
        assert await load_catalog(db) == previous
    finally:
        await db.close()


@pytest.mark.slow
def test_the_bot_with_a_locked_database_says_so_in_one_line(
    tmp_path: Path, previous: Catalog
) -> None:
    path = tmp_path / "bot.sqlite3"
    build_legacy_database(path, previous)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        done = run_bot(path, cwd=tmp_path)  # waits out the busy timeout, then gives up
    finally:
        other.close()
    assert_one_error_line(done, "locked by another program")
