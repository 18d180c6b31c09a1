"""Which centers fit a mother, best first, and why: plain data in, plain data out.

Reasons and exclusions are language-neutral codes with parameters; the conversation and the
CLI turn them into words. Hard conditions (closed, age, child's age, exclusions, nothing she
needs) remove a center; place only orders them, so a search never ends empty-handed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.core.geo import Location, distance_km
from bot.core.model import Catalog, Center, Hotline

# Tiers, nearest first. "nearby" is another city or region, ordered by distance.
TIERS: tuple[str, ...] = ("city", "region", "nearby", "national")
# With fewer local results than this, the nearest fitting centers elsewhere are added.
ENOUGH_LOCAL = 3
_CONFIDENCE_RANK = {"high": 0, "medium": 1, "low": 2}


@dataclass(frozen=True)
class Query:
    """What the mother told the bot."""

    mother_age: int
    pregnant: bool
    child_months: int | None
    location: Location
    needs: frozenset[str]

    @property
    def conditions(self) -> frozenset[str]:
        """What a center may exclude her for; asking for HIV help says she lives with HIV."""
        return frozenset({"hiv"}) & self.needs


@dataclass(frozen=True)
class Reason:
    """One language-neutral statement about a center, e.g. ("mother_age_max", {"max": 30})."""

    code: str
    params: dict[str, Any] = field(default_factory=dict, hash=False, compare=True)


@dataclass(frozen=True)
class Match:
    """A center that fits, with why it fits and what she should know first."""

    center: Center
    tier: str
    distance_km: float | None
    reasons: tuple[Reason, ...]
    conditions: tuple[Reason, ...]
    needs_met: tuple[str, ...]


@dataclass(frozen=True)
class Excluded:
    """A center left out, and why (for `--explain` and the admins)."""

    center: Center
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class MatchResult:
    """The answer to one search."""

    matches: tuple[Match, ...]
    excluded: tuple[Excluded, ...]
    hotlines: tuple[Hotline, ...]
    local_count: int

    @property
    def tier(self) -> str:
        """Where the best result came from; "hotlines" when only the national lines are left."""
        return self.matches[0].tier if self.matches else "hotlines"


def _hard_failures(center: Center, query: Query) -> list[Reason]:
    """Conditions that rule a center out for this mother."""
    failures: list[Reason] = []
    if center.status != "active":
        failures.append(Reason(center.status))
    rules = center.eligibility
    if rules.mother_age_min is not None and query.mother_age < rules.mother_age_min:
        failures.append(Reason("mother_too_young", {"min": rules.mother_age_min}))
    if rules.mother_age_max is not None and query.mother_age > rules.mother_age_max:
        failures.append(Reason("mother_too_old", {"max": rules.mother_age_max}))
    if query.pregnant and rules.accepts_pregnant is False:
        failures.append(Reason("no_pregnant"))
    if query.child_months is not None:
        if (
            rules.child_age_max_months is not None
            and query.child_months > rules.child_age_max_months
        ):
            failures.append(Reason("child_too_old", {"max_months": rules.child_age_max_months}))
        if (
            rules.child_age_min_months is not None
            and query.child_months < rules.child_age_min_months
        ):
            failures.append(Reason("child_too_young", {"min_months": rules.child_age_min_months}))
    for code in sorted(query.conditions & set(rules.exclusions)):
        failures.append(Reason("excludes", {"code": code}))
    if not query.needs & set(center.needs):
        failures.append(Reason("no_needed_service"))
    return failures


def _tier(center: Center, location: Location) -> str:
    if center.coverage == "national":
        return "national"
    if center.place is not None and center.place == location.place:
        return "city"
    if center.region == location.region:
        return "region"
    return "nearby"


def _distance(center: Center, catalog: Catalog, location: Location) -> float | None:
    if location.lat is None or location.lon is None:
        return None
    lat, lon = center.lat, center.lon
    if lat is None or lon is None:
        # Its place, else (a village with unknown coordinates) its region's admin center.
        region = catalog.region(center.region) if center.region else None
        candidates = [center.place, region.admin_center if region else None]
        places = [catalog.place(pid) for pid in candidates if pid]
        point = next((p for p in places if p and p.lat is not None and p.lon is not None), None)
        if point is None or point.lat is None or point.lon is None:
            return None
        lat, lon = point.lat, point.lon
    return distance_km(location.lat, location.lon, lat, lon)


def _reasons(center: Center, query: Query, tier: str, km: float | None) -> list[Reason]:
    """Why a center fits, in the order a mother wants to hear it."""
    reasons: list[Reason] = []
    if tier == "city":
        reasons.append(Reason("in_your_city", {"place": center.place}))
    elif tier == "region":
        reasons.append(Reason("in_your_region", {"region": center.region}))
    elif tier == "nearby":
        reasons.append(Reason("nearby", {"place": center.place, "region": center.region, "km": km}))
    else:
        reasons.append(Reason("national"))
    needs_met = [n for n in center.needs if n in query.needs]
    reasons.append(Reason("offers", {"needs": needs_met}))
    rules = center.eligibility
    if rules.mother_age_max is not None or rules.mother_age_min is not None:
        reasons.append(
            Reason("accepts_mothers", {"min": rules.mother_age_min, "max": rules.mother_age_max})
        )
    if query.pregnant and rules.accepts_pregnant:
        reasons.append(Reason("accepts_pregnant"))
    if rules.child_age_max_months is not None:
        reasons.append(Reason("accepts_child_up_to", {"months": rules.child_age_max_months}))
    if center.stay.max is not None:
        reasons.append(
            Reason(
                "stay",
                {"min": center.stay.min, "max": center.stay.max,
                 "exceptional": center.stay.max_exceptional},
            )
        )  # fmt: skip
    return reasons


def _conditions(center: Center, query: Query) -> list[Reason]:
    """What she should know before she goes: requirements, exclusions, unknowns."""
    rules = center.eligibility
    conditions = [Reason("requires", {"code": code}) for code in rules.requirements]
    conditions += [Reason("does_not_accept", {"code": code}) for code in rules.exclusions]
    # A minor is never turned away, but where no minimum age is known she should ask first.
    if query.mother_age < 18 and rules.mother_age_min is None:
        conditions.append(Reason("minor_call_first"))
    if query.pregnant and rules.accepts_pregnant is None:
        conditions.append(Reason("pregnancy_unknown"))
    if center.provenance.confidence == "low":
        conditions.append(Reason("unconfirmed"))
    return conditions


def _rank_key(match: Match, query: Query) -> tuple[Any, ...]:
    center = match.center
    rules = center.eligibility
    # A center built for young mothers with babies fits better than a general one.
    targeted = rules.mother_age_max is not None or rules.child_age_max_months is not None
    shelter_fit = "shelter" in query.needs and center.shelter is True
    return (
        TIERS.index(match.tier),
        -len(match.needs_met),
        not shelter_fit,
        not targeted,
        bool(rules.requirements),
        _CONFIDENCE_RANK.get(center.provenance.confidence, 3),
        match.distance_km if match.distance_km is not None else float("inf"),
        center.id,
    )


def match_centers(catalog: Catalog, query: Query) -> MatchResult:
    """Rank the catalog's centers for one mother; hotlines always come with the answer."""
    fitting: list[Match] = []
    excluded: list[Excluded] = []
    for center in catalog.centers:
        failures = _hard_failures(center, query)
        if failures:
            excluded.append(Excluded(center, tuple(failures)))
            continue
        tier = _tier(center, query.location)
        km = _distance(center, catalog, query.location)
        fitting.append(
            Match(
                center=center,
                tier=tier,
                distance_km=km,
                reasons=tuple(_reasons(center, query, tier, km)),
                conditions=tuple(_conditions(center, query)),
                needs_met=tuple(n for n in center.needs if n in query.needs),
            )
        )
    fitting.sort(key=lambda m: _rank_key(m, query))
    local = [m for m in fitting if m.tier in ("city", "region")]
    national = [m for m in fitting if m.tier == "national"]
    elsewhere = sorted(
        (m for m in fitting if m.tier == "nearby"),
        key=lambda m: (m.distance_km if m.distance_km is not None else float("inf"),
                       _rank_key(m, query)),
    )  # fmt: skip
    room = max(0, ENOUGH_LOCAL - len(local))
    nearby, too_far = elsewhere[:room], elsewhere[room:]
    excluded += [Excluded(m.center, (Reason("farther_than_others"),)) for m in too_far]
    hotlines = tuple(sorted(catalog.hotlines, key=lambda h: not h.emergency))
    return MatchResult(
        matches=tuple(local + nearby + national),
        excluded=tuple(excluded),
        hotlines=hotlines,
        local_count=len(local),
    )
