"""The catalog's data files (format: data/README.md): read, validate and write them.

Reading never stops at the first problem: every problem is collected with its file and entry,
so `catalog check` can list them all, and an import with any problem changes nothing.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

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
from bot.core.durations import StayDuration, parse_duration
from bot.core.geo import in_kazakhstan, normalize
from bot.core.limits import (
    MAX_ADDRESS_CHARS,
    MAX_HOURS_CHARS,
    MAX_NAME_CHARS,
    MAX_NOTES_CHARS,
    MAX_PHONES,
    MAX_SOURCE_URL_CHARS,
    MAX_SOURCES,
    MAX_STATUS_REASON_CHARS,
    MAX_STAY_HOURS,
    MAX_SUMMARY_CHARS,
    MAX_URL_CHARS,
    MIN_LONGEST_STAY_HOURS,
    MIN_STAY_HOURS,
)
from bot.core.model import (
    UNKNOWN_YEAR,
    Catalog,
    Center,
    Disputed,
    DisputedStay,
    Eligibility,
    Hotline,
    Limit,
    Localized,
    Phone,
    Place,
    Provenance,
    Region,
    SourceYear,
    Stay,
    source_is_old,
)
from bot.core.web import is_url

GEOGRAPHY_FILE = "geography.toml"
HOTLINES_FILE = "hotlines.toml"
CENTERS_DIR = "centers"
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
# Ids travel in button data ("region:<id>"), which Telegram caps at 64 bytes.
MAX_ID_LENGTH = 48
_PHONE = re.compile(r"^\+7\d{10}$")
_HOTLINE_NUMBER = re.compile(r"^\d{3,4}$|^\+7\d{10}$|^8800\d{7}$")
_AGE_RANGE = range(10, 100)
# Publication years of sources: the oldest a source about these centers could be.
FIRST_SOURCE_YEAR = 1990
# Free places a center reports: a shelter has tens of beds, never thousands.
MAX_FREE_PLACES = 999
T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a data file."""

    file: str
    entry: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.entry}: {self.message}"


class CatalogError(Exception):
    """The data files have problems; `problems` lists every one."""

    def __init__(self, problems: list[Problem]) -> None:
        summary = f"{len(problems)} problem(s) in the catalog files"
        super().__init__(summary)
        self.problems = problems


