"""Shared services of a running bot: the database, the catalog in memory, live conversations.

Opened once (PTB's post_init) and closed once (post_shutdown); handlers read `catalog`,
`gazetteer` and `matcher` without I/O, and the conversations in progress from `sessions`.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path

from bot.catalog.files import load_catalog as load_catalog_files
from bot.catalog.store import (
    catalog_is_empty,
    catalog_revision,
    load_catalog,
    load_centers,
    load_directory,
    replace_catalog,
)
from bot.config import Settings
from bot.core.geo import Gazetteer
from bot.core.live import LiveIndex
from bot.core.matching import Matcher
from bot.core.model import Catalog, Center, Directory
from bot.core.session import Session
from bot.shipped import DATA_DIR as DATA_DIR  # the seed catalog; callers import it from here
from bot.storage.db import Database
from bot.storage.live import open_cases
from bot.storage.migrations import open_database
from bot.storage.state import live_session_users, load_session

# Whole centers kept for cards: a few pages of many mothers; the rest is read when needed.
_FULL_CACHE = 2000
_LOGGER = logging.getLogger(__name__)


async def open_seeded_database(path: Path, data_dir: Path = DATA_DIR) -> Database:
    """Open the database and, if its catalog is empty, load the seed catalog from `data/`."""
    db = await open_database(path)
    try:
        if await catalog_is_empty(db):
            await replace_catalog(db, load_catalog_files(data_dir))
            _LOGGER.info("Seeded the catalog from the data folder")
    except BaseException:
        await db.close()
        raise
    return db


class LiveSessions:
    """Conversations in progress: the recently active ones in memory (an LRU bounded by
    count), the rest only in SQLite until she writes again.

    A session is held once, as its object; the stored row is its only other copy. Updates
    of one user are handled one at a time, so each entry has one writer.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = max(1, capacity)
        self._recent: OrderedDict[int, Session] = OrderedDict()
        # Who has a stored conversation: a miss for anyone else needs no database read.
        self._stored: set[int] = set()

    def __len__(self) -> int:
        return len(self._recent)

    def __contains__(self, user_id: object) -> bool:
        return user_id in self._recent

    def __getitem__(self, user_id: int) -> Session:
        return self._recent[user_id]

    def get(self, user_id: int) -> Session | None:
        """Her conversation if it is in memory (no database read, no change of order)."""
        return self._recent.get(user_id)

    def may_be_stored(self, user_id: int) -> bool:
        return user_id in self._stored

    def __setitem__(self, user_id: int, session: Session) -> None:
        self._recent[user_id] = session
        self._recent.move_to_end(user_id)
        while len(self._recent) > self.capacity:
            self._recent.popitem(last=False)

    def stored(self, user_id: int) -> None:
        """Her conversation now has a row in SQLite."""
        self._stored.add(user_id)

    def know_stored(self, user_ids: Iterable[int]) -> None:
        self._stored.update(user_ids)

    def pop(self, user_id: int) -> None:
        self._recent.pop(user_id, None)
        self._stored.discard(user_id)


