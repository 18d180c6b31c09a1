"""Writing the catalog as data files: one canonical layout, so export → import changes nothing.

Only what is known is written: empty text, empty lists and None stay out of the files,
exactly as a person would leave them out.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

from bot.catalog import layout
from bot.catalog.files import CENTERS_DIR, GEOGRAPHY_FILE, HOTLINES_FILE
from bot.core.codes import Checked, Confidence
from bot.core.model import Catalog, Center, Disputed, Limit, Localized, Provenance


def _put(table: dict[str, Any], key: str, value: Any) -> None:
    """Write only what is known: empty text, empty lists and None stay out of the file."""
    if value is None or value == "" or value == () or value == []:
        return
    if isinstance(value, tuple):
        value = [str(v) if isinstance(v, StrEnum) else v for v in value]
    elif isinstance(value, StrEnum):
        value = str(value)
    table[key] = value


def _put_limit(table: dict[str, Any], key: str, value: Limit) -> None:
    if isinstance(value, Disputed):
        limit: dict[str, Any] = {"values": list(value.values)}
        _put(limit, "sources", value.sources)
        table[key] = limit
    else:
        _put(table, key, value)


def _put_localized(table: dict[str, Any], key: str, value: Localized) -> None:
    _put(table, f"{key}_kk", value.kk)
    _put(table, f"{key}_ru", value.ru)


def _put_provenance(table: dict[str, Any], provenance: Provenance) -> None:
    _put(table, "confidence", provenance.confidence)
    _put(table, "source_urls", provenance.source_urls)
    _put(table, "newest_source", provenance.newest_source)
    _put(table, "verified_at", provenance.verified_at)
    _put(table, "verified_by", provenance.verified_by)
    if provenance.verified_how != Checked.DESK:
        _put(table, "verified_how", provenance.verified_how)
    _put(table, "notes", provenance.notes)


def center_to_table(center: Center) -> dict[str, Any]:
    """One center as its data file's table."""
    table: dict[str, Any] = {}
    _put(table, "id", center.id)
    _put_localized(table, "name", center.name)
    _put_localized(table, "summary", center.summary)
    _put(table, "org_type", center.org_type)
    _put(table, "status", center.status)
    _put_localized(table, "status_reason", center.status_reason)
    _put(table, "coverage", center.coverage)
    _put(table, "place", center.place)
    _put(table, "region", center.region)
    _put(table, "needs", center.needs)
    _put(table, "shelter", center.shelter)
    stay = center.stay
    _put(table, "stay_min", stay.min.iso if stay.min else None)
    if stay.max_disputed is not None:
        disputed: dict[str, Any] = {"values": [v.iso for v in stay.max_disputed.values]}
        _put(disputed, "sources", stay.max_disputed.sources)
        table["stay_max"] = disputed
    else:
        _put(table, "stay_max", stay.max.iso if stay.max else None)
    _put(table, "stay_max_exceptional", stay.max_exceptional.iso if stay.max_exceptional else None)
    rules = center.eligibility
    _put_limit(table, "mother_age_min", rules.mother_age_min)
    _put_limit(table, "mother_age_max", rules.mother_age_max)
    _put_limit(table, "child_age_min_months", rules.child_age_min_months)
    _put_limit(table, "child_age_max_months", rules.child_age_max_months)
    _put(table, "accepts_pregnant", rules.accepts_pregnant)
    _put(table, "exclusions", rules.exclusions)
    _put(table, "requirements", rules.requirements)
    _put(table, "hours", center.hours)
    _put(table, "free_places", center.free_places)
    _put(table, "free_places_at", center.free_places_at)
    _put(table, "website", center.website)
    _put_localized(table, "address", center.address)
    if center.address_public:
        table["address_public"] = True
    _put(table, "lat", center.lat)
    _put(table, "lon", center.lon)
    _put_provenance(table, center.provenance)
    phones = []
    for phone in center.phones:
        row: dict[str, Any] = {}
        _put(row, "number", phone.number)
        _put(row, "kind", phone.kind)
        _put(row, "hours", phone.hours)
        _put(row, "languages", phone.languages)
        _put(row, "source", phone.source)
        phones.append(row)
    _put(table, "phones", phones)
    return table


def _geography_doc(catalog: Catalog) -> dict[str, Any]:
    regions, places = [], []
    for region in catalog.regions:
        table: dict[str, Any] = {}
        _put(table, "id", region.id)
        _put(table, "kind", region.kind)
        _put_localized(table, "name", region.name)
        _put(table, "name_en", region.name_en)
        _put(table, "aliases", region.aliases)
        _put(table, "admin_center", region.admin_center)
        regions.append(table)
    for place in catalog.places:
        table = {}
        _put(table, "id", place.id)
        _put(table, "region", place.region)
        _put_localized(table, "name", place.name)
        _put(table, "name_en", place.name_en)
        _put(table, "aliases", place.aliases)
        _put(table, "lat", place.lat)
        _put(table, "lon", place.lon)
        places.append(table)
    return {"region": regions, "place": places}


def _hotlines_doc(catalog: Catalog) -> dict[str, Any]:
    rows = []
    for hotline in catalog.hotlines:
        table: dict[str, Any] = {}
        _put(table, "id", hotline.id)
        _put(table, "number", hotline.number)
        table["emergency"] = hotline.emergency
        _put_localized(table, "name", hotline.name)
        _put_localized(table, "purpose", hotline.purpose)
        _put(table, "hours", hotline.hours)
        _put(table, "free", hotline.free)
        _put(table, "anonymous", hotline.anonymous)
        _put(table, "channels", hotline.channels)
        _put(table, "needs", hotline.needs)
        _put_provenance(table, hotline.provenance)
        if hotline.provenance.confidence == Confidence.MEDIUM:
            # hotlines.toml states a line's confidence only when it is not the usual one.
            del table["confidence"]
        rows.append(table)
    return {"hotline": rows}


def _write(path: Path, doc: dict[str, Any]) -> None:
    """Write a data file in the layout of `data/`, keeping the comments of the file there."""
    existing = path.read_text(encoding="utf-8") if path.is_file() else None
    text = layout.dump(doc, existing)
    if text != existing:
        path.write_text(text, encoding="utf-8")


def write_catalog(catalog: Catalog, root: Path) -> None:
    """Write the catalog as data files under `root`; stale center files are removed."""
    centers_dir = root / CENTERS_DIR
    centers_dir.mkdir(parents=True, exist_ok=True)
    _write(root / GEOGRAPHY_FILE, _geography_doc(catalog))
    _write(root / HOTLINES_FILE, _hotlines_doc(catalog))
    keep = {f"{c.id}.toml" for c in catalog.centers}
    for stale in centers_dir.glob("*.toml"):
        if stale.name not in keep:
            stale.unlink()
    for center in catalog.centers:
        _write(centers_dir / f"{center.id}.toml", center_to_table(center))