class _Entry:
    """Typed access to one TOML table that records what is wrong instead of raising."""

    def __init__(self, table: dict[str, Any], file: str, entry: str, out: list[Problem]) -> None:
        self.table, self.file, self.entry, self.out = table, file, entry, out
        self.used: set[str] = set()

    def problem(self, message: str) -> None:
        self.out.append(Problem(self.file, self.entry, message))

    def _get(self, key: str, kind: type[T] | tuple[type, ...], required: bool) -> Any:
        self.used.add(key)
        if key not in self.table:
            if required:
                self.problem(f"'{key}' is required")
            return None
        value = self.table[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        # bool is an int and datetime a date in Python; `true` is no age, a time no day.
        wrong_subtype = (isinstance(value, bool) and bool not in kinds) or (
            isinstance(value, datetime) and datetime not in kinds
        )
        if not isinstance(value, kinds) or wrong_subtype:
            self.problem(f"'{key}' has the wrong type ({type(value).__name__})")
            return None
        return value

    def text(self, key: str, required: bool = False) -> str:
        value = self._get(key, str, required)
        if required and value is not None and not value.strip():
            self.problem(f"'{key}' is empty")
        return (value or "").strip()

    def localized(self, key: str, required: bool = False) -> Localized:
        return Localized(kk=self.text(f"{key}_kk", required), ru=self.text(f"{key}_ru", required))

    def integer(self, key: str) -> int | None:
        value: int | None = self._get(key, int, False)
        return value

    def number(self, key: str) -> float | None:
        value = self._get(key, (int, float), False)
        return float(value) if value is not None else None

    def flag(self, key: str) -> bool | None:
        value: bool | None = self._get(key, bool, False)
        return value

    def day(self, key: str) -> date | None:
        value = self._get(key, date, True)
        if value is not None and value > date.today():
            self.problem(f"'{key}' is in the future")
        return value  # type: ignore[no-any-return]

    def disputed_sources(self, key: str) -> tuple[str, ...]:
        """The `sources` of the disputed value `key` (this entry is its table), each an
        http(s) URL; a key other than `values` and `sources` is a problem."""
        sources = self.strings("sources")
        for url in sources:
            if not is_url(url):
                self.problem(f"'{key}.sources' has {url!r}, which is not an http(s) URL")
        for other in sorted(set(self.table) - {"values", "sources"}):
            self.problem(f"unknown key '{key}.{other}'")
        return sources

    def strings(self, key: str) -> tuple[str, ...]:
        value = self._get(key, list, False) or []
        result: list[str] = []
        for item in value:
            if not isinstance(item, str) or not item.strip():
                self.problem(f"'{key}' must hold non-empty strings")
            else:
                result.append(item.strip())
        if len(set(result)) != len(result):
            self.problem(f"'{key}' lists a value twice")
        return tuple(result)

    def codes(self, key: str, kind: type[E]) -> tuple[E, ...]:
        known = {member.value: member for member in kind}
        result: list[E] = []
        for item in self.strings(key):
            if item in known:
                result.append(known[item])
            else:
                self.problem(f"'{key}' has unknown code {item!r} (known: {', '.join(known)})")
        return tuple(result)

    def code(self, key: str, kind: type[E], default: E | None = None) -> E:
        known = {member.value: member for member in kind}
        value = self.text(key, required=default is None)
        if not value:
            return default if default is not None else next(iter(kind))
        if value not in known:
            self.problem(f"'{key}' must be one of {', '.join(known)}, got {value!r}")
            return default if default is not None else next(iter(kind))
        return known[value]

    def limit(self, key: str) -> Limit:
        """A number, or `{ values = [30, 34], sources = [...] }` when sources disagree."""
        value = self._get(key, (int, dict), False)
        if not isinstance(value, dict):
            return value  # type: ignore[no-any-return]
        sub = _Entry(value, self.file, self.entry, self.out)
        numbers = sub._get("values", list, False) or []
        if not numbers or not all(isinstance(n, int) and not isinstance(n, bool) for n in numbers):
            self.problem(f"'{key}.values' must list one or more whole numbers")
            numbers = [n for n in numbers if isinstance(n, int) and not isinstance(n, bool)]
        sources = sub.disputed_sources(key)
        return Disputed(values=tuple(sorted(set(numbers))), sources=sources) if numbers else None

    def finish(self) -> None:
        for key in sorted(set(self.table) - self.used):
            self.problem(f"unknown key '{key}'")


def _check_point(entry: _Entry, lat: float | None, lon: float | None) -> None:
    if (lat is None) != (lon is None):
        entry.problem("'lat' and 'lon' come together")
    elif lat is not None and lon is not None and not in_kazakhstan(lat, lon):
        entry.problem(f"coordinates {lat}, {lon} are outside Kazakhstan")


def _provenance(entry: _Entry) -> Provenance:
    urls = entry.strings("source_urls")
    how = entry.code("verified_how", Checked, default=Checked.DESK)
    # Desk research stands on public sources; an entry an admin phoned or the center
    # confirmed stands on that check, recorded with its date and who did it.
    if not urls and how is Checked.DESK:
        entry.problem("'source_urls' needs at least one source")
    for url in urls:
        if not is_url(url):
            entry.problem(f"source {url!r} is not an http(s) URL")
    verified_at = entry.day("verified_at") or date.min
    return Provenance(
        source_urls=urls,
        newest_source=_source_year(entry),
        verified_at=verified_at,
        verified_by=entry.text("verified_by", required=True),
        verified_how=how,
        confidence=entry.code("confidence", Confidence, default=Confidence.MEDIUM),
        notes=entry.text("notes"),
    )


def _source_year(entry: _Entry) -> SourceYear:
    """`newest_source`: the year the newest source was published, or "unknown"."""
    value = entry._get("newest_source", (int, str), False)
    if value is None or value == UNKNOWN_YEAR:
        return value  # type: ignore[no-any-return]
    if not isinstance(value, int) or not FIRST_SOURCE_YEAR <= value <= date.today().year:
        entry.problem(
            f"'newest_source' must be a year from {FIRST_SOURCE_YEAR} to this year, "
            f'or "{UNKNOWN_YEAR}", got {value!r}'
        )
        return None
    return value


def _stay_max(entry: _Entry) -> tuple[StayDuration | None, DisputedStay | None]:
    """`stay_max`: one duration, or `{ values = ["P6M", "P2Y"], sources = [...] }` when the
    sources disagree."""
    value = entry.table.get("stay_max")
    if not isinstance(value, dict):
        return _duration(entry, "stay_max"), None
    entry.used.add("stay_max")
    sub = _Entry(value, entry.file, entry.entry, entry.out)
    raw = sub._get("values", list, False) or []
    values: list[StayDuration] = []
    for item in raw:
        try:
            values.append(parse_duration(item) if isinstance(item, str) else parse_duration(""))
        except ValueError as exc:
            entry.problem(f"'stay_max.values': {exc}")
    if len({v.iso for v in values}) < 2:
        entry.problem("'stay_max.values' must list two or more different durations")
    sources = sub.disputed_sources("stay_max")
    if not values:
        return None, None
    return None, DisputedStay(values=tuple(sorted(set(values))), sources=sources)


def warnings_of(catalog: Catalog, today: date | None = None) -> list[Problem]:
    """What is allowed but should be looked at: active entries known only from public
    sources that are old or undated (`catalog check` lists them and still passes)."""
    day = today or date.today()
    found: list[Problem] = []
    for center in catalog.centers:
        prov = center.provenance
        if center.status != Status.ACTIVE or prov.verified_how is not Checked.DESK:
            continue
        if source_is_old(prov.newest_source, day):
            newest = prov.newest_source
            said = f"is from {newest}" if isinstance(newest, int) else "has no known date"
            found.append(
                Problem(
                    f"{CENTERS_DIR}/{center.id}.toml",
                    f"center {center.id}",
                    f"the newest source {said}: confirm the center still works",
                )
            )
    return found


def _optional_day(entry: _Entry, key: str) -> date | None:
    if key not in entry.table:
        entry.used.add(key)
        return None
    return entry.day(key)


def _duration(entry: _Entry, key: str) -> StayDuration | None:
    raw = entry.text(key)
    if not raw:
        return None
    try:
        return parse_duration(raw)
    except ValueError as exc:
        entry.problem(f"'{key}': {exc}")
        return None


def _read_toml(path: Path, root: Path, problems: list[Problem]) -> dict[str, Any] | None:
    name = str(path.relative_to(root))
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        problems.append(Problem(name, "-", "file is missing"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        problems.append(Problem(name, "-", f"not valid TOML: {exc}"))
    return None


def _tables(doc: dict[str, Any], key: str, file: str, problems: list[Problem]) -> list[Any]:
    tables = doc.get(key, [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        problems.append(Problem(file, "-", f"'{key}' must be a list of [[{key}]] tables"))
        return []
    return tables


def _check_top_keys(
    doc: dict[str, Any], allowed: set[str], file: str, problems: list[Problem]
) -> None:
    for other in sorted(set(doc) - allowed):
        problems.append(Problem(file, "-", f"unknown top-level key '{other}'"))


def _read_geography(
    doc: dict[str, Any], problems: list[Problem]
) -> tuple[list[Region], list[Place]]:
    _check_top_keys(doc, {"region", "place"}, GEOGRAPHY_FILE, problems)
    regions: list[Region] = []
    places: list[Place] = []
    for i, table in enumerate(_tables(doc, "region", GEOGRAPHY_FILE, problems)):
        entry = _Entry(table, GEOGRAPHY_FILE, f"region {table.get('id', f'#{i + 1}')}", problems)
        region = Region(
            id=entry.text("id", required=True),
            kind=entry.code("kind", RegionKind),
            name=entry.localized("name", required=True),
            name_en=entry.text("name_en"),
            aliases=entry.strings("aliases"),
            admin_center=entry.text("admin_center", required=True),
        )
        entry.finish()
        regions.append(region)
    for i, table in enumerate(_tables(doc, "place", GEOGRAPHY_FILE, problems)):
        entry = _Entry(table, GEOGRAPHY_FILE, f"place {table.get('id', f'#{i + 1}')}", problems)
        place = Place(
            id=entry.text("id", required=True),
            region=entry.text("region", required=True),
            name=entry.localized("name", required=True),
            name_en=entry.text("name_en"),
            aliases=entry.strings("aliases"),
            lat=entry.number("lat"),
            lon=entry.number("lon"),
        )
        _check_point(entry, place.lat, place.lon)
        entry.finish()
        places.append(place)
    return regions, places


def _read_hotlines(doc: dict[str, Any], problems: list[Problem]) -> list[Hotline]:
    _check_top_keys(doc, {"hotline"}, HOTLINES_FILE, problems)
    hotlines: list[Hotline] = []
    for i, table in enumerate(_tables(doc, "hotline", HOTLINES_FILE, problems)):
        entry = _Entry(table, HOTLINES_FILE, f"hotline {table.get('id', f'#{i + 1}')}", problems)
        hotline = Hotline(
            id=entry.text("id", required=True),
            number=entry.text("number", required=True),
            emergency=bool(entry.flag("emergency")),
            name=entry.localized("name", required=True),
            purpose=entry.localized("purpose", required=True),
            hours=entry.text("hours"),
            free=entry.flag("free"),
            anonymous=entry.flag("anonymous"),
            channels=entry.codes("channels", Channel),
            needs=entry.codes("needs", Need),
            provenance=_provenance(entry),
        )
        if hotline.number and not _HOTLINE_NUMBER.match(hotline.number):
            entry.problem(f"number {hotline.number!r} is neither a short number nor +7XXXXXXXXXX")
        entry.finish()
        hotlines.append(hotline)
    return hotlines


def _read_phones(entry: _Entry) -> tuple[Phone, ...]:
    raw = entry._get("phones", list, False) or []
    phones: list[Phone] = []
    for j, table in enumerate(raw):
        if not isinstance(table, dict):
            entry.problem("'phones' must be [[phones]] tables")
            continue
        sub = _Entry(table, entry.file, f"{entry.entry} phone #{j + 1}", entry.out)
        phone = Phone(
            number=sub.text("number", required=True),
            kind=sub.code("kind", PhoneKind, default=PhoneKind.VOICE),
            hours=sub.text("hours"),
            languages=sub.codes("languages", Language),
            source=sub.text("source"),
        )
        problem = phone_problem(phone.number)
        if problem:
            sub.problem(problem)
        if phone.source and not is_url(phone.source):
            sub.problem(f"source {phone.source!r} is not an http(s) URL")
        if len(phone.source) > MAX_URL_CHARS:
            sub.problem(f"'source' is longer than {MAX_URL_CHARS} characters")
        if len(phone.hours) > MAX_HOURS_CHARS:
            sub.problem(f"'hours' is longer than {MAX_HOURS_CHARS} characters")
        sub.finish()
        phones.append(phone)
    return tuple(phones)


def phone_problem(number: str) -> str | None:
    """What is wrong with a phone number, or None when it is in +7XXXXXXXXXX form."""
    if _PHONE.match(number):
        return None
    return f"number {number!r} is not in international form +7XXXXXXXXXX"


def _limits(rules: Eligibility) -> dict[str, tuple[int, int] | None]:
    """Each limit as (lowest, highest) value, whether confirmed or disputed."""

    def span(value: Limit) -> tuple[int, int] | None:
        if value is None:
            return None
        if isinstance(value, Disputed):
            return value.low, value.high
        return value, value

    return {
        "mother_age_min": span(rules.mother_age_min),
        "mother_age_max": span(rules.mother_age_max),
        "child_age_min_months": span(rules.child_age_min_months),
        "child_age_max_months": span(rules.child_age_max_months),
    }


def _check_center(entry: _Entry, center: Center) -> None:
    limits = _limits(center.eligibility)
    for key in ("mother_age_min", "mother_age_max"):
        span = limits[key]
        wrong = [v for v in span or () if v not in _AGE_RANGE]
        if wrong:
            entry.problem(f"'{key}' = {wrong[0]} is not a plausible age")
    low, high = limits["mother_age_min"], limits["mother_age_max"]
    if low is not None and high is not None and low[0] > high[1]:
        entry.problem("'mother_age_min' is greater than 'mother_age_max'")
    for key in ("child_age_min_months", "child_age_max_months"):
        span = limits[key]
        if span is not None and not (span[0] >= 0 and span[1] <= 18 * 12):
            entry.problem(f"'{key}' = {span[1]} is not between 0 and 216 months")
    low, high = limits["child_age_min_months"], limits["child_age_max_months"]
    if low is not None and high is not None and low[0] > high[1]:
        entry.problem("'child_age_min_months' is greater than 'child_age_max_months'")
    stay = center.stay
    shortest = stay.max_disputed.low if stay.max_disputed else stay.max
    if stay.min and shortest and stay.min > shortest:
        entry.problem("'stay_min' is longer than 'stay_max'")
    if stay.max_exceptional and (not stay.longest or stay.max_exceptional <= stay.longest):
        entry.problem("'stay_max_exceptional' needs a shorter 'stay_max'")
    if center.shelter is False and (stay.longest or Need.SHELTER in center.needs):
        entry.problem("a center without shelter has no 'shelter' need and no stay limits")
    if not center.needs:
        entry.problem("'needs' lists nothing the center offers")
    _check_sizes(entry, center)
    if (center.free_places is None) != (center.free_places_at is None):
        entry.problem("'free_places' and 'free_places_at' come together")
    if center.free_places is not None and not 0 <= center.free_places <= MAX_FREE_PLACES:
        entry.problem(f"'free_places' must be between 0 and {MAX_FREE_PLACES}")
    if center.status != Status.ACTIVE and not center.status_reason:
        entry.problem("a center that is not active needs 'status_reason_kk'/'status_reason_ru'")
    if center.coverage == Coverage.CITY and not center.place:
        entry.problem("coverage 'city' needs a 'place'")
    if center.coverage != Coverage.NATIONAL and not center.region:
        entry.problem(f"coverage '{center.coverage}' needs a 'region'")
    if center.website and not is_url(center.website):
        entry.problem(f"website {center.website!r} is not an http(s) URL")
    if center.lat is not None and not center.address_public:
        entry.problem("coordinates of a building are given only when its address is public")
    if center.address_public and not center.address:
        entry.problem("'address_public' is true but there is no address")
    if any(not phone.source for phone in center.phones) and (
        center.provenance.verified_how is Checked.DESK
    ):
        entry.problem("a phone without a 'source' needs 'verified_how' = 'phoned' or 'center'")
    _check_point(entry, center.lat, center.lon)


def _check_sizes(entry: _Entry, center: Center) -> None:
    """Every field within what a card (one Telegram message with others) can show."""
    for field, limit in (
        ("name", MAX_NAME_CHARS),
        ("summary", MAX_SUMMARY_CHARS),
        ("status_reason", MAX_STATUS_REASON_CHARS),
        ("address", MAX_ADDRESS_CHARS),
    ):
        for lang in ("kk", "ru"):
            if len(getattr(center, field).get(lang)) > limit:
                entry.problem(f"'{field}_{lang}' is longer than {limit} characters")
    for key, text, limit in (
        ("hours", center.hours, MAX_HOURS_CHARS),
        ("website", center.website, MAX_URL_CHARS),
        ("notes", center.provenance.notes, MAX_NOTES_CHARS),
    ):
        if len(text) > limit:
            entry.problem(f"'{key}' is longer than {limit} characters")
    if len(center.phones) > MAX_PHONES:
        entry.problem(f"'phones' lists more than {MAX_PHONES} numbers")
    urls = center.provenance.source_urls
    if len(urls) > MAX_SOURCES:
        entry.problem(f"'source_urls' lists more than {MAX_SOURCES} pages")
    if any(len(url) > MAX_SOURCE_URL_CHARS for url in urls):
        entry.problem(f"a source URL is longer than {MAX_SOURCE_URL_CHARS} characters")
    stay = center.stay
    disputed = stay.max_disputed.values if stay.max_disputed else ()
    for key, value, low in (
        ("stay_min", stay.min, MIN_STAY_HOURS),
        ("stay_max", stay.max, MIN_LONGEST_STAY_HOURS),
        *(("stay_max", value, MIN_LONGEST_STAY_HOURS) for value in disputed),
        ("stay_max_exceptional", stay.max_exceptional, MIN_LONGEST_STAY_HOURS),
    ):
        if value is not None and not low <= value.hours <= MAX_STAY_HOURS:
            shortest = "1 hour" if low == MIN_STAY_HOURS else "1 day"
            entry.problem(f"'{key}' must be between {shortest} and 3 years")


def _stay(entry: _Entry) -> Stay:
    longest, disputed = _stay_max(entry)
    return Stay(
        min=_duration(entry, "stay_min"),
        max=longest,
        max_disputed=disputed,
        max_exceptional=_duration(entry, "stay_max_exceptional"),
    )


def read_center_table(doc: dict[str, Any], name: str, problems: list[Problem]) -> Center:
    """One center from its data file's table, every problem recorded."""
    entry = _Entry(doc, name, f"center {doc.get('id', '?')}", problems)
    center = Center(
        id=entry.text("id", required=True),
        name=entry.localized("name", required=True),
        summary=entry.localized("summary", required=True),
        org_type=entry.code("org_type", OrgType),
        status=entry.code("status", Status, default=Status.ACTIVE),
        status_reason=entry.localized("status_reason"),
        coverage=entry.code("coverage", Coverage),
        place=entry.text("place") or None,
        region=entry.text("region") or None,
        needs=entry.codes("needs", Need),
        shelter=entry.flag("shelter"),
        stay=_stay(entry),
        eligibility=Eligibility(
            mother_age_min=entry.limit("mother_age_min"),
            mother_age_max=entry.limit("mother_age_max"),
            child_age_min_months=entry.limit("child_age_min_months"),
            child_age_max_months=entry.limit("child_age_max_months"),
            accepts_pregnant=entry.flag("accepts_pregnant"),
            exclusions=entry.codes("exclusions", Exclusion),
            requirements=entry.codes("requirements", Requirement),
        ),
        phones=_read_phones(entry),
        hours=entry.text("hours"),
        free_places=entry.integer("free_places"),
        free_places_at=_optional_day(entry, "free_places_at"),
        website=entry.text("website"),
        address=entry.localized("address"),
        address_public=bool(entry.flag("address_public")),
        lat=entry.number("lat"),
        lon=entry.number("lon"),
        provenance=_provenance(entry),
    )
    _check_center(entry, center)
    entry.finish()
    return center


def _check_references(catalog: Catalog, problems: list[Problem]) -> None:
    """Ids unique, references resolvable, every spelling pointing at one place only."""

    def unique(kind: str, file: Callable[[str], str], ids: list[str]) -> None:
        seen: set[str] = set()
        for item_id in ids:
            if not _ID.match(item_id) or len(item_id) > MAX_ID_LENGTH:
                message = f"id must be [a-z0-9-], at most {MAX_ID_LENGTH} characters"
                problems.append(Problem(file(item_id), f"{kind} {item_id}", message))
            if item_id in seen:
                problems.append(Problem(file(item_id), f"{kind} {item_id}", "id is used twice"))
            seen.add(item_id)

    unique("region", lambda _: GEOGRAPHY_FILE, [r.id for r in catalog.regions])
    unique("place", lambda _: GEOGRAPHY_FILE, [p.id for p in catalog.places])
    unique("hotline", lambda _: HOTLINES_FILE, [h.id for h in catalog.hotlines])
    unique("center", lambda i: f"{CENTERS_DIR}/{i}.toml", [c.id for c in catalog.centers])
    for region in catalog.regions:
        if catalog.place(region.admin_center) is None:
            problems.append(
                Problem(
                    GEOGRAPHY_FILE,
                    f"region {region.id}",
                    f"unknown admin_center {region.admin_center!r}",
                )
            )
    for place in catalog.places:
        if catalog.region(place.region) is None:
            problems.append(
                Problem(GEOGRAPHY_FILE, f"place {place.id}", f"unknown region {place.region!r}")
            )
    for center in catalog.centers:
        file, entry = f"{CENTERS_DIR}/{center.id}.toml", f"center {center.id}"
        center_place = catalog.place(center.place) if center.place else None
        if center.place and center_place is None:
            problems.append(Problem(file, entry, f"unknown place {center.place!r}"))
        if center.region and catalog.region(center.region) is None:
            problems.append(Problem(file, entry, f"unknown region {center.region!r}"))
        if center_place is not None and center.region and center_place.region != center.region:
            problems.append(
                Problem(file, entry, f"place {center.place!r} is not in region {center.region!r}")
            )

    # A spelling must lead to one answer. A city of republican significance is a region and
    # its own admin center, so both of them may carry the city's names.
    first_target: dict[str, str] = {}
    entries = [
        (f"region {r.id}", f"place {r.admin_center}" if r.kind == "city" else f"region {r.id}",
         (r.name.kk, r.name.ru, r.name_en, *r.aliases))
        for r in catalog.regions
    ] + [
        (f"place {p.id}", f"place {p.id}", (p.name.kk, p.name.ru, p.name_en, *p.aliases))
        for p in catalog.places
    ]  # fmt: skip
    for entry, target, names in entries:
        for key in sorted(_spellings(*names)):
            known = first_target.setdefault(key, target)
            if known != target:
                problems.append(
                    Problem(GEOGRAPHY_FILE, entry, f"spelling {key!r} also names {known}")
                )


def _spellings(*names: str) -> set[str]:
    return {normalize(name) for name in names} - {""}


def read_catalog(root: Path) -> tuple[Catalog, list[Problem]]:
    """Read every data file under `root`; the catalog is usable only when problems is empty."""
    problems: list[Problem] = []
    regions: list[Region] = []
    places: list[Place] = []
    hotlines: list[Hotline] = []
    centers: list[Center] = []
    if not root.is_dir():
        return Catalog(), [Problem(str(root), "-", "not a directory")]
    geography = _read_toml(root / GEOGRAPHY_FILE, root, problems)
    if geography is not None:
        regions, places = _read_geography(geography, problems)
    hotline_doc = _read_toml(root / HOTLINES_FILE, root, problems)
    if hotline_doc is not None:
        hotlines = _read_hotlines(hotline_doc, problems)
    # Sorted by id, as the database returns them, so that file and database catalogs compare.
    center_files = sorted((root / CENTERS_DIR).glob("*.toml"), key=lambda p: p.stem)
    if not center_files:
        problems.append(Problem(CENTERS_DIR, "-", "no center files"))
    for path in center_files:
        doc = _read_toml(path, root, problems)
        if doc is None:
            continue
        center = read_center_table(doc, f"{CENTERS_DIR}/{path.name}", problems)
        if center.id and center.id != path.stem:
            problems.append(
                Problem(
                    f"{CENTERS_DIR}/{path.name}",
                    f"center {center.id}",
                    "id differs from the file name",
                )
            )
        centers.append(center)
    catalog = Catalog(tuple(regions), tuple(places), tuple(centers), tuple(hotlines))
    _check_references(catalog, problems)
    return catalog, problems


def load_catalog(root: Path) -> Catalog:
    """Read the data files, or raise `CatalogError` listing every problem."""
    catalog, problems = read_catalog(root)
    if problems:
        raise CatalogError(problems)
    return catalog
