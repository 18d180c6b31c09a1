"""Every card as sure and as fresh as its evidence (issue 16), on the real catalog, in both
languages: the newest source's year, the warning for old or undated sources, disputed stays,
and distances that never call a far center near (or a center of unknown place 0 km away)."""

from __future__ import annotations

from datetime import date

import msgspec
import pytest

from bot.catalog.files import warnings_of
from bot.core.codes import Checked, Confidence, Need, Tier
from bot.core.geo import Gazetteer, Location, distance_km
from bot.core.matching import NEAR_KM, Match, Matcher, MatchResult, Query
from bot.core.model import Catalog, Center, source_is_old
from bot.core.reasons import InYourRegion, Nearby, StaysFor, Unconfirmed
from bot.i18n import translator
from bot.render import center_card, plain, summary_line
from bot.usecases.stale import stale_entries
from tests.conftest import where

LANGS = ("kk", "ru")
TODAY = date(2026, 12, 4)


def search(matcher: Matcher, location: Location, *needs: Need, age: int = 22) -> MatchResult:
    return matcher.match(Query(age, False, 3, location, frozenset(needs)))


def match_of(result: MatchResult, center_id: str) -> Match:
    return next(m for m in result.matches if m.center.id == center_id)


def card(match: Match, catalog: Catalog, lang: str) -> str:
    center = catalog.center(match.center.id)
    assert center is not None
    return plain(center_card(match, center, catalog, translator(lang), 1))


def dated(center: Center, year: int | str | None, how: Checked = Checked.DESK) -> Center:
    provenance = msgspec.structs.replace(
        center.provenance, newest_source=year, verified_how=how, confidence=Confidence.MEDIUM
    )
    return msgspec.structs.replace(center, provenance=provenance)


# --- how fresh: the newest source's year, and the warning ---


def test_a_year_counts_as_its_last_day_and_unknown_is_old() -> None:
    assert not source_is_old(2024, TODAY)  # at most 23 months before 4.12.2026
    assert source_is_old(2023, TODAY)
    assert not source_is_old(2024, date(2026, 12, 31))
    assert source_is_old(2024, date(2027, 1, 1))
    assert source_is_old("unknown", TODAY) and source_is_old(None, TODAY)


@pytest.mark.parametrize("lang", LANGS)
def test_a_cards_evidence_line_names_the_newest_sources_year(
    catalog: Catalog, matcher: Matcher, gazetteer: Gazetteer, lang: str
) -> None:
    t = translator(lang)
    result = search(matcher, where(gazetteer, "Актобе"), Need.VIOLENCE)
    malika = card(match_of(result, "aktobe-malika"), catalog, lang)
    line = t._("From public sources of {year}: call before you go.").format(year=2017)
    assert malika.splitlines()[-1] == line
    # Not the day of our desk pass (November 2026): that is no evidence of anything.
    assert "2026" not in malika.splitlines()[-1]
    # An undated source says so.
    result = search(matcher, where(gazetteer, "Алматы"), Need.SHELTER)
    undated = card(match_of(result, "almaty-ubezhishche"), catalog, lang)
    assert undated.splitlines()[-1] == t._(
        "From public sources of an unknown date: call before you go."
    )


@pytest.mark.parametrize("lang", LANGS)
def test_the_warning_appears_for_old_or_undated_sources_and_not_for_fresh_ones(
    catalog: Catalog, gazetteer: Gazetteer, lang: str
) -> None:
    t = translator(lang)
    warning = t._("We could not confirm that this place still works.")
    base = catalog.center("taraz-zhambyl-regional-center")
    assert base is not None and base.provenance.newest_source == 2025
    location = where(gazetteer, "Тараз")
    for year, how, warned in (
        (2025, Checked.DESK, False),
        (2022, Checked.DESK, True),
        ("unknown", Checked.DESK, True),
        (None, Checked.DESK, True),  # stored before the field existed: unknown
        (2017, Checked.PHONED, False),  # a call is evidence of its own
    ):
        center = dated(base, year, how)
        changed = catalog.with_center(center)
        result = Matcher(changed).match(Query(25, False, 3, location, frozenset({Need.VIOLENCE})))
        match = match_of(result, center.id)
        assert (Unconfirmed() in match.conditions) is warned, (year, how)
        assert (warning in card(match, changed, lang)) is warned, (year, how)


def test_catalog_warnings_list_active_desk_entries_with_old_sources(catalog: Catalog) -> None:
    warned = {w.entry.removeprefix("center ") for w in warnings_of(catalog, TODAY)}
    assert {"aktobe-malika", "almaty-arasha", "almaty-ubezhishche"} <= warned
    assert "kostanay-adaptation-center" not in warned  # 2026
    assert "kostanay-dagdarys-damytu" not in warned  # temporarily closed: nobody's card
    # Every active desk entry with nothing newer than two years ago is listed.
    for center in catalog.centers:
        prov = center.provenance
        old = prov.verified_how is Checked.DESK and source_is_old(prov.newest_source, TODAY)
        assert (center.id in warned) == (old and center.status == "active"), center.id


def test_stale_puts_entries_with_old_sources_first(catalog: Catalog) -> None:
    fresh = dated(catalog.centers[0], 2026)
    old = dated(catalog.centers[1], 2015)
    changed = catalog.with_center(fresh).with_center(old)
    found = stale_entries(changed, TODAY, 180, {fresh.id: 50, old.id: 1})
    ids = [s.center.id for s in found]
    # Both are desk-only: the one whose newest source is old comes first, however rarely
    # it is shown.
    assert ids.index(old.id) < ids.index(fresh.id)


# --- how sure: disputed stays ---


