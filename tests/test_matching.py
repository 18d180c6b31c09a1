"""Matching on the real catalog: cases from the source article, then properties of any search."""

from __future__ import annotations

import itertools

import pytest

from bot.catalog.files import load_catalog
from bot.core import codes
from bot.core.geo import Gazetteer, Location, distance_km
from bot.core.matching import TIERS, Match, MatchResult, Query, Reason, match_centers
from bot.catalog.model import Catalog, Center
from bot.services import DATA_DIR

YOUNG_MOTHER_HOUSES = ("ana-uyi-almaty", "almaty-ubezhishche")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(DATA_DIR)


@pytest.fixture(scope="module")
def gazetteer(catalog: Catalog) -> Gazetteer:
    return Gazetteer(catalog)


def where(gazetteer: Gazetteer, text: str) -> Location:
    location = gazetteer.resolve(text)
    assert location is not None, text
    return location


def search(
    catalog: Catalog,
    location: Location,
    *needs: str,
    age: int = 22,
    child_months: int | None = None,
    pregnant: bool = False,
) -> MatchResult:
    query = Query(
        mother_age=age,
        pregnant=pregnant,
        child_months=child_months,
        location=location,
        needs=frozenset(needs),
    )
    return match_centers(catalog, query)


def ids(result: MatchResult) -> list[str]:
    return [m.center.id for m in result.matches]


def match_of(result: MatchResult, center_id: str) -> Match:
    return next(m for m in result.matches if m.center.id == center_id)


def exclusion_of(result: MatchResult, center_id: str) -> tuple[Reason, ...]:
    return next(e.reasons for e in result.excluded if e.center.id == center_id)


def codes_of(reasons: tuple[Reason, ...]) -> list[str]:
    return [r.code for r in reasons]


# --- real cases from the source article ---


def test_17_year_old_in_almaty_with_a_baby_needing_shelter(
    catalog: Catalog, gazetteer: Gazetteer
) -> None:
    result = search(catalog, where(gazetteer, "Алматы"), "shelter", age=17, child_months=2)
    found = ids(result)
    for center_id in YOUNG_MOTHER_HOUSES:
        assert center_id in found
    assert result.tier == "city"
    assert result.local_count >= 2
    # City results first, and both houses are among them.
    city = [m.center.id for m in itertools.takewhile(lambda m: m.tier == "city", result.matches)]
    assert set(YOUNG_MOTHER_HOUSES) <= set(city)
    assert all(m.tier != "city" for m in result.matches[len(city) :])
    for match in result.matches:
        assert match.reasons, match.center.id
        assert match.reasons[0].code == "in_your_city"
        assert "offers" in codes_of(match.reasons)

    ana_uyi = match_of(result, "ana-uyi-almaty")
    assert codes_of(ana_uyi.reasons) == [
        "in_your_city",
        "offers",
        "accepts_mothers",
        "accepts_child_up_to",
        "stay",
    ]
    reasons = {r.code: r.params for r in ana_uyi.reasons}
    assert reasons["in_your_city"] == {"place": "almaty"}
    assert reasons["offers"] == {"needs": ["shelter"]}
    assert reasons["accepts_mothers"] == {"min": None, "max": 30}
    assert reasons["accepts_child_up_to"] == {"months": 18}
    assert reasons["stay"]["max"].iso == "P6M"
    # A minor is told to call first where the center gives no lower age limit.
    assert Reason("minor_call_first") in ana_uyi.conditions
    # A center for adults only is left out, and says why.
    assert "astana-umit" not in found
    assert Reason("mother_too_young", {"min": 18}) in exclusion_of(result, "astana-umit")


def test_shelters_built_for_young_mothers_come_first(
    catalog: Catalog, gazetteer: Gazetteer
) -> None:
    result = search(catalog, where(gazetteer, "Алматы"), "shelter", age=17, child_months=2)
    assert ids(result)[0] == "ana-uyi-almaty"


def test_32_year_old_is_not_sent_to_centers_for_women_up_to_30(
    catalog: Catalog, gazetteer: Gazetteer
) -> None:
    result = search(catalog, where(gazetteer, "Алматы"), "shelter", age=32, child_months=2)
    for center_id in YOUNG_MOTHER_HOUSES:
        assert center_id not in ids(result)
        assert exclusion_of(result, center_id) == (Reason("mother_too_old", {"max": 30}),)
    # Other shelters in the city are still offered.
    assert result.matches and result.tier == "city"


def test_hiv_positive_mother_is_not_sent_where_hiv_is_excluded(
    catalog: Catalog, gazetteer: Gazetteer
) -> None:
    result = search(catalog, where(gazetteer, "Алматы"), "hiv", "shelter", age=24, child_months=6)
    assert "almaty-dom-dlya-mamy" not in ids(result)
    assert exclusion_of(result, "almaty-dom-dlya-mamy") == (Reason("excludes", {"code": "hiv"}),)
    assert "almaty-revansh" in ids(result)
    assert "hiv" in match_of(result, "almaty-revansh").needs_met


