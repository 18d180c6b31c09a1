"""What the catalog lets a mother see: public addresses, secret ones never, and any text a
center's entry holds shown as written (issue 12: `&` and `<` once broke every later page)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest

from bot.services import Services
from tests.fake_telegram import TelegramHarness
from tests.journey import bot_with_centers, tr
from tests.results_pages import search_taraz

SECRET = "ул. Тайная, 7"
PUBLIC = "пр. Абая, 1"
# The example from issue 12, in the hours field the validator accepts.
HOURS = "Пн-Пт 9-18 & Сб <10"


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


def _markup_center() -> dict[str, object]:
    table = _center("test-markup", "<b>ул. Ленина</b> & 5", True)
    table.update(
        name_kk="«Ана & Бала» <орталығы>",
        name_ru="Центр «Мать & дитя» <i>без тегов</i>",
        summary_kk="Заңгер < 5 минут & тегін.",
        summary_ru="Юрист < 5 минут & бесплатно, <script>alert(1)</script>.",
        hours=HOURS,
        website="https://example.org/?a=1&b=<2>",
    )
    return table


@pytest.fixture
async def harness_with_test_centers(
    tmp_path: Path,
) -> AsyncIterator[tuple[TelegramHarness, Services]]:
    tables = [_center("test-public", PUBLIC, True), _center("test-secret", SECRET, False),
              _markup_center()]  # fmt: skip
    async with bot_with_centers(tmp_path, tables) as running:
        yield running


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_public_address_is_shown_and_a_secret_one_never(
    harness_with_test_centers: tuple[TelegramHarness, Services], lang: str
) -> None:
    harness, services = harness_with_test_centers
    mother = harness.user(4001, "Mother", lang)
    shown, pages = await search_taraz(mother, lang, services)
    text = "\n".join([*pages, *(m.plain_text for m in shown)])
    assert "Тестовый центр test-public" in text or "Сынақ орталығы test-public" in text
    assert f"📍 {PUBLIC}" in text
    assert SECRET not in text
    # The secret center itself is offered, only without its address.
    assert "test-secret" in text
    # A map pin, if one is sent, is titled with the address, never with the center's name
    # (a lock screen shows it).
    for pin in (m for m in shown if m.kind == "venue"):
        assert pin.venue is not None and pin.venue["title"] == PUBLIC
        assert "Тест" not in pin.venue["title"] and "Сынақ" not in pin.venue["title"]
    assert all(tr(lang)._("Phone lines for all of Kazakhstan:") in page for page in pages)


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_catalog_text_with_markup_characters_is_shown_as_written(
    harness_with_test_centers: tuple[TelegramHarness, Services], lang: str
) -> None:
    """Every page parses as Telegram HTML (the fake server refuses what Telegram refuses)
    and keeps its footer and its buttons; the characters are shown as typed."""
    harness, services = harness_with_test_centers
    mother = harness.user(4002, "Mother", lang)
    center = await services.full_center("test-markup")
    assert center is not None
    shown, pages = await search_taraz(mother, lang, services)
    page = next(p for p in pages if center.name.get(lang) in p)
    for value in (center.summary.get(lang), HOURS, center.website,
                  center.shown_address.get(lang)):  # fmt: skip
        assert value in page
    for page in pages:
        assert tr(lang)._("Phone lines for all of Kazakhstan:") in page
    results = mother.last_bot_message()
    assert tr(lang)._("🆘 Emergency numbers") in results.buttons
    # Nothing from the catalog became formatting: bold card titles and italic lines only.
    for message in shown:
        assert {e["type"] for e in message.entities} <= {"bold", "italic"}
    # And she can go on: the next search works as well.
    _, again = await search_taraz(mother, lang, services, age="21")
    assert any(center.name.get(lang) in p for p in again)
