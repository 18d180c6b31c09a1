"""Numbered, append-only schema migrations, each applied in its own transaction.

Never edit a migration that has shipped: add the next number. A database whose version is
newer than the code is refused, so an old deploy cannot damage a newer schema.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.storage.db import Database


class SchemaTooNewError(RuntimeError):
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

MIGRATIONS: tuple[str, ...] = (_CATALOG, _BOT_STATE, _CATALOG_REVISION)
LATEST_VERSION = len(MIGRATIONS)


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


async def schema_version(db: Database) -> int:
    """The version recorded in the database; 0 for a new file."""
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
        async with db.transaction() as conn:
            for statement in _statements(MIGRATIONS[number - 1]):
                await conn.execute(statement)
            await conn.execute("INSERT INTO schema_version (version) VALUES (?)", (number,))
    return LATEST_VERSION