def test_without_hiv_the_same_center_is_offered(catalog: Catalog, gazetteer: Gazetteer) -> None:
    result = search(catalog, where(gazetteer, "Алматы"), "shelter", age=24, child_months=6)
    dom = match_of(result, "almaty-dom-dlya-mamy")
    # She is warned what the center does not accept.
    assert Reason("does_not_accept", {"code": "hiv"}) in dom.conditions


def test_two_year_old_child_is_not_sent_to_centers_for_babies(
    catalog: Catalog, gazetteer: Gazetteer
) -> None:
    result = search(catalog, where(gazetteer, "Алматы"), "shelter", age=25, child_months=24)
    for match in result.matches:
        limit = match.center.eligibility.child_age_max_months
        assert limit is None or limit >= 24, match.center.id
    for center_id, limit in (
        ("ana-uyi-almaty", 18),
        ("almaty-ubezhishche", 18),
        ("almaty-dom-dlya-mamy", 12),
    ):
        assert center_id not in ids(result)
        assert Reason("child_too_old", {"max_months": limit}) in exclusion_of(result, center_id)
    assert result.tier == "city"


def test_region_without_a_center_gets_the_nearest_ones_and_hotlines(
    catalog: Catalog, gazetteer: Gazetteer
) -> None:
    assert not [c.id for c in catalog.centers if c.region == "kyzylorda"]
    result = search(catalog, where(gazetteer, "Кызылорда"), "shelter", age=20, child_months=3)
    assert result.matches
    assert result.local_count == 0
    assert {m.tier for m in result.matches} <= {"nearby", "national"}
    assert result.tier in ("nearby", "national")
    nearby = [m for m in result.matches if m.tier == "nearby"]
    assert nearby
    distances = [m.distance_km for m in nearby if m.distance_km is not None]
    assert len(distances) == len(nearby)
    assert distances == sorted(distances)
    for match in nearby:
        assert match.reasons[0].code == "nearby"
        assert match.reasons[0].params["km"] == match.distance_km
    # Centers left out for distance are no nearer than the ones shown.
    farthest_shown = max(distances)
    here = where(gazetteer, "Кызылорда")
    assert here.lat is not None and here.lon is not None
    left_out = [e.center for e in result.excluded if e.reasons == (Reason("farther_than_others"),)]
    assert left_out
    for center in left_out:
        place = catalog.place(center.place or "")
        if place is None or place.lat is None or place.lon is None:
            continue
        assert distance_km(here.lat, here.lon, place.lat, place.lon) >= farthest_shown - 0.01
    numbers = [h.number for h in result.hotlines]
    assert {"112", "102", "111", "150"} <= set(numbers)
    emergency = [h.emergency for h in result.hotlines]
    assert emergency == sorted(emergency, reverse=True)
    assert numbers.index("112") < numbers.index("111")
    assert numbers.index("102") < numbers.index("150")


def test_pregnant_19_year_old_thinking_about_abortion(
    catalog: Catalog, gazetteer: Gazetteer
) -> None:
    result = search(catalog, where(gazetteer, "Алматы"), "pregnancy", age=19, pregnant=True)
    assert "almaty-dom-dlya-mamy" in ids(result)
    dom = match_of(result, "almaty-dom-dlya-mamy")
    assert dom.tier == "city"
    assert "accepts_pregnant" in codes_of(dom.reasons)
    assert dom.needs_met == ("pregnancy",)


def test_temporarily_closed_center_is_never_shown(catalog: Catalog, gazetteer: Gazetteer) -> None:
    closed = catalog.center("kostanay-dagdarys-damytu")
    assert closed is not None and closed.status == "temporarily_closed"
    result = search(catalog, where(gazetteer, "Костанай"), "violence", "shelter", child_months=3)
    assert "kostanay-dagdarys-damytu" not in ids(result)
    assert exclusion_of(result, "kostanay-dagdarys-damytu") == (Reason("temporarily_closed"),)
    # She is still given somewhere to turn to.
    assert result.matches


def test_region_only_location_ranks_centers_of_the_region_as_region(
    catalog: Catalog, gazetteer: Gazetteer
) -> None:
    result = search(catalog, where(gazetteer, "Карагандинская область"), "shelter", child_months=3)
    region_ids = {m.center.id for m in result.matches if m.tier == "region"}
    assert {"temirtau-family-center", "kushoky-crisis-center"} <= region_ids
    assert result.local_count == len(region_ids)
    assert result.matches[0].tier == "region"


def test_mother_in_a_town_sees_her_town_then_her_region(
    catalog: Catalog, gazetteer: Gazetteer
) -> None:
    result = search(catalog, where(gazetteer, "Темиртау"), "shelter", child_months=3)
    tiers = {m.center.id: m.tier for m in result.matches}
    assert tiers["temirtau-family-center"] == "city"
    assert tiers["kushoky-crisis-center"] == "region"


