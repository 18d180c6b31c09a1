"""The one place that opens the SQLite database.

Every connection gets the same pragmas; the file is created readable by its owner only,
because it holds conversations with mothers in crisis.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from bot.storage.migrations import migrate

BUSY_TIMEOUT_MS = 5000


class Database:
    """An open aiosqlite connection with explicit transactions; close it on shutdown."""

    def __init__(self, connection: aiosqlite.Connection, path: Path) -> None:
        self.conn = connection
        self.path = path
        # One connection is shared by concurrent tasks (PTB gathers persistence writes), and
        # SQLite has one transaction per connection: transactions take turns.
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """All statements inside commit together or not at all."""
        async with self._lock:
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                await self.conn.rollback()
                raise
            await self.conn.commit()

    async def checkpoint(self) -> None:
        """Fold the WAL into the database and empty it, so deleted rows leave no copy there."""
        async with self._lock:
            await self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    async def close(self) -> None:
        """Close the connection (aiosqlite ≥ 0.22 keeps the process alive otherwise)."""
        await self.conn.close()


def _create_private_file(path: Path) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(fd)
    path.chmod(0o600)


async def open_database(path: Path) -> Database:
    """Open (creating if needed) and migrate the database at `path`."""
    _create_private_file(path)
    # isolation_level=None: we issue BEGIN ourselves, so a transaction is exactly one block.
    conn = await aiosqlite.connect(path, isolation_level=None)
    try:
        conn.row_factory = aiosqlite.Row
        await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await conn.execute("PRAGMA foreign_keys = ON")
        await conn.execute("PRAGMA journal_mode = WAL")
        await conn.execute("PRAGMA synchronous = NORMAL")
        # Deleted rows (a wiped conversation) are overwritten, not left in free pages.
        await conn.execute("PRAGMA secure_delete = ON")
        database = Database(conn, path)
        await migrate(database)
    except BaseException:
        await conn.close()
        raise
    return database
