"""Which centers fit a mother, best first, and why: plain data in, plain data out.

Hard conditions (closed, a confirmed age or child's-age limit, an exclusion, nothing she
needs) remove a center; a disputed or unconfirmed limit never does, it becomes something to
ask by phone. Place only orders the rest, so a search never ends empty-handed. The first page
covers every need she asked for that any fitting center meets, so a rare need is never buried
under a common one.

`Matcher` indexes a catalog once by region and need, so a search touches only the centers
that could fit her, measures distances only for those, and never sorts the whole catalog.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from enum import IntEnum
from typing import Any, assert_never

from bot.core.codes import Confidence, Coverage, Exclusion, Need, Status, Tier
from bot.core.geo import Location, distance_km
from bot.core.model import Catalog, CenterHead, Directory, Disputed, Hotline, Limit
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

TIERS: tuple[Tier, ...] = tuple(Tier)
# With fewer local results than this, the nearest fitting centers elsewhere are added.
ENOUGH_LOCAL = 3
# Cards on one page; the first page covers every need some fitting center meets.
PAGE_SIZE = 3
# At most this many organisations of one tier are listed (ten pages): in a city with
# hundreds, the best ones; her count of what fits stays the true number.
MAX_RESULTS = 30
_CONFIDENCE_RANK = {Confidence.HIGH: 0, Confidence.MEDIUM: 1, Confidence.LOW: 2}
_TIER_RANK = {tier: rank for rank, tier in enumerate(TIERS)}
_FAR = float("inf")
# A center this close is "near"; farther ones are named with their distance.
NEAR_KM = 30.0
Point = tuple[float, float]


@dataclass(frozen=True, slots=True)
class Query:
    """What the mother told the bot."""

    mother_age: int
    pregnant: bool
    child_months: int | None
    location: Location
    needs: frozenset[Need]

    @property
    def conditions(self) -> frozenset[Exclusion]:
        """What a center may exclude her for; asking for HIV help says she lives with HIV."""
        return frozenset({Exclusion.HIV}) if Need.HIV in self.needs else frozenset()


@dataclass(slots=True)
class Match:
    """A center that fits, with why it fits and what she should know first.

    Why and what-to-know are worked out when asked for: a search in a big city finds
    hundreds of fitting centers, and only the few on her page are ever put into words.
    """

    center: CenterHead
    tier: Tier
    distance_km: float | None
    needs_met: tuple[Need, ...]
    query: Query = field(repr=False, compare=False)
    # The distance is measured to the center's region, not to its own town (unknown point).
    approximate: bool = False
    today: date = field(default_factory=date.today, repr=False, compare=False)

    @property
    def reasons(self) -> tuple[Reason, ...]:
        """Why it fits, in the order a mother wants to hear it."""
        return tuple(_reasons(self))

    @property
    def conditions(self) -> tuple[Condition, ...]:
        """What she should know before she goes."""
        _, checks = assess(self.center, self.query)
        return tuple(_conditions(self.center, self.query, checks, self.today))


@dataclass(frozen=True, slots=True)
class Excluded:
    """A center left out, and why (for `--explain` and the admins)."""

    center: CenterHead
    reasons: tuple[LeftOut, ...]


@dataclass(frozen=True, slots=True)
class MatchResult:
    """The answer to one search."""

    matches: tuple[Match, ...]
    excluded: tuple[Excluded, ...]
    hotlines: tuple[Hotline, ...]
    local_count: int

    @property
    def tier(self) -> Tier | None:
        """Where the best result came from; None when only the national lines are left."""
        return self.matches[0].tier if self.matches else None

    @property
    def nearest_local_km(self) -> float | None:
        """How far the nearest result in her own city or region is; None when unknown."""
        local = [m.distance_km for m in self.matches if m.tier in (Tier.CITY, Tier.REGION)]
        known = [km for km in local if km is not None]
        if not known or len(known) < len(local):
            return None
        return min(known)


def span(limit: Limit) -> Span | None:
    """A limit as the values sources give for it."""
    if limit is None:
        return None
    if isinstance(limit, Disputed):
        return Span(limit.low, limit.high, unconfirmed=len(limit.values) == 1)
    return Span(limit, limit)


class Fit(IntEnum):
    """Where she stands against one limit, as every source gives it."""

    INSIDE = 0  # inside every source's value
    ASK = 1  # inside some source's value, outside another's: ask by phone
    OUTSIDE = 2  # outside every source's value: left out like any confirmed limit


def fit(limit: Limit, value: int, upper: bool) -> Fit:
    """Where `value` stands against a lower or upper limit. A confirmed limit is a disputed
    one whose sources all agree, so one rule serves both: soft only inside the range the
    sources give. A disputed limit with one value (nobody confirmed it, or another source
    contradicts it without a number of its own) has no far end: beyond it she asks."""
    if limit is None:
        return Fit.INSIDE
    if isinstance(limit, Disputed):
        low, high = limit.low, limit.high
        beyond = Fit.ASK if len(limit.values) == 1 else Fit.OUTSIDE
    else:
        low, high, beyond = limit, limit, Fit.OUTSIDE
    if upper:
        return beyond if value > high else Fit.ASK if value > low else Fit.INSIDE
    return beyond if value < low else Fit.ASK if value < high else Fit.INSIDE


def _limits(center: CenterHead, query: Query) -> Iterator[tuple[LimitKind, Limit, int, bool]]:
    """Each of the center's four limits with her value it applies to (kind, limit, value,
    upper); child limits only when she has a child."""
    rules = center.eligibility
    yield LimitKind.MOTHER_AGE_MIN, rules.mother_age_min, query.mother_age, False
    yield LimitKind.MOTHER_AGE_MAX, rules.mother_age_max, query.mother_age, True
    months = query.child_months
    if months is not None:
        yield LimitKind.CHILD_AGE_MAX, rules.child_age_max_months, months, True
        yield LimitKind.CHILD_AGE_MIN, rules.child_age_min_months, months, False


def _failed(kind: LimitKind, limit: Limit) -> LeftOut:
    """Why she was left out by a limit she is outside of (its loosest source's value)."""
    value = span(limit)
    assert value is not None
    match kind:
        case LimitKind.MOTHER_AGE_MIN:
            return MotherTooYoung(value.low)
        case LimitKind.MOTHER_AGE_MAX:
            return MotherTooOld(value.high)
        case LimitKind.CHILD_AGE_MIN:
            return ChildTooYoung(value.low)
        case LimitKind.CHILD_AGE_MAX:
            return ChildTooOld(value.high)
        case _:
            assert_never(kind)


def assess(center: CenterHead, query: Query) -> tuple[list[LeftOut], list[Condition]]:
    """The one eligibility rule: hard reasons to leave a center out, and limits she should
    ask about by phone."""
    failures: list[LeftOut] = []
    checks: list[Condition] = []
    if center.status != Status.ACTIVE:
        failures.append(NotActive(center.status))
    for kind, limit, value, upper in _limits(center, query):
        verdict = fit(limit, value, upper)
        if verdict is Fit.OUTSIDE:
            failures.append(_failed(kind, limit))
        elif verdict is Fit.ASK:
            span_of = span(limit)
            assert span_of is not None
            checks.append(CheckLimit(kind, span_of))
    rules = center.eligibility
    if query.pregnant and rules.accepts_pregnant is False:
        failures.append(NoPregnant())
    failures += [Excludes(code) for code in sorted(query.conditions & set(rules.exclusions))]
    if not query.needs.intersection(center.needs):
        failures.append(NoNeededService())
    return failures, checks


def _left_out(center: CenterHead, query: Query) -> bool:
    """True when `assess` finds a hard reason (without building the reasons: this runs for
    every candidate of every search)."""
    for _kind, limit, value, upper in _limits(center, query):
        if limit is not None and fit(limit, value, upper) is Fit.OUTSIDE:
            return True
    rules = center.eligibility
    if query.pregnant and rules.accepts_pregnant is False:
        return True
    if rules.exclusions and not query.conditions.isdisjoint(rules.exclusions):
        return True
    return center.status != Status.ACTIVE or query.needs.isdisjoint(center.needs)


def _sure(limit: Limit, value: int | None, upper: bool) -> Span | None:
    """The limit as a reason it fits: only when she is inside every source's value."""
    if value is not None and fit(limit, value, upper) is not Fit.INSIDE:
        return None
    return span(limit)


def _reasons(match: Match) -> list[Reason]:
    """Why a center fits, in the order a mother wants to hear it; a limit she must still ask
    about is a condition, never a reason."""
    center, query, km = match.center, match.query, match.distance_km
    far = km is not None and km > NEAR_KM
    reasons: list[Reason]
    match match.tier:
        case Tier.CITY:
            reasons = [InYourCity(center.place or "")]
        case Tier.REGION:
            shown = km if far else None
            region = center.region or ""
            reasons = [InYourRegion(region, shown, match.approximate, center.place)]
        case Tier.NEARBY:
            reasons = [Nearby(center.place, center.region, km, match.approximate)]
        case Tier.NATIONAL:
            reasons = [National()]
    reasons.append(Offers(tuple(n for n in center.needs if n in query.needs)))
    rules = center.eligibility
    age = query.mother_age
    low = _sure(rules.mother_age_min, age, upper=False)
    high = _sure(rules.mother_age_max, age, upper=True)
    if low is not None or high is not None:
        reasons.append(AcceptsMothers(low, high))
    if query.pregnant and rules.accepts_pregnant:
        reasons.append(AcceptsPregnant())
    child = _sure(rules.child_age_max_months, query.child_months, upper=True)
    if child is not None:
        reasons.append(AcceptsChildUpTo(child))
    stay = center.stay
    if stay.max_disputed is not None:
        disputed = stay.max_disputed
        reasons.append(StaysFor(stay.min, disputed.low, stay.max_exceptional, disputed.high))
    elif stay.max is not None:
        reasons.append(StaysFor(stay.min, stay.max, stay.max_exceptional))
    return reasons


def _conditions(
    center: CenterHead, query: Query, checks: list[Condition], today: date
) -> list[Condition]:
    """What she should know before she goes: requirements, exclusions, unknowns."""
    rules = center.eligibility
    conditions: list[Condition] = [Requires(code) for code in rules.requirements]
    conditions += [DoesNotAccept(code) for code in rules.exclusions]
    conditions += checks
    # A minor is never turned away, but where no minimum age is known she should ask first.
    if query.mother_age < 18 and rules.mother_age_min is None:
        conditions.append(MinorCallFirst())
    if query.pregnant and rules.accepts_pregnant is None:
        conditions.append(PregnancyUnknown())
    if center.provenance.unconfirmed(today):
        conditions.append(Unconfirmed())
    return conditions


def _fixed_rank(center: CenterHead) -> tuple[bool, bool, int, str]:
    """The part of a center's rank that no search changes (computed once per catalog)."""
    rules = center.eligibility
    # A center built for young mothers with babies fits better than a general one.
    targeted = rules.mother_age_max is not None or rules.child_age_max_months is not None
    return (
        not targeted,
        bool(rules.requirements),
        _CONFIDENCE_RANK.get(center.provenance.confidence, 3),
        center.id,
    )


def _city(_center: CenterHead) -> Tier:
    return Tier.CITY


def _region(_center: CenterHead) -> Tier:
    return Tier.REGION


# A candidate scored for ranking: (rank key, center, needs it meets, tier, km).
_Scored = tuple[tuple[Any, ...], CenterHead, tuple[Need, ...], Tier, float | None]


def _score(item: _Scored) -> tuple[Any, ...]:
    return item[0]


def _by_distance(match: Match) -> tuple[float, str]:
    distance = match.distance_km if match.distance_km is not None else _FAR
    return distance, match.center.id


def cover_needs_first(ranked: list[Match], size: int = PAGE_SIZE) -> list[Match]:
    """Reorder so that the first `size` cards meet every need some center in `ranked` meets.

    Greedy, best-ranked first: a center that meets a need no card before it meets comes
    before one that only repeats covered needs; the rest keep their order.
    """
    uncovered = {need for match in ranked for need in match.needs_met}
    pool = list(ranked)
    page: list[Match] = []
    while pool and len(page) < size:
        pick = next((m for m in pool if uncovered.intersection(m.needs_met)), pool[0])
        page.append(pick)
        pool.remove(pick)
        uncovered.difference_update(pick.needs_met)
    return page + pool


class Matcher:
    """A catalog indexed for matching: built once per catalog, read by every search."""

    def __init__(self, catalog: Catalog | Directory) -> None:
        # Matching reads only what a center's head holds; a full catalog is cut down to it.
        if isinstance(catalog, Catalog):
            catalog = Directory.of(catalog)
        self.catalog = catalog
        self._by_region: dict[str, dict[Need, list[CenterHead]]] = {}
        self._by_place: dict[str, dict[Need, list[CenterHead]]] = {}
        self._national: dict[Need, list[CenterHead]] = {}
        self._points: dict[str, Point | None] = {}
        # Centers whose point is their region's main town (their own town has none).
        self._approximate: set[str] = set()
        # Every distinct point of each region's centers, to visit regions nearest first.
        self._region_points: dict[str, set[Point]] = {}
        self._fixed: dict[str, tuple[bool, bool, int, str]] = {}
        for center in catalog.centers:
            if center.status != Status.ACTIVE:
                continue  # never a candidate; --explain still lists it
            if center.coverage == Coverage.NATIONAL or not center.region:
                index = self._national
            else:
                index = self._by_region.setdefault(center.region, {})
            for need in center.needs:
                index.setdefault(need, []).append(center)
            if center.place and index is not self._national:
                in_place = self._by_place.setdefault(center.place, {})
                for need in center.needs:
                    in_place.setdefault(need, []).append(center)
            point, approximate = self._point_of(center)
            self._points[center.id] = point
            if approximate:
                self._approximate.add(center.id)
            if point is not None and index is not self._national and center.region:
                self._region_points.setdefault(center.region, set()).add(point)
            self._fixed[center.id] = _fixed_rank(center)
        self.hotlines = tuple(sorted(catalog.hotlines, key=lambda h: not h.emergency))

    def _place_point(self, place_id: str | None) -> Point | None:
        place = self.catalog.place(place_id) if place_id else None
        if place is None or place.lat is None or place.lon is None:
            return None
        return place.lat, place.lon

    def _point_of(self, center: CenterHead) -> tuple[Point | None, bool]:
        """The building if public, else its place, else its region's admin center (then the
        point is approximate: True)."""
        if center.lat is not None and center.lon is not None:
            return (center.lat, center.lon), False
        point = self._place_point(center.place)
        if point is not None or not center.region:
            return point, False
        region = self.catalog.region(center.region)
        point = self._place_point(region.admin_center if region else None)
        return point, point is not None

    def _candidates(
        self, index: dict[Need, list[CenterHead]], needs: Iterable[Need]
    ) -> list[CenterHead]:
        seen: dict[str, CenterHead] = {}
        for need in needs:
            for center in index.get(need, ()):
                seen.setdefault(center.id, center)
        return list(seen.values())

    def _fit(
        self, center: CenterHead, query: Query, tier: Tier, distances: dict[Point, float]
    ) -> Match | None:
        """A Match when the center fits; distances are measured once per point and search
        (most centers share their town's point)."""
        if _left_out(center, query):
            return None
        km = self._km(center, query.location, distances)
        needs = query.needs
        met = tuple(n for n in center.needs if n in needs)
        approximate = km is not None and center.id in self._approximate
        return Match(center, tier, km, met, query, approximate)

    def _km(
        self, center: CenterHead, location: Location, distances: dict[Point, float]
    ) -> float | None:
        """How far the center is from her, measured once per point and search (most centers
        share their town's point); None when either point is unknown.

        A center placed only by its region's main town is not "0 km" from a mother in that
        region: its distance within the region is unknown (None, ranked after the known)."""
        if center.id in self._approximate and center.region == location.region:
            return None
        point = self._points.get(center.id)
        if point is None or location.lat is None or location.lon is None:
            return None
        return self._distance_to(point, location, distances)

    @staticmethod
    def _distance_to(point: Point, location: Location, distances: dict[Point, float]) -> float:
        assert location.lat is not None and location.lon is not None
        km = distances.get(point)
        if km is None:
            km = distances[point] = distance_km(location.lat, location.lon, *point)
        return km

    def _regions_by_distance(
        self, location: Location, distances: dict[Point, float]
    ) -> list[tuple[float, str]]:
        """Other regions with the distance to their nearest center, nearest first."""
        known = location.lat is not None and location.lon is not None
        found = []
        for region_id in self._by_region:
            if region_id == location.region:
                continue
            points = self._region_points.get(region_id, set())
            nearest = min(
                (self._distance_to(p, location, distances) for p in points), default=_FAR
            ) if known else _FAR  # fmt: skip
            found.append((nearest, region_id))
        return sorted(found)

    def _nearby(
        self, query: Query, room: int, uncovered: set[Need], distances: dict[Point, float]
    ) -> list[Match]:
        """The nearest fitting centers in other regions: enough to fill `room`, and the
        nearest one for each need nothing closer meets. Regions are visited nearest first,
        so a search in a well-served city never looks at the rest of the country."""
        if not room and not uncovered:
            return []
        found: list[Match] = []
        wanted = set(uncovered)
        for nearest_km, region_id in self._regions_by_distance(query.location, distances):
            # Regions come nearest first by their nearest center: once `room` centers are
            # found closer than anything this region holds, no farther region can beat them.
            if len(found) >= room and not wanted:
                cutoff = heapq.nsmallest(room, found, key=_by_distance)[-1] if room else None
                if cutoff is None or _by_distance(cutoff)[0] <= nearest_km:
                    break
            index = self._by_region[region_id]
            needs = query.needs if room else wanted
            for center in self._candidates(index, needs):
                match = self._fit(center, query, Tier.NEARBY, distances)
                if match is not None:
                    found.append(match)
                    wanted.difference_update(match.needs_met)
        nearest = heapq.nsmallest(room, found, key=_by_distance)
        chosen = {m.center.id for m in nearest}
        for need in sorted(uncovered - {n for m in nearest for n in m.needs_met}):
            meeting = [m for m in found if need in m.needs_met and m.center.id not in chosen]
            if meeting:
                best = min(meeting, key=_by_distance)
                nearest.append(best)
                chosen.add(best.center.id)
        return sorted(nearest, key=_by_distance)

    def match(self, query: Query, explain: bool = False) -> MatchResult:
        """Rank the catalog's centers for one mother; hotlines always come with the answer."""
        location = query.location
        distances: dict[Point, float] = {}
        here = location.place
        city_candidates = (
            self._candidates(self._by_place.get(here, {}), query.needs) if here else []
        )
        city, city_count = self._ranked(city_candidates, query, _city, distances)
        in_region = [
            center
            for center in self._candidates(self._by_region.get(location.region, {}), query.needs)
            if not here or center.place != here
        ]
        if city_count >= MAX_RESULTS:
            # The region's other towns rank after every card of her own town: they are
            # counted, and listed only for a need nothing in her town meets.
            unmet = set(query.needs).difference(n for m in city for n in m.needs_met)
            region_count = sum(1 for center in in_region if not _left_out(center, query))
            wanted = [c for c in in_region if unmet.intersection(c.needs)]
            region, _ = self._ranked(wanted, query, _region, distances)
        else:
            region, region_count = self._ranked(in_region, query, _region, distances)
        local, local_count = [*city, *region], city_count + region_count
        national, _ = self._ranked(
            self._candidates(self._national, query.needs),
            query,
            lambda _center: Tier.NATIONAL,
            distances,
        )
        covered = {n for m in (*local, *national) for n in m.needs_met}
        room = max(0, ENOUGH_LOCAL - local_count)
        nearby = self._nearby(query, room, set(query.needs) - covered, distances)
        matches = cover_needs_first([*local, *nearby, *national])
        excluded = self._explain(query, matches) if explain else ()
        return MatchResult(
            matches=tuple(matches),
            excluded=excluded,
            hotlines=self.hotlines,
            local_count=local_count,
        )

    def _ranked(
        self,
        candidates: list[CenterHead],
        query: Query,
        tier_of: Callable[[CenterHead], Tier],
        distances: dict[Point, float],
    ) -> tuple[list[Match], int]:
        """Every fitting candidate counted; the best MAX_RESULTS, and the best one for each of
        her needs (so the first page can cover them all), as Matches in rank order.

        A big city has hundreds of fitting centers: they are scored with plain tuples, and
        only the few that can be listed become Matches.
        """
        needs = query.needs
        shelter_wanted = Need.SHELTER in needs
        location = query.location
        fixed = self._fixed
        scored: list[_Scored] = []
        best_for: dict[Need, _Scored] = {}
        for center in candidates:
            if _left_out(center, query):
                continue
            met = tuple(n for n in center.needs if n in needs)
            tier = tier_of(center)
            km = self._km(center, location, distances)
            shelter_fit = shelter_wanted and center.shelter is True
            key = (_TIER_RANK[tier], _FAR if km is None else km, -len(met), not shelter_fit,
                   *fixed[center.id])  # fmt: skip
            item = (key, center, met, tier, km)
            scored.append(item)
            for need in met:
                if need not in best_for or key < best_for[need][0]:
                    best_for[need] = item
        chosen = scored
        if len(scored) > MAX_RESULTS:
            chosen = heapq.nsmallest(MAX_RESULTS, scored, key=_score)
            ids = {item[1].id for item in chosen}
            chosen += [item for item in best_for.values() if item[1].id not in ids]
            chosen = list({item[1].id: item for item in chosen}.values())
        chosen.sort(key=_score)
        approximate = self._approximate
        matches = [
            Match(center, tier, km, met, query, km is not None and center.id in approximate)
            for _, center, met, tier, km in chosen
        ]
        return matches, len(scored)

    def _explain(self, query: Query, matches: list[Match]) -> tuple[Excluded, ...]:
        """Every center left out and why: the whole catalog, for admins only."""
        shown = {m.center.id for m in matches}
        excluded: list[Excluded] = []
        for center in self.catalog.centers:
            if center.id in shown:
                continue
            failures, _ = assess(center, query)
            excluded.append(Excluded(center, tuple(failures or [FartherThanOthers()])))
        return tuple(excluded)