def test_national_center_comes_after_local_ones(catalog: Catalog, gazetteer: Gazetteer) -> None:
    result = search(catalog, where(gazetteer, "Костанай"), "violence", child_months=3)
    assert "union-of-crisis-centres" in ids(result)
    assert result.matches[-1].tier == "national"
    assert match_of(result, "union-of-crisis-centres").reasons[0] == Reason("national")


def test_center_in_a_place_without_coordinates_is_ranked_by_distance(
    catalog: Catalog, gazetteer: Gazetteer
) -> None:
    result = search(catalog, where(gazetteer, "Шымкент"), "violence", child_months=6)
    assert "korday-crisis-center" in ids(result)
    assert match_of(result, "korday-crisis-center").distance_km is not None


# --- properties of any search ---


def _hard_conditions_hold(center: Center, query: Query) -> list[str]:
    """What would be wrong with offering this center to this mother."""
    rules = center.eligibility
    wrong = []
    if center.status != "active":
        wrong.append("not active")
    if rules.mother_age_min is not None and query.mother_age < rules.mother_age_min:
        wrong.append("too young")
    if rules.mother_age_max is not None and query.mother_age > rules.mother_age_max:
        wrong.append("too old")
    if query.child_months is not None:
        if (
            rules.child_age_max_months is not None
            and query.child_months > rules.child_age_max_months
        ):
            wrong.append("child too old")
        if (
            rules.child_age_min_months is not None
            and query.child_months < rules.child_age_min_months
        ):
            wrong.append("child too young")
    if query.pregnant and rules.accepts_pregnant is False:
        wrong.append("no pregnant women")
    if "hiv" in query.needs and "hiv" in rules.exclusions:
        wrong.append("excludes HIV")
    if not set(center.needs) & query.needs:
        wrong.append("offers nothing she needs")
    return wrong


NEED_SETS: list[frozenset[str]] = [frozenset({n}) for n in codes.NEEDS] + [
    frozenset({"hiv", "shelter"}),
    frozenset({"shelter", "keep_baby", "violence"}),
]


@pytest.mark.parametrize("needs", NEED_SETS, ids=lambda n: "+".join(sorted(n)))
def test_every_match_satisfies_the_hard_conditions(
    catalog: Catalog, gazetteer: Gazetteer, needs: frozenset[str]
) -> None:
    locations = [gazetteer.place_location(p.id) for p in catalog.places] + [
        gazetteer.region_location(r.id) for r in catalog.regions if r.kind == "region"
    ]
    children: list[tuple[bool, int | None]] = [(True, None), (False, 0), (False, 13), (False, 30)]
    all_ids = sorted(c.id for c in catalog.centers)
    for location, age, (pregnant, months) in itertools.product(locations, (16, 24, 35), children):
        query = Query(age, pregnant, months, location, needs)
        result = match_centers(catalog, query)
        context = (location, age, pregnant, months, sorted(needs))

        for match in result.matches:
            assert _hard_conditions_hold(match.center, query) == [], (match.center.id, context)
            assert match.needs_met and set(match.needs_met) <= needs, context
            assert match.reasons and match.reasons[0].code in (
                "in_your_city",
                "in_your_region",
                "nearby",
                "national",
            )
        # Every center is either offered or left out with a reason, exactly once.
        seen = ids(result) + [e.center.id for e in result.excluded]
        assert sorted(seen) == all_ids, context
        assert all(e.reasons for e in result.excluded), context
        # Nearest tier first; local results counted.
        tiers = [TIERS.index(m.tier) for m in result.matches]
        assert tiers == sorted(tiers), context
        assert result.local_count == sum(m.tier in ("city", "region") for m in result.matches)
        nearby = [m.distance_km for m in result.matches if m.tier == "nearby"]
        known = [d for d in nearby if d is not None]
        assert known == sorted(known), context
        # Never empty-handed: centers, or at least the national lines.
        assert result.matches or result.hotlines, context
        assert result.hotlines, context
        emergency = [h.emergency for h in result.hotlines]
        assert emergency == sorted(emergency, reverse=True), context


def test_a_center_that_fits_is_never_left_out_for_eligibility(
    catalog: Catalog, gazetteer: Gazetteer
) -> None:
    """The converse: a center left out for a hard reason really fails a hard condition."""
    hard = {
        "mother_too_young",
        "mother_too_old",
        "child_too_old",
        "child_too_young",
        "no_pregnant",
        "excludes",
        "no_needed_service",
        "closed",
        "temporarily_closed",
    }
    location = where(gazetteer, "Алматы")
    for needs, age, months in itertools.product(NEED_SETS, (16, 24, 35), (None, 0, 13, 30)):
        query = Query(age, months is None, months, location, needs)
        result = match_centers(catalog, query)
        for excluded in result.excluded:
            reasons = set(codes_of(excluded.reasons))
            if reasons & hard:
                assert _hard_conditions_hold(excluded.center, query), excluded
            else:
                assert reasons == {"farther_than_others"}, excluded
