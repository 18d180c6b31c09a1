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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

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

    @property
    def reasons(self) -> tuple[Reason, ...]:
        """Why it fits, in the order a mother wants to hear it."""
        return tuple(_reasons(self.center, self.query, self.tier, self.distance_km))

    @property
    def conditions(self) -> tuple[Condition, ...]:
        """What she should know before she goes."""
        _, checks = _assess(self.center, self.query)
        return tuple(_conditions(self.center, self.query, checks))


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


def span(limit: Limit) -> Span | None:
    """A limit as the values sources give for it."""
    if limit is None:
        return None
    if isinstance(limit, Disputed):
        return Span(limit.low, limit.high)
    return Span(limit, limit)


def _assess(center: CenterHead, query: Query) -> tuple[list[LeftOut], list[Condition]]:
    """Hard reasons to leave a center out, and limits she should ask about."""
    failures: list[LeftOut] = []
    checks: list[Condition] = []
    if center.status != Status.ACTIVE:
        failures.append(NotActive(center.status))
    rules = center.eligibility
    age = query.mother_age

    def lower(limit: Limit, kind: LimitKind, value: int, fail: LeftOut) -> None:
        if isinstance(limit, Disputed):
            if value < limit.high:
                checks.append(CheckLimit(kind, Span(limit.low, limit.high)))
        elif limit is not None and value < limit:
            failures.append(fail)

    def upper(limit: Limit, kind: LimitKind, value: int, fail: LeftOut) -> None:
        if isinstance(limit, Disputed):
            if value > limit.low:
                checks.append(CheckLimit(kind, Span(limit.low, limit.high)))
        elif limit is not None and value > limit:
            failures.append(fail)

    minimum, maximum = rules.mother_age_min, rules.mother_age_max
    lower(minimum, LimitKind.MOTHER_AGE_MIN, age, MotherTooYoung(_int(minimum)))
    upper(maximum, LimitKind.MOTHER_AGE_MAX, age, MotherTooOld(_int(maximum)))
    if query.pregnant and rules.accepts_pregnant is False:
        failures.append(NoPregnant())
    months = query.child_months
    if months is not None:
        oldest, youngest = rules.child_age_max_months, rules.child_age_min_months
        upper(oldest, LimitKind.CHILD_AGE_MAX, months, ChildTooOld(_int(oldest)))
        lower(youngest, LimitKind.CHILD_AGE_MIN, months, ChildTooYoung(_int(youngest)))
    failures += [Excludes(code) for code in sorted(query.conditions & set(rules.exclusions))]
    if not query.needs.intersection(center.needs):
        failures.append(NoNeededService())
    return failures, checks


def _int(limit: Limit) -> int:
    return limit if isinstance(limit, int) else 0


def _left_out(center: CenterHead, query: Query) -> bool:
    """True when a hard condition rules a candidate out (the allocation-free `_assess`).

    For candidates from `Matcher`'s index, which holds active centers under the needs they
    meet. Only confirmed limits count: a disputed one (`Disputed`) never leaves her out.
    """
    rules = center.eligibility
    age = query.mother_age
    low, high = rules.mother_age_min, rules.mother_age_max
    if (type(low) is int and age < low) or (type(high) is int and age > high):
        return True
    if query.pregnant and rules.accepts_pregnant is False:
        return True
    months = query.child_months
    if months is not None:
        oldest, youngest = rules.child_age_max_months, rules.child_age_min_months
        if (type(oldest) is int and months > oldest) or (
            type(youngest) is int and months < youngest
        ):
            return True
    return bool(rules.exclusions) and not query.conditions.isdisjoint(rules.exclusions)


