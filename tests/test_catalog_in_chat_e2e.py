"""What the catalog lets a mother see: public addresses with a map pin, secret ones never."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest
import tomli_w

from bot.app import build_application
from bot.config import Settings
from bot.services import DATA_DIR, Services
from tests.fake_telegram import TelegramHarness
from tests.journey import answer_all, choose_language, tr

SECRET = "ул. Тайная, 7"
PUBLIC = "пр. Абая, 1"


def _center(center_id: str, address: str, public: bool) -> dict[str, object]:
    table: dict[str, object] = {
        "id": center_id,
        "name_kk": f"Сынақ орталығы {center_id}",
        "name_ru": f"Тестовый центр {center_id}",
        "summary_kk": "Сынақ үшін.",
        "summary_ru": "Для проверки.",
        "org_type": "non_state",
        "coverage": "city",
        "place": "taraz",
        "region": "zhambyl",
        "needs": ["legal"],
        "address_kk": address,
        "address_ru": address,
        "source_urls": ["https://example.org/test"],
        "verified_at": date(2026, 1, 1),
        "verified_by": "test",
    }
    if public:
        table.update(address_public=True, lat=42.9, lon=71.37)
    return table


@pytest.fixture
async def harness_with_test_centers(
    tmp_path: Path,
) -> AsyncIterator[tuple[TelegramHarness, Services]]:
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    for center_id, address, public in (
        ("test-public", PUBLIC, True),
        ("test-secret", SECRET, False),
    ):
        (data / "centers" / f"{center_id}.toml").write_text(
            tomli_w.dumps(_center(center_id, address, public)), encoding="utf-8"
        )
    async with TelegramHarness() as harness:
        settings = Settings(
            token=harness.token, database_path=tmp_path / "db.sqlite3", api_url=harness.url
        )
        services = Services(settings, data)
        await harness.start(build_application(settings, services))
        yield harness, services


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_public_address_gets_a_pin_and_a_secret_one_never_shows(
    harness_with_test_centers: tuple[TelegramHarness, Services], lang: str
) -> None:
    harness, services = harness_with_test_centers
    mother = harness.user(4001, "Mother", lang)
    await choose_language(mother, lang)
    taraz = services.catalog.place("taraz")
    assert taraz is not None
    mark = await answer_all(
        mother, lang, age="20", child="I am pregnant", city=taraz.name.get(lang), needs=["legal"]
    )
    shown = mother.since(mark)
    text = "\n".join(m.plain_text for m in shown)
    assert PUBLIC in text
    assert SECRET not in text
    pins = [m for m in shown if m.kind == "venue"]
    assert len(pins) == 1
    # The pin's title is the address, never the center's name (a lock screen shows it).
    assert pins[0].venue is not None and pins[0].venue["title"] == PUBLIC
    assert "Тест" not in pins[0].venue["title"] and "Сынақ" not in pins[0].venue["title"]
    assert tr(lang)._("Phone lines for all of Kazakhstan:") in shown[-1].plain_text
