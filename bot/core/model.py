"""The catalog as plain, immutable, typed data: what the data files hold and what matching reads.

The structs are msgspec `Struct`s: compact in memory (a catalog of 100,000 centers must fit),
and the database keeps every entry as the struct's own JSON, so the schema is written here
once and the storage never maps it by hand. The data files' flat TOML layout is read and
written by `bot.catalog.files` and `bot.catalog.writer`.
"""

from __future__ import annotations

from datetime import date
from typing import Final, Generic, Literal, Protocol, TypeVar

import msgspec

from bot.core.codes import (
    Channel,
    Checked,
    Confidence,
    Coverage,
    Exclusion,
    Language,
    Need,
    OrgType,
    PhoneKind,
    RegionKind,
    Requirement,
    Status,
)
from bot.core.durations import StayDuration


class Localized(msgspec.Struct, frozen=True, omit_defaults=True):
    """A text in Kazakh and Russian; either may be empty when unknown."""

    kk: str = ""
    ru: str = ""

    def get(self, lang: str) -> str:
        """The text in `lang`, falling back to the other language rather than to nothing."""
        first, second = (self.kk, self.ru) if lang == Language.KK else (self.ru, self.kk)
        return first or second

    def __bool__(self) -> bool:
        return bool(self.kk or self.ru)