def _reasons(center: CenterHead, query: Query, tier: Tier, km: float | None) -> list[Reason]:
    """Why a center fits, in the order a mother wants to hear it."""
    reasons: list[Reason]
    match tier:
        case Tier.CITY:
            reasons = [InYourCity(center.place or "")]
        case Tier.REGION:
            reasons = [InYourRegion(center.region or "")]
        case Tier.NEARBY:
            reasons = [Nearby(center.place, center.region, km)]
        case Tier.NATIONAL:
            reasons = [National()]
    reasons.append(Offers(tuple(n for n in center.needs if n in query.needs)))
    rules = center.eligibility
    low, high = span(rules.mother_age_min), span(rules.mother_age_max)
    if low is not None or high is not None:
        reasons.append(AcceptsMothers(low, high))
    if query.pregnant and rules.accepts_pregnant:
        reasons.append(AcceptsPregnant())
    child = span(rules.child_age_max_months)
    if child is not None:
        reasons.append(AcceptsChildUpTo(child))
    if center.stay.max is not None:
        reasons.append(StaysFor(center.stay.min, center.stay.max, center.stay.max_exceptional))
    return reasons


def _conditions(center: CenterHead, query: Query, checks: list[Condition]) -> list[Condition]:
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
    if center.provenance.confidence == Confidence.LOW:
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
            self._points[center.id] = self._point_of(center)
            self._fixed[center.id] = _fixed_rank(center)
        self._region_points = {
            region.id: self._place_point(region.admin_center) for region in catalog.regions
        }
        self.hotlines = tuple(sorted(catalog.hotlines, key=lambda h: not h.emergency))

    def _place_point(self, place_id: str | None) -> Point | None:
        place = self.catalog.place(place_id) if place_id else None
        if place is None or place.lat is None or place.lon is None:
            return None
        return place.lat, place.lon

    def _point_of(self, center: CenterHead) -> Point | None:
        """The building if public, else its place, else its region's admin center."""
        if center.lat is not None and center.lon is not None:
            return center.lat, center.lon
        point = self._place_point(center.place)
        if point is None and center.region:
            region = self.catalog.region(center.region)
            point = self._place_point(region.admin_center if region else None)
        return point

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
        return Match(center, tier, km, tuple(n for n in center.needs if n in needs), query)

    def _km(
        self, center: CenterHead, location: Location, distances: dict[Point, float]
    ) -> float | None:
        """How far the center is from her, measured once per point and search (most centers
        share their town's point); None when either point is unknown."""
        point = self._points.get(center.id)
        if point is None or location.lat is None or location.lon is None:
            return None
        km = distances.get(point)
        if km is None:
            km = distances[point] = distance_km(location.lat, location.lon, *point)
        return km

    def _regions_by_distance(self, location: Location) -> list[str]:
        def key(region_id: str) -> float:
            point = self._region_points.get(region_id)
            if point is None or location.lat is None or location.lon is None:
                return _FAR
            return distance_km(location.lat, location.lon, point[0], point[1])

        others = [r for r in self._by_region if r != location.region]
        return sorted(others, key=key)

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
        filled_in: int | None = None
        for position, region_id in enumerate(self._regions_by_distance(query.location)):
            if filled_in is not None and position > filled_in + 1 and not wanted:
                break
            index = self._by_region[region_id]
            needs = query.needs if (room and filled_in is None) else wanted
            for center in self._candidates(index, needs):
                match = self._fit(center, query, Tier.NEARBY, distances)
                if match is not None:
                    found.append(match)
                    wanted.difference_update(match.needs_met)
            if filled_in is None and len(found) >= room:
                filled_in = position
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
        matches = [Match(center, tier, km, met, query) for _, center, met, tier, km in chosen]
        return matches, len(scored)

    def _explain(self, query: Query, matches: list[Match]) -> tuple[Excluded, ...]:
        """Every center left out and why: the whole catalog, for admins only."""
        shown = {m.center.id for m in matches}
        excluded: list[Excluded] = []
        for center in self.catalog.centers:
            if center.id in shown:
                continue
            failures, _ = _assess(center, query)
            excluded.append(Excluded(center, tuple(failures or [FartherThanOthers()])))
        return tuple(excluded)


def match_centers(catalog: Catalog, query: Query, explain: bool = False) -> MatchResult:
    """One search on a catalog indexed for it (index once with `Matcher` for many)."""
    return Matcher(catalog).match(query, explain=explain)
