"""Text becomes Telegram HTML in one place: every catalog value is escaped, in both languages.

A center's `hours` of "Пн-Пт 9-18 & Сб <10" once broke every later result page (issue 12):
here every text field of every center, place, region and line carries `<`, `>` and `&`, and
each page must parse the way Telegram parses it and show the characters as they were.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, TypeVar

import msgspec
import pytest

from bot.core.answers import Answers
from bot.core.codes import Exclusion, Language, Need, Requirement, Status, Tier
from bot.core.durations import parse_duration
from bot.core.geo import Gazetteer, Location
from bot.core.matching import Match, Matcher, Query
from bot.core.model import Catalog, Center, Phone, head_of
from bot.core.reasons import (
    AcceptsChildUpTo,
    AcceptsMothers,
    AcceptsPregnant,
    CheckLimit,
    ChildTooOld,
    ChildTooYoung,
    Condition,
    DoesNotAccept,
    Excludes,
    FartherThanOthers,
    InYourCity,
    InYourRegion,
    LeftOut,
    LimitKind,
    MinorCallFirst,
    MotherTooOld,
    MotherTooYoung,
    National,
    Nearby,
    NoNeededService,
    NoPregnant,
    NotActive,
    Offers,
    PregnancyUnknown,
    Reason,
    Requires,
    Span,
    StaysFor,
    Unconfirmed,
)
from bot.core.session import Session
from bot.i18n import translator
from bot.render import (
    NEED_SHORT,
    center_card,
    condition_text,
    hotlines_block,
    left_out_text,
    location_name,
    reason_text,
    summary_line,
)
from bot.tg.screens import results_screen
from tests.fake_telegram import render_html

LANGS = ("kk", "ru")
# Markup a careless template would pass on: tags Telegram knows, one it does not, an entity
# that must stay as typed, and bare < > & between words.
POISON = ' <b>x</b> <i>&amp;</i> <script> &lt;3 1<2 & 3>2 "q" &'
# Ids are references, not text: they stay as they are.
_REFERENCES = {"id", "place", "region", "admin_center"}
S = TypeVar("S", bound=msgspec.Struct)


def _poison_value(name: str, value: Any) -> Any:
    if name in _REFERENCES or isinstance(value, Enum | bool | int | float) or value is None:
        return value
    if isinstance(value, str):
        return value + POISON
    if isinstance(value, msgspec.Struct):
        return poisoned(value)
    if isinstance(value, tuple):
        return tuple(_poison_value(name, item) for item in value)
    return value  # dates, durations


def poisoned(entry: S) -> S:
    """The entry with `<`, `>` and `&` added to every text field, empty ones included."""
    changes = {
        field: _poison_value(field, getattr(entry, field)) for field in entry.__struct_fields__
    }
    return msgspec.structs.replace(entry, **changes)


def poisoned_center(center: Center) -> Center:
    changed = poisoned(center)
    # Everything a card can show: a public address and a phone with hours and languages.
    phones = changed.phones or (
        Phone(number="+77001234567" + POISON, hours="9–18" + POISON,
              languages=(Language.KK, Language.RU)),
    )  # fmt: skip
    return msgspec.structs.replace(changed, address_public=True, phones=phones)


@pytest.fixture(scope="module")
def dirty(catalog: Catalog) -> Catalog:
    result = Catalog(
        tuple(poisoned(r) for r in catalog.regions),
        tuple(poisoned(p) for p in catalog.places),
        tuple(poisoned_center(c) for c in catalog.centers),
        tuple(poisoned(h) for h in catalog.hotlines),
    )
    # The poison reached the fields that matter.
    center = result.center("ana-uyi-almaty")
    assert center is not None
    assert center.hours == POISON.lstrip(" ") or center.hours.endswith(POISON)
    assert center.name.ru.endswith(POISON) and center.shown_address.kk.endswith(POISON)
    almaty = result.place("almaty")
    assert almaty is not None and almaty.name.kk.endswith(POISON)
    return result


def every_reason(center: Center) -> tuple[Reason, ...]:
    return (
        InYourCity(center.place or "almaty"),
        InYourRegion(center.region or "almaty-city"),
        Nearby(center.place, center.region, 12.4),
        Nearby(None, center.region or "almaty-city", None),
        National(),
        Offers(center.needs),
        AcceptsMothers(Span(16, 18), Span(30, 34)),
        AcceptsMothers(None, Span(30, 30)),
        AcceptsMothers(Span(18, 18), None),
        AcceptsPregnant(),
        AcceptsChildUpTo(Span(12, 18)),
        StaysFor(parse_duration("P10D"), parse_duration("P6M"), parse_duration("P1Y")),
        StaysFor(None, parse_duration("PT2H"), None),
        StaysFor(None, parse_duration("P6M"), None, disputed_to=parse_duration("P2Y")),
        InYourRegion(center.region or "almaty-city", 197.2, False, center.place),
        Nearby(center.place, center.region, 412.0, approximate=True),
    )


EVERY_CONDITION: tuple[Condition, ...] = (
    *(Requires(code) for code in Requirement),
    *(DoesNotAccept(code) for code in Exclusion),
    MinorCallFirst(),
    PregnancyUnknown(),
    Unconfirmed(),
    *(CheckLimit(kind, Span(30, 34)) for kind in LimitKind),
    CheckLimit(LimitKind.MOTHER_AGE_MAX, Span(30, 30)),
    *(CheckLimit(kind, Span(18, 18, unconfirmed=True)) for kind in LimitKind),
)
EVERY_LEFT_OUT: tuple[LeftOut, ...] = (
    *(NotActive(status) for status in Status if status is not Status.ACTIVE),
    MotherTooYoung(18),
    MotherTooOld(30),
    NoPregnant(),
    ChildTooOld(18),
    ChildTooYoung(3),
    *(Excludes(code) for code in Exclusion),
    NoNeededService(),
    FartherThanOthers(),
)


# Matching words its reasons for the query; this card says every statement there is.
ANY_QUERY = Query(
    mother_age=17, pregnant=True, child_months=None,
    location=Location(region="almaty-city", place="almaty", lat=None, lon=None),
    needs=frozenset(Need),
)  # fmt: skip


@dataclass(slots=True)
class EveryStatement(Match):
    """A match that says every reason and every condition at once."""

    all_reasons: tuple[Reason, ...] = ()

    @property
    def reasons(self) -> tuple[Reason, ...]:
        return self.all_reasons

    @property
    def conditions(self) -> tuple[Condition, ...]:
        return EVERY_CONDITION


def whole(catalog: Catalog) -> dict[str, Center]:
    """Every whole center by id (the bot reads the ones of a page from its database)."""
    return {center.id: center for center in catalog.centers}


def shown(html: str) -> tuple[str, list[dict[str, Any]]]:
    """What Telegram shows for this HTML; raises like Telegram ("can't parse entities")."""
    return render_html(html)


# --- every field, both languages ---


@pytest.mark.parametrize("lang", LANGS)
def test_every_field_of_every_center_renders_verbatim(dirty: Catalog, lang: str) -> None:
    t = translator(lang)
    for index, center in enumerate(dirty.centers, 1):
        match = EveryStatement(
            center=head_of(center),
            tier=Tier.CITY,
            distance_km=12.4,
            needs_met=center.needs,
            query=ANY_QUERY,
            all_reasons=every_reason(center),
        )
        # Every statement at once makes a card longer than a page allows (there it is cut,
        # see tests/test_largest_card_e2e.py); here every field must come out verbatim.
        html = center_card(match, center, dirty, t, index, room=10_000)
        text, entities = shown(html)
        # Only the card's own markup: its bold title and its italic verification line.
        assert [e["type"] for e in entities] == ["bold", "italic"], center.id
        expected = [
            f"{index}. {center.name.get(lang)}",
            center.summary.get(lang),
            center.hours,
            center.website,
            center.shown_address.get(lang),
            *([location_name(dirty, center.place, center.region, t)] if center.region else []),
            *(phone.number for phone in center.phones),
            *(phone.hours for phone in center.phones if phone.hours != "24/7"),
        ]
        for value in expected:
            assert value and value in text, (center.id, value)
        assert text.count(POISON.strip()) >= len(expected) - 1, center.id


@pytest.mark.parametrize("lang", LANGS)
def test_every_reason_condition_and_left_out_reason_is_valid_html(
    dirty: Catalog, lang: str
) -> None:
    t = translator(lang)
    center = dirty.centers[0]
    for reason in every_reason(center):
        text, entities = shown(reason_text(reason, dirty, t))
        assert text and entities == [], reason
    for condition in EVERY_CONDITION:
        text, entities = shown(condition_text(condition, t))
        assert text and entities == [], condition
    for left_out in EVERY_LEFT_OUT:
        text, entities = shown(left_out_text(left_out, t))
        assert text and entities == [], left_out
    # A disputed limit is said as both values, to check by phone.
    disputed = CheckLimit(LimitKind.MOTHER_AGE_MAX, Span(30, 34))
    assert "30–34" in shown(condition_text(disputed, t))[0]


@pytest.mark.parametrize("lang", LANGS)
def test_hotlines_and_the_summary_render_verbatim(dirty: Catalog, lang: str) -> None:
    t = translator(lang)
    text, entities = shown(hotlines_block(dirty.hotlines, t))
    for hotline in dirty.hotlines:
        assert hotline.number in text and hotline.purpose.get(lang) in text
    assert {e["type"] for e in entities} == {"bold"}
    assert len(entities) == len(dirty.hotlines)
    where = location_name(dirty, "almaty", "almaty-city", t)
    assert where.endswith(POISON)
    gazetteer = Gazetteer(dirty)
    query = Query(20, False, 3, gazetteer.place_location("almaty"), frozenset({Need.SHELTER}))
    result = Matcher(dirty).match(query)
    assert where in shown(summary_line(result, where, t))[0]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("place", ["almaty", "taraz", "kyzylorda"])
def test_a_whole_results_page_of_a_dirty_catalog_reaches_its_footer(
    dirty: Catalog, lang: str, place: str
) -> None:
    """The page as the bot sends it: cards, the national lines and the buttons below."""
    t = translator(lang)
    gazetteer = Gazetteer(dirty)
    location = gazetteer.place_location(place)
    answers = Answers(
        language=Language(lang), age=20, pregnant=False, child_months=3,
        region=location.region, place=location.place,
        needs=(Need.SHELTER, Need.LEGAL, Need.VIOLENCE),
    )  # fmt: skip
    query = answers.to_query(gazetteer)
    assert query is not None
    result = Matcher(dirty).match(query)
    assert result.matches
    where = location_name(dirty, location.place, location.region, t)
    session = Session(answers=answers)
    for page in range(3):
        session.page = page
        screen = results_screen(session, result, whole(dirty), dirty, t, where)
        text, _ = shown(screen.text)
        assert len(text) <= 4096
        assert t._("Phone lines for all of Kazakhstan:") in text
        assert dirty.place(place).name.get(lang) in text  # type: ignore[union-attr]


# --- the first page meets a rare need, in both languages (issue 8) ---


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(
    ("rare", "center_id"), [(Need.TRAFFICKING, "almaty-rodnik"), (Need.HIV, "almaty-revansh")]
)
def test_the_first_page_shows_the_center_for_a_rare_need(
    catalog: Catalog, lang: str, rare: Need, center_id: str
) -> None:
    t = translator(lang)
    gazetteer = Gazetteer(catalog)
    answers = Answers(
        language=Language(lang), age=24, pregnant=False, child_months=6,
        region="almaty-city", place="almaty", needs=(Need.SHELTER, rare),
    )  # fmt: skip
    query = answers.to_query(gazetteer)
    assert query is not None
    result = Matcher(catalog).match(query)
    session = Session(answers=answers)
    where = location_name(catalog, "almaty", "almaty-city", t)
    text, _ = shown(results_screen(session, result, whole(catalog), catalog, t, where).text)
    center = catalog.center(center_id)
    assert center is not None
    assert center.name.get(lang) in text
    # The card says it helps with her rare need, in her language.
    assert t._(NEED_SHORT[rare]) in text
    # Not further down: the page holds at most three cards, and this is one of them.
    number = [m.center.id for m in result.matches].index(center_id) + 1
    assert number <= 3
    assert f"{number}. {center.name.get(lang)}" in text
    # Shelter-only centers that outrank it by place still come, on the following pages.
    later = [m for m in result.matches[3:] if m.needs_met == (Need.SHELTER,)]
    assert later
    assert later[0].center.name.get(lang) not in text