class Region(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A first-level unit: one of 17 regions or 3 cities of republican significance."""

    id: str
    kind: RegionKind
    name: Localized
    name_en: str = ""
    aliases: tuple[str, ...] = ()
    admin_center: str


class Place(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A city, town or village; coordinates are approximate and may be unknown."""

    id: str
    region: str
    name: Localized
    name_en: str = ""
    aliases: tuple[str, ...] = ()
    lat: float | None = None
    lon: float | None = None


class Phone(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One contact number of a center, with where it comes from."""

    number: str
    kind: PhoneKind = PhoneKind.VOICE
    hours: str = ""
    languages: tuple[Language, ...] = ()
    # A URL for a published number; empty when an admin phoned or the center gave it.
    source: str = ""


class Disputed(msgspec.Struct, frozen=True, omit_defaults=True):
    """A limit the sources disagree on, or that nobody has confirmed.

    It is never a reason to leave a mother out: the card shows it as something to ask by
    phone ("age up to 30–34, check by phone").
    """

    values: tuple[int, ...]
    sources: tuple[str, ...] = ()

    @property
    def low(self) -> int:
        return min(self.values)

    @property
    def high(self) -> int:
        return max(self.values)


# A limit is a confirmed number, a disputed one, or unknown (None: no limit known).
Limit = int | Disputed | None


class Eligibility(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Who a center accepts; None means the sources say nothing."""

    mother_age_min: Limit = None
    mother_age_max: Limit = None
    child_age_min_months: Limit = None
    child_age_max_months: Limit = None
    accepts_pregnant: bool | None = None
    exclusions: tuple[Exclusion, ...] = ()
    requirements: tuple[Requirement, ...] = ()


class DisputedStay(msgspec.Struct, frozen=True, omit_defaults=True):
    """A longest stay the sources disagree on ("6 months" in one, "2 years" in another)."""

    values: tuple[StayDuration, ...]
    sources: tuple[str, ...] = ()

    @property
    def low(self) -> StayDuration:
        return min(self.values)

    @property
    def high(self) -> StayDuration:
        return max(self.values)


class Stay(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """How long a shelter lets a mother live there.

    The longest stay is `max` when the sources agree and `max_disputed` when they do not
    (never both): a separate field, because msgspec cannot store a union of `StayDuration`
    and a struct, and older stored documents decode unchanged.
    """

    min: StayDuration | None = None
    max: StayDuration | None = None
    max_disputed: DisputedStay | None = None
    max_exceptional: StayDuration | None = None

    @property
    def longest(self) -> StayDuration | None:
        """The longest stay any source gives (for ordering and checks)."""
        return self.max_disputed.high if self.max_disputed else self.max


# Public sources older than this may describe a place that has closed or moved since.
OLD_SOURCE_MONTHS: Final = 24


# The year the newest source was published: a year, "unknown" when it could not be dated,
# None when nobody recorded it (what older stored documents decode to).
SourceYear = int | Literal["unknown"] | None
UNKNOWN_YEAR: Final = "unknown"


def source_is_old(newest_source: SourceYear, today: date) -> bool:
    """True when the newest source is older than `OLD_SOURCE_MONTHS` or of unknown date; a
    year counts as its last day, so only a sure age counts."""
    if not isinstance(newest_source, int):
        return True
    years = OLD_SOURCE_MONTHS // 12
    return today > date(newest_source + years, 12, 31)


class Provenance(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Where the facts come from, and how, when and by whom they were last checked."""

    source_urls: tuple[str, ...] = ()
    # When the newest of `source_urls` was published (see `SourceYear`).
    newest_source: SourceYear = None
    verified_at: date
    verified_by: str
    verified_how: Checked = Checked.DESK
    confidence: Confidence = Confidence.MEDIUM
    notes: str = ""


class Center(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """An organisation a mother can turn to."""

    id: str
    name: Localized
    summary: Localized
    org_type: OrgType
    status: Status = Status.ACTIVE
    status_reason: Localized = Localized()
    coverage: Coverage
    place: str | None = None
    region: str | None = None
    needs: tuple[Need, ...]
    shelter: bool | None = None
    stay: Stay = Stay()
    eligibility: Eligibility = Eligibility()
    phones: tuple[Phone, ...] = ()
    hours: str = ""
    # Free places as the center itself last said, with the day it said so (both or neither);
    # a number this volatile is shown to a mother only while it is fresh.
    free_places: int | None = None
    free_places_at: date | None = None
    website: str = ""
    address: Localized = Localized()
    address_public: bool = False
    lat: float | None = None
    lon: float | None = None
    provenance: Provenance

    @property
    def shown_address(self) -> Localized:
        """The address only where the center itself publishes it; shelters often hide theirs."""
        return self.address if self.address_public else Localized()


class Checking(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """How and when a center was last checked, and how sure the sources are (what matching
    and ranking read of its `Provenance`)."""

    verified_at: date
    verified_how: Checked = Checked.DESK
    confidence: Confidence = Confidence.MEDIUM
    newest_source: SourceYear = None

    def unconfirmed(self, today: date) -> bool:
        """Nothing says it still works: sources unsure, or public sources only and old or
        undated (a phone call or the center's own word is evidence of its own)."""
        if self.confidence == Confidence.LOW:
            return True
        return self.verified_how == Checked.DESK and source_is_old(self.newest_source, today)


class CenterHead(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """What matching reads of a center: a projection of `Center`, with the same field names.

    The running bot keeps only these in memory (a catalog of 100,000 centers must fit and
    load in seconds); the rest of a center (summary, phones, sources, notes…) is read from the
    database for the few cards a mother sees. A center's JSON document decodes into it as it
    is: fields it does not name are skipped.
    """

    id: str
    name: Localized
    status: Status = Status.ACTIVE
    coverage: Coverage
    place: str | None = None
    region: str | None = None
    needs: tuple[Need, ...]
    shelter: bool | None = None
    stay: Stay = Stay()
    eligibility: Eligibility = Eligibility()
    lat: float | None = None
    lon: float | None = None
    provenance: Checking


def head_of(center: Center) -> CenterHead:
    """The head of a full center: every field the head names, taken from the center."""
    prov = center.provenance
    checking = Checking(**{name: getattr(prov, name) for name in _CHECKING_FIELDS})
    return CenterHead(**{name: getattr(center, name) for name in _HEAD_FIELDS}, provenance=checking)


_HEAD_FIELDS: Final = tuple(f for f in CenterHead.__struct_fields__ if f != "provenance")
_CHECKING_FIELDS: Final = Checking.__struct_fields__


class Hotline(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A national phone line."""

    id: str
    number: str
    emergency: bool = False
    name: Localized
    purpose: Localized
    hours: str = ""
    free: bool | None = None
    # Lines where she may stay anonymous; the SOS text says so only under these.
    anonymous: bool | None = None
    channels: tuple[Channel, ...] = ()
    needs: tuple[Need, ...] = ()
    provenance: Provenance


# What a kind of catalog keeps of each center: the whole entry, or its head.
_C = TypeVar("_C", Center, CenterHead)


class _Places(Generic[_C]):
    """Regions, places, centers and hotlines, with lookups by id: what every kind of catalog
    holds."""

    __slots__ = ("_centers", "_places", "_regions", "centers", "hotlines", "places", "regions")

    def __init__(
        self,
        regions: tuple[Region, ...] = (),
        places: tuple[Place, ...] = (),
        centers: tuple[_C, ...] = (),
        hotlines: tuple[Hotline, ...] = (),
    ) -> None:
        self.regions = regions
        self.places = places
        self.centers: tuple[_C, ...] = centers
        self.hotlines = hotlines
        self._regions = {r.id: r for r in regions}
        self._places = {p.id: p for p in places}
        self._centers: dict[str, _C] = {c.id: c for c in centers}

    def region(self, region_id: str) -> Region | None:
        """The region with this id, if any."""
        return self._regions.get(region_id)

    def place(self, place_id: str) -> Place | None:
        """The place with this id, if any."""
        return self._places.get(place_id)

    def center(self, center_id: str) -> _C | None:
        """The center with this id (in a `Directory`, its head), if any."""
        return self._centers.get(center_id)


class Catalog(_Places[Center]):
    """Everything the catalog says, whole: what the data files hold and admins change."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Catalog):
            return NotImplemented
        return (self.regions, self.places, self.centers, self.hotlines) == (
            other.regions,
            other.places,
            other.centers,
            other.hotlines,
        )

    __hash__ = None  # type: ignore[assignment]

    def with_center(self, changed: Center) -> Catalog:
        """A new catalog with this center added or replaced, in id order."""
        centers = {c.id: c for c in self.centers}
        centers[changed.id] = changed
        ordered = tuple(centers[key] for key in sorted(centers))
        return Catalog(self.regions, self.places, ordered, self.hotlines)


class Directory(_Places[CenterHead]):
    """What the running bot keeps of the catalog: geography, hotlines and every center's
    head. Whole centers are read on demand (`bot.services.Services.full_centers`)."""

    __slots__ = ()

    @classmethod
    def of(cls, catalog: Catalog) -> Directory:
        """The directory of a full catalog (the CLI, the tests, after an admin's change)."""
        heads = tuple(head_of(center) for center in catalog.centers)
        return cls(catalog.regions, catalog.places, heads, catalog.hotlines)

    def with_center(self, changed: Center) -> Directory:
        """A new directory with this center added or replaced, in id order."""
        heads = dict(self._centers)
        heads[changed.id] = head_of(changed)
        ordered = tuple(heads[key] for key in sorted(heads))
        return Directory(self.regions, self.places, ordered, self.hotlines)

    def without(self, center_id: str) -> Directory:
        """A new directory without one center."""
        heads = tuple(c for c in self.centers if c.id != center_id)
        return Directory(self.regions, self.places, heads, self.hotlines)


class Geography(Protocol):
    """Regions and places, as a `Catalog` and a `Directory` both hold them."""

    @property
    def regions(self) -> tuple[Region, ...]: ...

    @property
    def places(self) -> tuple[Place, ...]: ...

    def region(self, region_id: str) -> Region | None: ...

    def place(self, place_id: str) -> Place | None: ...
