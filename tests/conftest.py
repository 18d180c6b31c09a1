"""Shared fixtures: a real SQLite file, the real catalog, the real bot against a fake Bot API."""

from __future__ import annotations

import os
import warnings
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from bot.app import build_application
from bot.catalog.files import load_catalog
from bot.config import Settings
from bot.core.geo import Gazetteer, Location
from bot.core.matching import Matcher
from bot.core.model import Catalog
from bot.services import DATA_DIR, Services
from tests.fake_telegram import TelegramHarness, TelegramUser

os.environ.setdefault("PTB_TIMEDELTA", "1")
REPO = Path(__file__).resolve().parent.parent
ADMIN_ID = 9000
STAFF_ID = 9100


# Fixtures that start `python -m bot` as its own process (and kill it): seconds per test.
_PROCESS_FIXTURES = frozenset({"bot_process"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that runs the bot as a process is slow, wherever it is written; slow tests go
    first, so that the parallel workers (`-n 4`, handed tests in turn) start them at once
    instead of finishing with one of them alone."""
    for item in items:
        if _PROCESS_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(autouse=True)
def _quiet_receiver() -> None:
    """The receiver calls getUpdates through do_api_request on purpose (it needs the raw
    JSON) and silences PTB's advice about it; pytest resets warning filters per test."""
    warnings.filterwarnings("ignore", message="Please use 'Bot.getUpdates'", category=UserWarning)


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    """The real catalog, as the data files hold it (read once per worker; never changed)."""
    return load_catalog(DATA_DIR)


@pytest.fixture(scope="session")
def matcher(catalog: Catalog) -> Matcher:
    return Matcher(catalog)


@pytest.fixture(scope="session")
def gazetteer(catalog: Catalog) -> Gazetteer:
    return Gazetteer(catalog)


def where(gazetteer: Gazetteer, text: str) -> Location:
    """The place or region she would mean by `text`; the test fails if there is none."""
    location = gazetteer.resolve(text)
    assert location is not None, text
    return location


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A fresh database file for one test."""
    return tmp_path / "var" / "bot.sqlite3"


@dataclass
class RunningBot:
    """The bot under test, its fake Telegram, and ways to look inside."""

    harness: TelegramHarness
    settings: Settings
    services: Services
    app: Any
    make_app: Callable[[], Any]

    def user(
        self, user_id: int, name: str = "Mother", language_code: str | None = "ru"
    ) -> TelegramUser:
        """A simulated mother in a private chat."""
        return self.harness.user(user_id, name, language_code)

    async def restart(self) -> None:
        """Stop this process's bot and start a fresh one on the same database."""
        self.app = self.make_app()
        await self.harness.restart(self.app)
        self.services = self.app.bot_data["services"]


@pytest.fixture
async def bot(db_path: Path) -> AsyncIterator[RunningBot]:
    """The real Application, polling a fake Bot API on loopback, with a real SQLite file."""
    async with TelegramHarness() as harness:
        settings = Settings(
            token=harness.token,
            database_path=db_path,
            api_url=harness.url,
            default_language="ru",
            admin_ids=frozenset({ADMIN_ID}),
            staff_ids=frozenset({STAFF_ID}),
        )

        def make_app() -> Any:
            return build_application(settings, Services(settings, DATA_DIR))

        app = make_app()
        await harness.start(app)
        running = RunningBot(harness, settings, app.bot_data["services"], app, make_app)
        yield running
        assert harness.server.unknown_methods == []


def with_settings(settings: Settings, **changes: Any) -> Settings:
    """A copy of settings with some values changed."""
    return replace(settings, **changes)