class Services:
    """The database, the in-memory catalog and the live conversations of one bot process."""

    def __init__(self, settings: Settings, data_dir: Path = DATA_DIR) -> None:
        self.settings = settings
        self.data_dir = data_dir
        self._db: Database | None = None
        self._lock = asyncio.Lock()
        # Geography, hotlines and every center's head: what matching reads. Whole centers
        # (summaries, phones, sources…) come from the database for the cards she sees.
        self.catalog = Directory()
        self.gazetteer = Gazetteer(self.catalog)
        self.matcher = Matcher(self.catalog)
        self.catalog_revision = -1
        self._full: OrderedDict[str, Center] = OrderedDict()
        # Conversations in progress, by user id: the recently active in memory.
        self.sessions = LiveSessions(settings.sessions_in_memory)
        # What someone's next message answers outside her conversation (an admin's new value,
        # a coordinator's correction, the words of a report): memory only, short-lived, and
        # gone with her conversation (see `bot.tg.awaiting`).
        self.waiting: dict[int, object] = {}
        # The live line's open cases (a mirror of SQLite, for handler filters).
        self.live = LiveIndex()

    @property
    def idle_seconds(self) -> float:
        return self.settings.conversation_timeout_minutes * 60.0

    async def database(self) -> Database:
        """The open database, opened (and seeded, and everything loaded) on first use."""
        async with self._lock:
            if self._db is None:
                db = await open_seeded_database(self.settings.database_path, self.data_dir)
                try:
                    await self._load(db)
                    self.sessions.know_stored(await live_session_users(db, self.idle_seconds))
                    for case in await open_cases(db):
                        self.live.open(case.number, case.chat_id)
                        self.live.hold(case.number, case.consultant)
                except BaseException:
                    await db.close()
                    raise
                self._db = db
            return self._db

    async def session(self, user_id: int, *, keep: bool = True) -> Session | None:
        """Her conversation: from memory, else from SQLite (then kept in memory, unless
        `keep` is False: a reader beside her own updates must not put back an older copy).
        An unreadable row counts as none."""
        session = self.sessions.get(user_id)
        if session is not None:
            if keep:
                self.sessions[user_id] = session  # recently active again
            return session
        if not self.sessions.may_be_stored(user_id):
            return None
        data = await load_session(await self.database(), user_id)
        if data is None:
            return None
        try:
            session = Session.from_json(data)
        except ValueError:
            _LOGGER.warning("A stored conversation could not be read; starting afresh")
            return None
        if keep:
            self.sessions[user_id] = session
        return session

    def forget(self, user_id: int) -> None:
        """The conversation ended: nothing of it stays in memory."""
        self.sessions.pop(user_id)
        self.waiting.pop(user_id, None)

    async def _load(self, db: Database) -> None:
        self.catalog_revision = await catalog_revision(db)
        await self.use_catalog(await load_directory(db))

    async def use_catalog(self, catalog: Catalog | Directory) -> None:
        """Switch every search to this catalog. Its indexes are built in a thread: with a big
        catalog that takes a while, and no mother's update may wait for it."""

        def build() -> tuple[Directory, Gazetteer, Matcher]:
            directory = Directory.of(catalog) if isinstance(catalog, Catalog) else catalog
            return directory, Gazetteer(directory), Matcher(directory)

        self.catalog, self.gazetteer, self.matcher = await asyncio.to_thread(build)
        self._full.clear()  # whole centers of the catalog it replaces are stale
        # The catalog lives as long as the process: keep the garbage collector from walking
        # it again and again. (What it replaces holds no cycles: its memory is freed as soon
        # as nothing refers to it, frozen or not.)
        gc.freeze()

    async def full_centers(self, center_ids: Iterable[str]) -> dict[str, Center]:
        """Whole centers by id, from a small cache or the database (one query for the rest)."""
        wanted = list(dict.fromkeys(center_ids))
        found = {cid: self._full[cid] for cid in wanted if cid in self._full}
        missing = [cid for cid in wanted if cid not in found]
        if missing:
            loaded = await load_centers(await self.database(), missing)
            found.update(loaded)
            self._full.update(loaded)
        for cid in found:
            self._full.move_to_end(cid)
        while len(self._full) > _FULL_CACHE:
            self._full.popitem(last=False)
        return found

    async def full_center(self, center_id: str) -> Center | None:
        """One whole center (None for an unknown id)."""
        return (await self.full_centers([center_id])).get(center_id)

    async def full_catalog(self) -> Catalog:
        """The whole catalog, read from the database (admins' exports and edits)."""
        return await load_catalog(await self.database())

    async def reload_catalog(self) -> None:
        """Read the catalog again after a change."""
        await self._load(await self.database())

    async def reload_if_changed(self) -> bool:
        """Reload when another process (the CLI) has changed the catalog."""
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
