"""Numbered, append-only schema migrations, each applied in its own transaction.

Never edit a migration that has shipped: add the next number. A database whose version is
newer than the code is refused, so an old deploy cannot damage a newer schema. A migration
is an SQL script or, where rows must be rewritten, an async function of the connection.
`open_database` here is how everything opens the bot's database: connect, then migrate.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

import aiosqlite

from bot.storage.db import Database, DatabaseError, connect


class SchemaTooNewError(DatabaseError):
    """The database was written by a newer version of the bot."""


_CATALOG = """
CREATE TABLE regions (
    id TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('region', 'city')),
    name_kk TEXT NOT NULL,
    name_ru TEXT NOT NULL,
    name_en TEXT NOT NULL DEFAULT '',
    aliases TEXT NOT NULL DEFAULT '[]',
    admin_center TEXT NOT NULL
);
CREATE TABLE places (
    id TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    region_id TEXT NOT NULL REFERENCES regions(id),
    name_kk TEXT NOT NULL,
    name_ru TEXT NOT NULL,
    name_en TEXT NOT NULL DEFAULT '',
    aliases TEXT NOT NULL DEFAULT '[]',
    lat REAL,
    lon REAL
);
CREATE TABLE centers (
    id TEXT PRIMARY KEY,
    name_kk TEXT NOT NULL,
    name_ru TEXT NOT NULL,
    summary_kk TEXT NOT NULL,
    summary_ru TEXT NOT NULL,
    org_type TEXT NOT NULL CHECK (org_type IN ('state', 'non_state')),
    status TEXT NOT NULL CHECK (status IN ('active', 'temporarily_closed', 'closed')),
    status_reason_kk TEXT NOT NULL DEFAULT '',
    status_reason_ru TEXT NOT NULL DEFAULT '',
    coverage TEXT NOT NULL CHECK (coverage IN ('city', 'region', 'national')),
    place_id TEXT REFERENCES places(id),
    region_id TEXT REFERENCES regions(id),
    shelter INTEGER,
    stay_min TEXT,
    stay_max TEXT,
    stay_max_exceptional TEXT,
    mother_age_min INTEGER,
    mother_age_max INTEGER,
    child_age_min_months INTEGER,
    child_age_max_months INTEGER,
    accepts_pregnant INTEGER,
    exclusions TEXT NOT NULL DEFAULT '[]',
    requirements TEXT NOT NULL DEFAULT '[]',
    website TEXT NOT NULL DEFAULT '',
    address_kk TEXT NOT NULL DEFAULT '',
    address_ru TEXT NOT NULL DEFAULT '',
    address_public INTEGER NOT NULL DEFAULT 0,
    lat REAL,
    lon REAL,
    confidence TEXT NOT NULL DEFAULT 'medium',
    source_urls TEXT NOT NULL,
    verified_at TEXT NOT NULL,
    verified_by TEXT NOT NULL,
    notes TEXT NOT NULL DEFAULT ''
);
CREATE TABLE center_needs (
    center_id TEXT NOT NULL REFERENCES centers(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    need TEXT NOT NULL,
    PRIMARY KEY (center_id, need)
);
CREATE TABLE center_phones (
    center_id TEXT NOT NULL REFERENCES centers(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    number TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'voice',
    hours TEXT NOT NULL DEFAULT '',
    languages TEXT NOT NULL DEFAULT '[]',
    source TEXT NOT NULL,
    PRIMARY KEY (center_id, position)
);
CREATE TABLE hotlines (
    id TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    number TEXT NOT NULL,
    emergency INTEGER NOT NULL DEFAULT 0,
    name_kk TEXT NOT NULL,
    name_ru TEXT NOT NULL,
    purpose_kk TEXT NOT NULL,
    purpose_ru TEXT NOT NULL,
    hours TEXT NOT NULL DEFAULT '',
    free INTEGER,
    channels TEXT NOT NULL DEFAULT '[]',
    needs TEXT NOT NULL DEFAULT '[]',
    confidence TEXT NOT NULL DEFAULT 'medium',
    source_urls TEXT NOT NULL,
    verified_at TEXT NOT NULL,
    verified_by TEXT NOT NULL,
    notes TEXT NOT NULL DEFAULT ''
);
"""

# State of conversations with mothers: only what the conversation needs, with the time it
# was last touched so that expired rows can be purged. No names, no message text.
_BOT_STATE = """
CREATE TABLE conversations (
    name TEXT NOT NULL,
    key TEXT NOT NULL,
    user_id INTEGER NOT NULL,
    state TEXT NOT NULL,
    updated_at REAL NOT NULL,
    PRIMARY KEY (name, key)
);
CREATE INDEX conversations_user ON conversations(user_id);
CREATE TABLE user_data (
    user_id INTEGER PRIMARY KEY,
    data TEXT NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE chat_messages (
    chat_id INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    sent_at REAL NOT NULL,
    PRIMARY KEY (chat_id, message_id)
);
CREATE INDEX chat_messages_sent_at ON chat_messages(sent_at);
CREATE TABLE search_stats (
    day TEXT NOT NULL,
    region_id TEXT NOT NULL,
    need TEXT NOT NULL,
    searches INTEGER NOT NULL DEFAULT 0,
    nothing_local INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, region_id, need)
);
"""

# A revision number bumped by every catalog change, so a running bot notices an import made
# by the CLI (another process) and reloads its in-memory copy.
_CATALOG_REVISION = """
CREATE TABLE catalog_meta (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    revision INTEGER NOT NULL,
    changed_at REAL NOT NULL
);
INSERT INTO catalog_meta (id, revision, changed_at) VALUES (1, 0, 0)
"""


async def _legacy_rows(conn: aiosqlite.Connection, sql: str) -> list[dict[str, Any]]:
    async with conn.execute(sql) as cursor:
        return [dict(row) for row in await cursor.fetchall()]


def _flag(value: object) -> bool | None:
    return None if value is None else bool(value)


def _without_empty(table: dict[str, Any]) -> dict[str, Any]:
    """Drop what the data files would leave out, so the file reader sees a file's table."""
    return {k: v for k, v in table.items() if v is not None and v != "" and v != []}


async def _catalog_as_documents(conn: aiosqlite.Connection) -> None:
    """Version 4: the catalog as one JSON document per entry; conversations as sessions.

    The old column tables become the model's JSON documents of that day, checked for what the
    old columns could hold wrong (see the frozen reader below); any problem changes nothing.
    """
    # `head`: what matching reads of a center (`CenterHead`); it stands before the document,
    # so the running bot reads every head without reading any document (fast, and small).
    await conn.execute(
        "CREATE TABLE catalog_entries ("
        " kind TEXT NOT NULL CHECK (kind IN ('region', 'place', 'center', 'hotline')),"
        " id TEXT NOT NULL, position INTEGER NOT NULL, head TEXT, doc TEXT NOT NULL,"
        " PRIMARY KEY (kind, id))"
    )
    rows = await _v4_documents(conn)
    await conn.executemany(
        "INSERT INTO catalog_entries (kind, id, position, head, doc) VALUES (?, ?, ?, ?, ?)", rows
    )
    for old in ("center_phones", "center_needs", "centers", "hotlines", "places", "regions"):
        await conn.execute(f"DROP TABLE {old}")
    # Her conversation: one row per user, its JSON read by `bot.core.session` (which also
    # reads the rows of the previous layout, copied here as they are).
    await conn.execute(
        "CREATE TABLE sessions (user_id INTEGER PRIMARY KEY, data TEXT NOT NULL,"
        " updated_at REAL NOT NULL)"
    )
    await conn.execute(
        "INSERT INTO sessions (user_id, data, updated_at)"
        " SELECT user_id, data, updated_at FROM user_data"
    )
    await conn.execute("DROP TABLE user_data")
    await conn.execute("DROP TABLE conversations")
    # Updates fetched from Telegram, stored before they are confirmed and deleted once
    # handled; `done` rows keep no content, only the id, so a re-delivery is not handled twice.
    await conn.execute(
        "CREATE TABLE inbox (update_id INTEGER PRIMARY KEY, payload TEXT, lane TEXT NOT NULL,"
        " received_at REAL NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
        " done INTEGER NOT NULL DEFAULT 0)"
    )
    # Conversations started from staff links and how many reached results: counts per day
    # and source name only, no user, no time of day.
    await conn.execute(
        "CREATE TABLE referral_stats (day TEXT NOT NULL, source TEXT NOT NULL,"
        " started INTEGER NOT NULL DEFAULT 0, reached_results INTEGER NOT NULL DEFAULT 0,"
        " PRIMARY KEY (day, source))"
    )


def _day(value: str) -> date:
    return date.fromisoformat(value)


# --- Migration 4's own copy of the catalog reader, frozen as it shipped ---
# A shipped migration must give the same result forever, so it calls no live code that later
# changes (the data files' reader, the model, the store's encoder). What follows is exactly what
# version 4 needs: the documents in the model's JSON layout of that day (a newer model reads
# them, as it reads every older document), and the checks the old columns could fail (codes,
# coordinates, references, durations, empty names, a source). Do not "update" it: a change to
# the catalog's layout is a new migration.
_V4_NEEDS = frozenset(
    {"shelter", "keep_baby", "pregnancy", "violence", "psychological", "legal", "medical",
     "material", "hiv", "trafficking", "work_study"}
)  # fmt: skip
_V4_CODES: dict[str, frozenset[str]] = {
    "needs": _V4_NEEDS,
    "exclusions": frozenset({"hiv", "mental_illness", "substance_use"}),
    "requirements": frozenset({"police_complaint", "commission_approval", "documents"}),
    "kind": frozenset({"voice", "whatsapp", "telegram"}),
    "languages": frozenset({"kk", "ru"}),
    "channels": frozenset({"voice", "whatsapp", "telegram", "chat"}),
    "confidence": frozenset({"high", "medium", "low"}),
}
_V4_LAT, _V4_LON = (40.5, 55.5), (46.4, 87.4)  # Kazakhstan's bounding box, with a margin
_V4_DURATION = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(\d+H))?$")
# What matching reads of a center: stored beside its document (see `bot.catalog.store`).
_V4_HEAD_KEYS = (
    "id", "name", "status", "coverage", "place", "region", "needs", "shelter", "stay",
    "eligibility", "lat", "lon",
)  # fmt: skip
_V4_CHECKING_KEYS = ("verified_at", "verified_how", "confidence")


def _v4_text(kk: str, ru: str) -> dict[str, str]:
    return _without_empty({"kk": kk, "ru": ru})


def _v4_json(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class _V4Check:
    """Collects what is wrong with the old rows, named like the data files' checks."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def codes(self, entry: str, key: str, values: list[str]) -> None:
        known = ", ".join(sorted(_V4_CODES[key]))
        for value in values:
            if value not in _V4_CODES[key]:
                self.problems.append(
                    f"{entry}: '{key}' has unknown code {value!r} (known: {known})"
                )

    def point(self, entry: str, lat: float | None, lon: float | None) -> None:
        if (lat is None) != (lon is None):
            self.problems.append(f"{entry}: 'lat' and 'lon' come together")
        elif (
            lat is not None
            and lon is not None
            and not (_V4_LAT[0] <= lat <= _V4_LAT[1] and _V4_LON[0] <= lon <= _V4_LON[1])
        ):
            self.problems.append(f"{entry}: coordinates {lat}, {lon} are outside Kazakhstan")

    def texts(self, entry: str, row: dict[str, Any], *keys: str) -> None:
        for key in keys:
            if not str(row[key] or "").strip():
                self.problems.append(f"{entry}: '{key}' is empty")

    def provenance(self, entry: str, row: dict[str, Any], urls: list[str]) -> dict[str, Any]:
        self.codes(entry, "confidence", [row["confidence"]])
        if not urls:
            self.problems.append(f"{entry}: 'source_urls' needs at least one source")
        return _without_empty(
            {"source_urls": urls, "verified_at": _day(row["verified_at"]).isoformat(),
             "verified_by": row["verified_by"], "confidence": row["confidence"],
             "notes": row["notes"]}
        )  # fmt: skip


def _v4_stay(check: _V4Check, entry: str, row: dict[str, Any]) -> dict[str, str]:
    stay = {}
    for key, name in (("stay_min", "min"), ("stay_max", "max"), ("stay_max_exceptional",
                      "max_exceptional")):  # fmt: skip
        if row[key]:
            if not _V4_DURATION.match(row[key]):
                check.problems.append(f"{entry}: '{key}' is not an ISO 8601 duration")
            stay[name] = row[key]
    return stay


async def _v4_documents(conn: aiosqlite.Connection) -> list[tuple[str, str, int, str | None, str]]:
    """The old column tables as rows of `catalog_entries`: (kind, id, position, head, doc)."""
    check = _V4Check()
    regions: list[dict[str, Any]] = []
    places: list[dict[str, Any]] = []
    centers: list[dict[str, Any]] = []
    hotlines: list[dict[str, Any]] = []
    for r in await _legacy_rows(conn, "SELECT * FROM regions ORDER BY position"):
        entry = f"region {r['id']}"
        check.texts(entry, r, "name_kk", "name_ru", "admin_center")
        regions.append(_without_empty(
            {"id": r["id"], "kind": r["kind"], "name": _v4_text(r["name_kk"], r["name_ru"]),
             "name_en": r["name_en"], "aliases": json.loads(r["aliases"]),
             "admin_center": r["admin_center"]}
        ))  # fmt: skip
    for p in await _legacy_rows(conn, "SELECT * FROM places ORDER BY position"):
        entry = f"place {p['id']}"
        check.texts(entry, p, "name_kk", "name_ru")
        check.point(entry, p["lat"], p["lon"])
        places.append(_without_empty(
            {"id": p["id"], "region": p["region_id"], "name": _v4_text(p["name_kk"], p["name_ru"]),
             "name_en": p["name_en"], "aliases": json.loads(p["aliases"]),
             "lat": p["lat"], "lon": p["lon"]}
        ))  # fmt: skip
    region_ids = {r["id"] for r in regions}
    place_region = {p["id"]: p["region"] for p in places}
    for r in regions:
        if r["admin_center"] not in place_region:
            check.problems.append(f"region {r['id']}: unknown admin_center {r['admin_center']!r}")
    for p in places:
        if p["region"] not in region_ids:
            check.problems.append(f"place {p['id']}: unknown region {p['region']!r}")
    needs: dict[str, list[str]] = {}
    for row in await _legacy_rows(conn, "SELECT * FROM center_needs ORDER BY position"):
        needs.setdefault(row["center_id"], []).append(row["need"])
    phones: dict[str, list[dict[str, Any]]] = {}
    for row in await _legacy_rows(conn, "SELECT * FROM center_phones ORDER BY position"):
        entry = f"center {row['center_id']} phone #{row['position'] + 1}"
        languages = json.loads(row["languages"])
        check.codes(entry, "kind", [row["kind"]])
        check.codes(entry, "languages", languages)
        phone = {k: row[k] for k in ("number", "hours", "source")} | {"languages": languages}
        if row["kind"] != "voice":
            phone["kind"] = row["kind"]
        phones.setdefault(row["center_id"], []).append(_without_empty(phone))
    for row in await _legacy_rows(conn, "SELECT * FROM centers ORDER BY id"):
        entry = f"center {row['id']}"
        check.texts(entry, row, "name_kk", "name_ru", "summary_kk", "summary_ru", "verified_by")
        check.codes(entry, "needs", needs.get(row["id"], []))
        exclusions, requirements = json.loads(row["exclusions"]), json.loads(row["requirements"])
        check.codes(entry, "exclusions", exclusions)
        check.codes(entry, "requirements", requirements)
        check.point(entry, row["lat"], row["lon"])
        place, region = row["place_id"], row["region_id"]
        if place and place not in place_region:
            check.problems.append(f"{entry}: unknown place {place!r}")
        if region and region not in region_ids:
            check.problems.append(f"{entry}: unknown region {region!r}")
        if place in place_region and region and place_region[place] != region:
            check.problems.append(f"{entry}: place {place!r} is not in region {region!r}")
        eligibility = {
            k: row[k]
            for k in ("mother_age_min", "mother_age_max", "child_age_min_months",
                      "child_age_max_months")
        }  # fmt: skip
        eligibility |= {
            "accepts_pregnant": _flag(row["accepts_pregnant"]),
            "exclusions": exclusions, "requirements": requirements,
        }  # fmt: skip
        doc = {
            "id": row["id"], "name": _v4_text(row["name_kk"], row["name_ru"]),
            "summary": _v4_text(row["summary_kk"], row["summary_ru"]),
            "org_type": row["org_type"],
            "status": None if row["status"] == "active" else row["status"],
            "status_reason": _v4_text(row["status_reason_kk"], row["status_reason_ru"]),
            "coverage": row["coverage"], "place": place, "region": region,
            "needs": needs.get(row["id"], []), "shelter": _flag(row["shelter"]),
            "stay": _v4_stay(check, entry, row), "eligibility": _without_empty(eligibility),
            "phones": phones.get(row["id"], []), "website": row["website"],
            "address": _v4_text(row["address_kk"], row["address_ru"]),
            "address_public": bool(row["address_public"]) or None,
            "lat": row["lat"], "lon": row["lon"],
            "provenance": check.provenance(entry, row, json.loads(row["source_urls"])),
        }  # fmt: skip
        centers.append(_without_empty(doc))
    for row in await _legacy_rows(conn, "SELECT * FROM hotlines ORDER BY position"):
        entry = f"hotline {row['id']}"
        check.texts(entry, row, "number", "name_kk", "name_ru", "purpose_kk", "purpose_ru")
        channels, line_needs = json.loads(row["channels"]), json.loads(row["needs"])
        check.codes(entry, "channels", channels)
        check.codes(entry, "needs", line_needs)
        hotlines.append(_without_empty(
            {"id": row["id"], "number": row["number"], "emergency": bool(row["emergency"]) or None,
             "name": _v4_text(row["name_kk"], row["name_ru"]),
             "purpose": _v4_text(row["purpose_kk"], row["purpose_ru"]), "hours": row["hours"],
             "free": _flag(row["free"]), "channels": channels, "needs": line_needs,
             "provenance": check.provenance(entry, row, json.loads(row["source_urls"]))}
        ))  # fmt: skip
    if check.problems:
        raise DatabaseError(
            f"the stored catalog cannot be carried over: {check.problems[0]} "
            f"(and {len(check.problems) - 1} more)"
        )

    def head(doc: dict[str, Any]) -> str:
        checking = {k: doc["provenance"][k] for k in _V4_CHECKING_KEYS if k in doc["provenance"]}
        return _v4_json({k: doc[k] for k in _V4_HEAD_KEYS if k in doc} | {"provenance": checking})

    if not regions:  # an empty database (never seeded) has nothing to carry over
        return []
    kinds = (("region", regions), ("place", places), ("center", centers), ("hotline", hotlines))
    return [
        (kind, doc["id"], i, head(doc) if kind == "center" else None, _v4_json(doc))
        for kind, docs in kinds
        for i, doc in enumerate(docs)
    ]


# Version 5: keeping the catalog true from Telegram. Nothing here names a mother: reports
# keep the center, the reason, her optional words and the day only; statistics are counts.
_CATALOG_CARE = """
CREATE TABLE catalog_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    center_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('edit', 'undo')),
    field TEXT NOT NULL,
    old_value TEXT NOT NULL,
    new_value TEXT NOT NULL,
    before_doc TEXT,
    after_doc TEXT,
    who TEXT NOT NULL,
    changed_at REAL NOT NULL,
    undone INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX catalog_changes_center ON catalog_changes(center_id, id);
CREATE TABLE center_shown (
    day TEXT NOT NULL,
    center_id TEXT NOT NULL,
    shown INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, center_id)
);
CREATE TABLE reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    center_id TEXT NOT NULL,
    reason TEXT NOT NULL CHECK (reason IN ('no_answer', 'closed', 'refused', 'other')),
    text TEXT NOT NULL DEFAULT '',
    day TEXT NOT NULL
);
CREATE TABLE center_invites (
    token_hash TEXT PRIMARY KEY,
    center_id TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    used_at REAL
);
CREATE TABLE center_proposals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    center_id TEXT NOT NULL,
    changes TEXT NOT NULL,
    day TEXT NOT NULL
);
CREATE TABLE admin_prefs (
    user_id INTEGER PRIMARY KEY,
    lang TEXT NOT NULL
)
"""

# Version 7: the updates whose change to the catalog or to the bot's state is stored, each
# recorded in the same transaction as its change, so an update handled again after a crash
# (its change committed, its inbox row not yet) is never applied twice. Update ids only: no
# user, no content. And the sources staff made with /link: only these are counted by name
# in the referral statistics (anyone can type a start link with a made-up source).
_APPLIED_UPDATES = """
CREATE TABLE applied_updates (
    update_id INTEGER PRIMARY KEY,
    applied_at REAL NOT NULL
);
CREATE TABLE referral_sources (
    source TEXT PRIMARY KEY,
    created_at REAL NOT NULL
)
"""


# The live line (issue 15): consultants, open cases (the only link between a case number
# and her chat, deleted when the case ends), message ids of consultants' chats for reply
# routing, blocked senders as a keyed hash, and outcomes counted by day and region.
_LIVE_LINE = """
CREATE TABLE live_consultants (
    user_id INTEGER PRIMARY KEY,
    display_name TEXT NOT NULL DEFAULT '',
    lang TEXT NOT NULL,
    on_duty INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE live_cases (
    number INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id INTEGER NOT NULL UNIQUE,
    lang TEXT NOT NULL,
    region TEXT NOT NULL DEFAULT '',
    consultant INTEGER,
    opened_at REAL NOT NULL,
    last_at REAL NOT NULL,
    told_waiting INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE live_messages (
    consultant INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    case_number INTEGER NOT NULL REFERENCES live_cases(number) ON DELETE CASCADE,
    offer INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (consultant, message_id)
);
CREATE INDEX live_messages_case ON live_messages (case_number);
CREATE TABLE live_blocked (
    sender TEXT PRIMARY KEY,
    blocked_at REAL NOT NULL
);
CREATE TABLE live_outcomes (
    day TEXT NOT NULL,
    region TEXT NOT NULL,
    outcome TEXT NOT NULL,
    cases INTEGER NOT NULL,
    PRIMARY KEY (day, region, outcome)
);
CREATE TABLE live_keys (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
)
"""


# The live line: the ids (never the text) of her messages written before a consultant took
# her case, so that a restart in between loses none of them; deleted with the case.
_LIVE_WAITING = """
CREATE TABLE live_waiting (
    case_number INTEGER NOT NULL REFERENCES live_cases(number) ON DELETE CASCADE,
    message_id INTEGER NOT NULL,
    PRIMARY KEY (case_number, message_id)
)
"""


Migration = str | Callable[[aiosqlite.Connection], Awaitable[None]]
MIGRATIONS: tuple[Migration, ...] = (
    _CATALOG,
    _BOT_STATE,
    _CATALOG_REVISION,
    _catalog_as_documents,
    _CATALOG_CARE,
    _LIVE_LINE,
    _APPLIED_UPDATES,
    _LIVE_WAITING,
)
LATEST_VERSION = len(MIGRATIONS)


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


async def schema_version(db: Database) -> int:
    """The version recorded in the database; 0 for a new file (`connect` refused the file
    of another program before)."""
    await db.conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    async with db.conn.execute("SELECT MAX(version) FROM schema_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row and row[0] is not None else 0


async def migrate(db: Database) -> int:
    """Apply every migration the database lacks; returns the resulting version."""
    version = await schema_version(db)
    if version > LATEST_VERSION:
        raise SchemaTooNewError(
            f"database {db.path} has schema version {version}, but this code knows only "
            f"up to {LATEST_VERSION}: run a newer version of the bot"
        )
    for number in range(version + 1, LATEST_VERSION + 1):
        migration = MIGRATIONS[number - 1]
        async with db.transaction() as conn:
            if isinstance(migration, str):
                for statement in _statements(migration):
                    await conn.execute(statement)
            else:
                await migration(conn)
            await conn.execute("INSERT INTO schema_version (version) VALUES (?)", (number,))
    return LATEST_VERSION


async def open_database(path: Path) -> Database:
    """Open (creating if needed) and migrate the database at `path`."""
    db = await connect(path)
    try:
        await migrate(db)
    except sqlite3.Error as exc:  # another program holds the lock, or the file is read-only
        await db.close()
        reason = "it is locked by another program" if "locked" in str(exc) else str(exc)
        raise DatabaseError(f"cannot use {path}: {reason}") from None
    except BaseException:
        await db.close()
        raise
    return db
