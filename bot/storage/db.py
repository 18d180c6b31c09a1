"""The one place that opens the SQLite database.

Every connection gets the same pragmas; the file is created readable by its owner only,
because it holds conversations with mothers in crisis. Migrations live in
`bot.storage.migrations`, which opens the database through here.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

import aiosqlite

BUSY_TIMEOUT_MS = 5000
_CHECKPOINT_TRIES = 40
_CHECKPOINT_PAUSE = 0.05
_LOGGER = logging.getLogger(__name__)
_T = TypeVar("_T")


class DatabaseError(RuntimeError):
    """The database cannot be used; the message names the file and says why, in one line."""


class Database:
    """An open aiosqlite connection with explicit transactions; close it on shutdown."""

    def __init__(self, connection: aiosqlite.Connection, path: Path) -> None:
        self.conn = connection
        self.path = path
        # One connection is shared by concurrent tasks, and SQLite has one transaction per
        # connection: transactions take turns.
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

    async def run_transaction(self, work: Callable[[sqlite3.Connection], _T]) -> _T:
        """Run `work` (plain sqlite3 calls) inside one transaction in the database thread.

        `transaction()` hands every statement to aiosqlite's thread and back (a queue put, a
        wake-up of the event loop); an update's writes done that way cost eight or ten trips.
        Here BEGIN, all statements and COMMIT are one trip: one function in that thread.
        """

        def body() -> _T:
            conn = self.conn._conn  # the sqlite3 connection; only ever used in its thread
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = work(conn)
                conn.commit()
            except BaseException:
                conn.rollback()
                raise
            return result

        async with self._lock:
            # aiosqlite's own way of running a function in its thread (what execute() uses).
            result: _T = await self.conn._execute(body)  # type: ignore[no-untyped-call]
            return result

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[aiosqlite.Connection]:
        """A read in several steps (a whole catalog in chunks): no transaction and no
        checkpoint of this connection runs between its steps."""
        async with self._lock:
            yield self.conn

    async def checkpoint(self) -> bool:
        """Fold the WAL into the database and empty it, so deleted rows leave no copy there.

        A read still in progress on this connection (a long catalog read between its chunks)
        makes SQLite refuse for a moment: it is tried again for a while; if it still cannot,
        False, and the purge job's checkpoint a minute later does it.
        """
        for _attempt in range(_CHECKPOINT_TRIES):
            async with self._lock:
                try:
                    # Read to the end: a checkpoint statement left open blocks every COMMIT.
                    async with self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cursor:
                        await cursor.fetchall()
                    return True
                except sqlite3.OperationalError as exc:
                    if "locked" not in str(exc):
                        raise
            await asyncio.sleep(_CHECKPOINT_PAUSE)
        _LOGGER.warning("The WAL could not be emptied now; the purge job will do it")
        return False

    async def close(self) -> None:
        """Close the connection (aiosqlite ≥ 0.22 keeps the process alive otherwise)."""
        await self.conn.close()


def _create_private_file(path: Path) -> None:
    if str(path.resolve()).startswith(("/proc/", "/sys/", "/dev/")):
        raise DatabaseError(f"{path} is not a place for a database file")
    if path.exists() and not path.is_file():
        raise DatabaseError(f"{path} is not a file")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
        os.close(fd)
        path.chmod(0o600)
    except OSError as exc:
        raise DatabaseError(f"cannot create or open {path}: {exc.strerror or exc}") from None


async def connect(path: Path) -> Database:
    """Open (creating if needed) the database file at `path` with the bot's pragmas.

    Every way the file can be unusable (a directory, no permission, not a database, locked
    by another program) becomes one `DatabaseError` line.
    """
    _create_private_file(path)
    try:
        # isolation_level=None: we issue BEGIN ourselves, so a transaction is exactly one block.
        conn = await aiosqlite.connect(path, isolation_level=None)
    except sqlite3.Error as exc:
        raise DatabaseError(f"cannot open {path}: {exc}") from None
    try:
        conn.row_factory = aiosqlite.Row
        await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await conn.execute("PRAGMA foreign_keys = ON")
        # Checked before anything is written: a file that is refused keeps its bytes (the
        # switch to WAL below would rewrite another program's database header).
        async with conn.execute("PRAGMA quick_check") as cursor:
            row = await cursor.fetchone()
        if row is None or row[0] != "ok":
            raise DatabaseError(f"{path} is damaged (SQLite quick_check failed)")
        async with conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ) as cursor:
            tables = {row[0] for row in await cursor.fetchall()}
        if tables and "schema_version" not in tables:
            raise DatabaseError(f"{path} is a database of another program, not of this bot")
        await conn.execute("PRAGMA journal_mode = WAL")
        await conn.execute("PRAGMA synchronous = NORMAL")
        # Deleted rows (a wiped conversation) are overwritten, not left in free pages.
        await conn.execute("PRAGMA secure_delete = ON")
    except sqlite3.DatabaseError as exc:
        await conn.close()
        reason = "it is locked by another program" if "locked" in str(exc) else str(exc)
        raise DatabaseError(f"cannot use {path}: {reason}") from None
    except BaseException:
        await conn.close()
        raise
    return Database(conn, path)
