"""The catalog as plain, immutable data: what the data files hold and what matching reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from bot.core.durations import StayDuration


@dataclass(frozen=True)
class Localized:
    """A text in Kazakh and Russian; either may be empty when unknown."""

    kk: str = ""
    ru: str = ""

    def get(self, lang: str) -> str:
        """The text in `lang`, falling back to the other language rather than to nothing."""
        first, second = (self.kk, self.ru) if lang == "kk" else (self.ru, self.kk)
        return first or second

    def __bool__(self) -> bool:
        return bool(self.kk or self.ru)


@dataclass(frozen=True)
class Region:
    """A first-level unit: one of 17 regions or 3 cities of republican significance."""

    id: str
    kind: str
    name: Localized
    name_en: str
    aliases: tuple[str, ...]
    admin_center: str


@dataclass(frozen=True)
class Place:
    """A city, town or village; coordinates are approximate and may be unknown."""

    id: str
    region: str
    name: Localized
    name_en: str
    aliases: tuple[str, ...]
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True)
class Phone:
    """One published contact number of a center."""

    number: str
    kind: str = "voice"
    hours: str = ""
    languages: tuple[str, ...] = ()
    source: str = ""


@dataclass(frozen=True)
class Eligibility:
    """Who a center accepts; None means the sources say nothing."""

    mother_age_min: int | None = None
    mother_age_max: int | None = None
    child_age_min_months: int | None = None
    child_age_max_months: int | None = None
    accepts_pregnant: bool | None = None
    exclusions: tuple[str, ...] = ()
    requirements: tuple[str, ...] = ()


@dataclass(frozen=True)
class Stay:
    """How long a shelter lets a mother live there."""

    min: StayDuration | None = None
    max: StayDuration | None = None
    max_exceptional: StayDuration | None = None


@dataclass(frozen=True)
class Provenance:
    """Where the facts come from and when they were last checked."""

    source_urls: tuple[str, ...]
    verified_at: date
    verified_by: str
    confidence: str = "medium"
    notes: str = ""


@dataclass(frozen=True)
class Center:
    """An organisation a mother can turn to."""

    id: str
    name: Localized
    summary: Localized
    org_type: str
    status: str
    status_reason: Localized
    coverage: str
    place: str | None
    region: str | None
    needs: tuple[str, ...]
    shelter: bool | None
    stay: Stay
    eligibility: Eligibility
    phones: tuple[Phone, ...]
    website: str
    address: Localized
    address_public: bool
    lat: float | None
    lon: float | None
    provenance: Provenance

    @property
    def shown_address(self) -> Localized:
        """The address only where the center itself publishes it; shelters often hide theirs."""
        return self.address if self.address_public else Localized()


@dataclass(frozen=True)
class Hotline:
    """A national phone line."""

    id: str
    number: str
    emergency: bool
    name: Localized
    purpose: Localized
    hours: str
    free: bool | None
    channels: tuple[str, ...]
    needs: tuple[str, ...]
    provenance: Provenance


@dataclass(frozen=True)
class Catalog:
    """Everything the bot knows, loaded once and shared read-only between updates."""

    regions: tuple[Region, ...] = ()
    places: tuple[Place, ...] = ()
    centers: tuple[Center, ...] = ()
    hotlines: tuple[Hotline, ...] = ()
    _region_index: dict[str, Region] = field(default_factory=dict, compare=False, repr=False)
    _place_index: dict[str, Place] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._region_index.update({r.id: r for r in self.regions})
        self._place_index.update({p.id: p for p in self.places})

    def region(self, region_id: str) -> Region | None:
        """The region with this id, if any."""
        return self._region_index.get(region_id)

    def place(self, place_id: str) -> Place | None:
        """The place with this id, if any."""
        return self._place_index.get(place_id)

    def center(self, center_id: str) -> Center | None:
        """The center with this id, if any."""
        return next((c for c in self.centers if c.id == center_id), None)
