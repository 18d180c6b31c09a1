"""Shared services of a running bot: the database and the catalog held in memory.

Opened once (PTB's post_init, or the first persistence call, whichever comes first) and
closed once in post_shutdown; handlers read `catalog` and `gazetteer` without I/O.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from bot.catalog_files import load_catalog as load_catalog_files
from bot.config import Settings
from bot.core.geo import Gazetteer
from bot.core.model import Catalog
from bot.storage.catalog_repo import (
    catalog_is_empty,
    catalog_revision,
    load_catalog,
    replace_catalog,
)
from bot.storage.db import Database, open_database

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
_LOGGER = logging.getLogger(__name__)


async def open_seeded_database(path: Path, data_dir: Path = DATA_DIR) -> Database:
    """Open the database and, if its catalog is empty, load the seed catalog from `data/`."""
    db = await open_database(path)
    try:
        if await catalog_is_empty(db):
            await replace_catalog(db, load_catalog_files(data_dir))
            _LOGGER.info("Seeded the catalog from %s", data_dir)
    except BaseException:
        await db.close()
        raise
    return db


class Services:
    """The database and the in-memory catalog of one bot process."""

    def __init__(self, settings: Settings, data_dir: Path = DATA_DIR) -> None:
        self.settings = settings
        self.data_dir = data_dir
        self._db: Database | None = None
        self._lock = asyncio.Lock()
        self.catalog = Catalog()
        self.gazetteer = Gazetteer(self.catalog)
        self.catalog_revision = -1

    async def database(self) -> Database:
        """The open database, opened (and seeded, and the catalog loaded) on first use."""
        async with self._lock:
            if self._db is None:
                self._db = await open_seeded_database(self.settings.database_path, self.data_dir)
                await self._load(self._db)
            return self._db

    async def _load(self, db: Database) -> None:
        self.catalog_revision = await catalog_revision(db)
        self.catalog = await load_catalog(db)
        self.gazetteer = Gazetteer(self.catalog)

    async def reload_catalog(self) -> None:
        """Read the catalog again after an import."""
        await self._load(await self.database())

    async def reload_if_changed(self) -> bool:
        """Reload when another process (the CLI) has imported a new catalog."""
        db = await self.database()
        if await catalog_revision(db) == self.catalog_revision:
            return False
        await self._load(db)
        return True

    async def close(self) -> None:
        """Close the database; safe to call twice."""
        async with self._lock:
            if self._db is not None:
                await self._db.close()
                self._db = None
