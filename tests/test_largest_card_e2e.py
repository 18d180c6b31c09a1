"""Issue 20.4: one oversized card once took the results away from every mother it matched
("message is too long"). Every field is bounded where it enters, and a page of results is
built to fit one message: here eight entries, each as large as the bounds allow, all fit
her search, and every page of results is accepted by the (fake) Bot API, in both languages.
An admin's oversized values are refused with one line saying the limit.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest
from msgspec.structs import replace

from bot.catalog.changes import Err, Field
from bot.catalog.store import put_center
from bot.core.codes import Exclusion, Need, Requirement
from bot.core.limits import (
    MAX_ADDRESS_CHARS,
    MAX_HOURS_CHARS,
    MAX_NAME_CHARS,
    MAX_PHONES,
    MAX_SUMMARY_CHARS,
    MAX_URL_CHARS,
)
from bot.core.model import Localized, Phone
from bot.render import MAX_MESSAGE
from bot.services import Services
from bot.tg.adminkit import ERRORS, FIELD_LABELS
from tests.care_steps import CENTER
from tests.conftest import ADMIN_ID, RunningBot
from tests.fake_telegram import TelegramHarness
from tests.journey import bot_with_centers, tr
from tests.results_pages import search_taraz

BIG = 8


def sized(length: int, word: str) -> str:
    """Words to exactly `length` characters."""
    base = (word + " ") * (length // len(word) + 1)
    return base[: length - 1] + "ы"


def url(length: int, n: int) -> str:
    head = f"https://example.org/{n}/?a=1&b="
    return head + "x" * (length - len(head))


def _big_center(n: int) -> dict[str, object]:
    phones = [
        {
            "number": f"+7701000{n:02d}{p:02d}",
            "kind": "whatsapp",
            "hours": sized(MAX_HOURS_CHARS, "Дүйсенбі"),
            "languages": ["kk", "ru"],
            "source": url(MAX_URL_CHARS, n * 10 + p),
        }
        for p in range(MAX_PHONES)
    ]
    return {
        "id": f"big-{n}",
        "name_kk": sized(MAX_NAME_CHARS, f"Үлкен орталық {n}"),
        "name_ru": sized(MAX_NAME_CHARS, f"Большой центр {n}"),
        "summary_kk": sized(MAX_SUMMARY_CHARS, "Қазақша ұзын сипаттама"),
        "summary_ru": sized(MAX_SUMMARY_CHARS, "Длинное описание по-русски"),
        "org_type": "non_state",
        "coverage": "city",
        "place": "taraz",
        "region": "zhambyl",
        "needs": [str(need) for need in Need],
        "shelter": True,
        "stay_min": "PT2H",
        "stay_max": "P2Y",
        "stay_max_exceptional": "P3Y",
        "mother_age_min": {"values": [14, 16]},
        "mother_age_max": {"values": [30, 34]},
        "child_age_max_months": {"values": [36, 60]},
        "accepts_pregnant": True,
        "exclusions": [str(e) for e in Exclusion],
        "requirements": [str(r) for r in Requirement],
        "phones": phones,
        "hours": sized(MAX_HOURS_CHARS, "Пн–Пт 9:00–18:00"),
        "free_places": 999,
        "free_places_at": date.today(),
        "website": url(MAX_URL_CHARS, n),
        "address_kk": sized(MAX_ADDRESS_CHARS, "Абай даңғылы"),
        "address_ru": sized(MAX_ADDRESS_CHARS, "проспект Абая"),
        "address_public": True,
        "lat": 42.9,
        "lon": 71.37,
        "source_urls": ["https://example.org/big"],
        "verified_at": date.today(),
        "verified_by": "test",
        "verified_how": "phoned",
    }


@pytest.fixture
async def big_catalog(tmp_path: Path) -> AsyncIterator[tuple[TelegramHarness, Services]]:
    tables = [_big_center(n) for n in range(BIG)]
    async with bot_with_centers(tmp_path, tables, admin_ids=frozenset({ADMIN_ID})) as running:
        yield running


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_the_largest_cards_the_bounds_allow_fit_every_page(
    big_catalog: tuple[TelegramHarness, Services], lang: str
) -> None:
    harness, services = big_catalog
    assert all(services.catalog.center(f"big-{n}") for n in range(BIG)), "a test entry was refused"
    mother = harness.user(4101, "Mother", lang)
    _, pages = await search_taraz(mother, lang, services)
    assert harness.server.api_errors == []
    text = "\n".join(pages)
    # Every big card is shown: its name, its first numbers, the start of its website; what
    # did not fit is cut with «…».
    for n in range(BIG):
        table = _big_center(n)
        assert str(table[f"name_{lang}"])[:80] in text, n
        assert url(MAX_URL_CHARS, n)[:60] in text, n
        assert table["phones"][0]["number"] in text  # type: ignore[index]
    assert "…" in text
    assert len(pages) >= BIG // 2
    assert all(len(page) <= MAX_MESSAGE for page in pages)


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_an_entry_stored_before_the_bounds_still_fits_a_page(
    big_catalog: tuple[TelegramHarness, Services], lang: str
) -> None:
    """The attack of issue 20: twenty numbers with long hours and a 4,000-character website,
    stored before the bounds existed. Her results still come, the card cut to fit."""
    harness, services = big_catalog
    center = await services.full_center("taraz-zhambyl-regional-center")
    assert center is not None
    huge = replace(
        center,
        phones=tuple(
            Phone(number=f"+770100000{n:02d}", hours="Пн–Пт 9:00–18:00 " * 8) for n in range(20)
        ),
        website="https://example.org/" + "x" * 4000,
        summary=Localized(kk="Ұзын " * 900, ru="Длинный " * 900),
    )
    db = await services.database()
    async with db.transaction() as conn:
        await put_center(conn, huge)
    await services.reload_catalog()
    mother = harness.user(4102, "Mother", lang)
    _, pages = await search_taraz(mother, lang, services)
    assert harness.server.api_errors == []
    text = "\n".join(pages)
    assert center.name.get(lang) in text and "+77010000000" in text and "…" in text
    assert "+77010000019" not in text  # at most MAX_PHONES numbers on a card
    assert all(len(page) <= MAX_MESSAGE for page in pages)


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_oversized_values_are_refused_in_one_line(
    big_catalog: tuple[TelegramHarness, Services], lang: str
) -> None:
    harness, services = big_catalog
    t = tr(lang)
    chief = harness.user(ADMIN_ID, "Admin", lang)

    def refused(code: Err, **values: str) -> str:
        return t._("Nothing changed: {reason}").format(reason=t._(ERRORS[code]).format(**values))

    many = ", ".join(f"+7701234{n:04d} {'Пн–Пт 9:00–18:00 ' * 7}" for n in range(20))
    cases = [
        (f"/set ana-uyi-almaty phones {many}", refused(Err.TOO_LONG, limit=str(MAX_HOURS_CHARS))),
        (
            "/set ana-uyi-almaty phones " + ", ".join(f"+7701234{n:04d}" for n in range(28)),
            refused(Err.TOO_MANY, limit=str(MAX_PHONES)),
        ),
        (
            "/set ana-uyi-almaty website https://example.org/" + "x" * 4000,
            refused(Err.TOO_LONG, limit=str(MAX_URL_CHARS)),
        ),
        ("/set ana-uyi-almaty stay_max P99999Y", refused(Err.STAY)),
        ("/set ana-uyi-almaty stay_max 0d", refused(Err.STAY)),
        ("/set ana-uyi-almaty stay_max P4Y", refused(Err.STAY)),
        ("/set ana-uyi-almaty name_ru " + "я" * 201, refused(Err.TOO_LONG, limit="200")),
        ("/set ana-uyi-almaty hours " + "9" * 81, refused(Err.TOO_LONG, limit="80")),
    ]
    before = await services.full_center("ana-uyi-almaty")
    for command, expected in cases:
        await chief.send(command)
        assert chief.last_bot_message().plain_text == expected, command
    assert await services.full_center("ana-uyi-almaty") == before
    await chief.send("/set ana-uyi-almaty stay_max 3y")
    assert (await services.full_center("ana-uyi-almaty")).stay.max.iso == "P3Y"  # type: ignore[union-attr]


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_an_invite_takes_the_bounds_and_approve_shows_the_whole_value(
    bot: RunningBot, lang: str
) -> None:
    """Through an invite link: 28 numbers are refused in one line; five numbers with long
    hours are taken, and /approve shows every one of them whole (it once cut at 80)."""
    t = tr(lang)
    chief = bot.user(ADMIN_ID, "Admin", lang)
    await chief.send(f"/invite {CENTER}")
    found = re.search(r"start=(c_[A-Za-z0-9_-]+)", chief.last_bot_message().plain_text)
    assert found is not None
    coordinator = bot.user(7201, "Coordinator", lang)
    await coordinator.send(f"/start {found.group(1)}")
    await coordinator.tap(t._("✏️ Correct it"))
    await coordinator.tap(t._(FIELD_LABELS[Field.PHONES]))
    await coordinator.send(", ".join(f"+7701234{n:04d}" for n in range(28)))
    refused = t._("Nothing changed: {reason}").format(
        reason=t._(ERRORS[Err.TOO_MANY]).format(limit=MAX_PHONES)
    )
    assert coordinator.texts()[-2:] == [refused, t._("Send it again, or tap another field.")]
    hours = sized(MAX_HOURS_CHARS, "Пн–Пт 9:00–18:00")
    numbers = [f"+7701234{n:04d}" for n in range(MAX_PHONES)]
    await coordinator.send(", ".join(f"{number} whatsapp {hours}" for number in numbers))
    await coordinator.tap(t._("📨 Send"))
    await chief.send("/approve")
    preview = chief.last_bot_message().plain_text
    for number in numbers:
        assert f"{number} whatsapp {hours}" in preview
    assert "…" not in preview