@pytest.mark.parametrize("lang", LANGS)
def test_a_disputed_stay_renders_both_values_as_a_thing_to_check(
    catalog: Catalog, matcher: Matcher, gazetteer: Gazetteer, lang: str
) -> None:
    t = translator(lang)
    result = search(matcher, where(gazetteer, "Алматы"), Need.SHELTER)
    ana_uyi = match_of(result, "ana-uyi-almaty")
    stays = [r for r in ana_uyi.reasons if isinstance(r, StaysFor)]
    assert len(stays) == 1 and stays[0].disputed_to is not None
    low, high = t.duration(stays[0].max), t.duration(stays[0].disputed_to)
    assert (low, high) == (("6 ай", "2 жыл") if lang == "kk" else ("6 месяцев", "2 года"))
    line = t._("Longest stay: from {low} to {high}: sources differ, check by phone.").format(
        low=low, high=high
    )
    text = card(ana_uyi, catalog, lang)
    assert line in text
    assert ("дереккөздер әртүрлі" if lang == "kk" else "источники расходятся") in line
    # The single cautious value is no longer said as if it were certain.
    assert t._("Longest stay: {max}.").format(max=low) not in text


# --- distances ---


@pytest.mark.parametrize("lang", LANGS)
def test_no_center_over_30_km_is_called_near(
    catalog: Catalog, matcher: Matcher, gazetteer: Gazetteer, lang: str
) -> None:
    """A Kokshetau mother's only local help with violence is Stepnogorsk, ~197 km away."""
    t = translator(lang)
    result = search(matcher, where(gazetteer, "Кокшетау"), Need.VIOLENCE)
    stepnogorsk = match_of(result, "stepnogorsk-zhenskiy-luch")
    assert stepnogorsk.tier is Tier.REGION
    assert stepnogorsk.distance_km is not None and stepnogorsk.distance_km > 150
    assert result.nearest_local_km is not None and result.nearest_local_km > NEAR_KM
    summary = plain(summary_line(result, "Кокшетау", t))
    assert "Рядом" not in summary and "Кокшетау" not in summary
    assert str(round(result.nearest_local_km)) in summary
    first = stepnogorsk.reasons[0]
    assert isinstance(first, InYourRegion) and first.km == stepnogorsk.distance_km
    km = round(stepnogorsk.distance_km)
    assert f"{km} км" in card(stepnogorsk, catalog, lang)
    # Near her, the words stay: an Almaty mother's city results.
    almaty = search(matcher, where(gazetteer, "Алматы"), Need.SHELTER)
    assert plain(summary_line(almaty, "Алматы", t)) == plain(
        t.ngettext(
            "{count} organisation in {where} can help you.",
            "{count} organisations in {where} can help you.",
            almaty.local_count,
        ).format(count=almaty.local_count, where="Алматы")
    )


@pytest.mark.parametrize("lang", LANGS)
def test_a_center_without_coordinates_is_never_0_km_away(
    catalog: Catalog, matcher: Matcher, gazetteer: Gazetteer, lang: str
) -> None:
    """Kushoky's village has no coordinates: it used to rank first in Karaganda at "0 km"."""
    kushoky_place = catalog.place("kushoky")
    assert kushoky_place is not None and kushoky_place.lat is None
    karaganda = search(matcher, where(gazetteer, "Караганда"), Need.SHELTER)
    kushoky = match_of(karaganda, "kushoky-crisis-center")
    assert kushoky.distance_km is None
    known = [m for m in karaganda.matches if m.tier is Tier.REGION and m.distance_km]
    assert known and karaganda.matches.index(kushoky) > karaganda.matches.index(known[0])
    assert all(m.distance_km != 0 for m in karaganda.matches if m.center.id != "x")
    # From another region it is measured to the region's main town, and said to be rough.
    t = translator(lang)
    astana = matcher.match(
        Query(22, False, 3, where(gazetteer, "Астана"), frozenset({Need.LEGAL, Need.SHELTER}))
    )
    for match in astana.matches:
        if match.center.id == "kushoky-crisis-center":
            assert match.approximate and match.distance_km
            reason = match.reasons[0]
            assert isinstance(reason, Nearby) and reason.approximate
            rough = t._(
                "In {place}, roughly {km} km from you (measured to the region's main town)."
            )
            assert rough.split("{km}")[1] in card(match, catalog, lang)


def test_beyond_her_region_centers_come_by_real_distance(
    catalog: Catalog, matcher: Matcher, gazetteer: Gazetteer
) -> None:
    """A Kostanay mother's third card was Stepnogorsk (~563 km) while the Petropavl shelters
    are ~406 km away (and Kokshetau's house, added since, ~383 km): regions are visited by
    their nearest center, not their main town."""
    here = where(gazetteer, "Костанай")
    result = search(matcher, here, Need.SHELTER)
    nearby = [m for m in result.matches if m.tier is Tier.NEARBY]
    assert nearby, [m.center.id for m in result.matches]
    assert nearby[0].center.id != "stepnogorsk-zhenskiy-luch"
    assert nearby[0].distance_km is not None and nearby[0].distance_km < 450
    distances = [m.distance_km for m in nearby]
    assert distances == sorted(distances)  # type: ignore[type-var]
    # No fitting shelter in another region is closer than the farthest one shown.
    assert here.lat is not None and here.lon is not None
    farthest = max(d for d in distances if d is not None)
    shown = {m.center.id for m in result.matches}
    for center in catalog.centers:
        place = catalog.place(center.place or "")
        if (
            center.id in shown
            or center.region == here.region
            or center.status != "active"
            or Need.SHELTER not in center.needs
            or place is None
            or place.lat is None
            or place.lon is None
        ):
            continue
        assert distance_km(here.lat, here.lon, place.lat, place.lon) >= farthest - 0.01
