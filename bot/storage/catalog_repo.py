"""The catalog in SQLite: replace it whole (one transaction) and load it whole.

The catalog is small (dozens of centers), so the bot loads it once into memory and matches
there; the database is its durable copy, changed only by imports.
"""

from __future__ import annotations

import json
import time
from datetime import date
from typing import Any

import aiosqlite

from bot.core.durations import StayDuration, parse_duration
from bot.core.model import (
    Catalog,
    Center,
    Eligibility,
    Hotline,
    Localized,
    Phone,
    Place,
    Provenance,
    Region,
    Stay,
)
from bot.storage.db import Database

_CATALOG_TABLES = ("center_phones", "center_needs", "centers", "hotlines", "places", "regions")


def _bool(value: bool | None) -> int | None:
    return None if value is None else int(value)


def _iso(value: StayDuration | None) -> str | None:
    return value.iso if value else None


async def _insert_center(conn: aiosqlite.Connection, center: Center) -> None:
    rules, stay, prov = center.eligibility, center.stay, center.provenance
    await conn.execute(
        "INSERT INTO centers (id, name_kk, name_ru, summary_kk, summary_ru, org_type, status,"
        " status_reason_kk, status_reason_ru, coverage, place_id, region_id, shelter, stay_min,"
        " stay_max, stay_max_exceptional, mother_age_min, mother_age_max, child_age_min_months,"
        " child_age_max_months, accepts_pregnant, exclusions, requirements, website, address_kk,"
        " address_ru, address_public, lat, lon, confidence, source_urls, verified_at,"
        " verified_by, notes)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
        " ?, ?, ?, ?, ?, ?, ?)",
        (
            center.id, center.name.kk, center.name.ru, center.summary.kk, center.summary.ru,
            center.org_type, center.status, center.status_reason.kk, center.status_reason.ru,
            center.coverage, center.place, center.region, _bool(center.shelter),
            _iso(stay.min), _iso(stay.max), _iso(stay.max_exceptional),
            rules.mother_age_min, rules.mother_age_max, rules.child_age_min_months,
            rules.child_age_max_months, _bool(rules.accepts_pregnant),
            json.dumps(rules.exclusions), json.dumps(rules.requirements), center.website,
            center.address.kk, center.address.ru, int(center.address_public), center.lat,
            center.lon, prov.confidence, json.dumps(prov.source_urls),
            prov.verified_at.isoformat(), prov.verified_by, prov.notes,
        ),
    )  # fmt: skip
    await conn.executemany(
        "INSERT INTO center_needs (center_id, position, need) VALUES (?, ?, ?)",
        [(center.id, i, need) for i, need in enumerate(center.needs)],
    )
    await conn.executemany(
        "INSERT INTO center_phones (center_id, position, number, kind, hours, languages, source)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (center.id, i, p.number, p.kind, p.hours, json.dumps(p.languages), p.source)
            for i, p in enumerate(center.phones)
        ],
    )


async def replace_catalog(db: Database, catalog: Catalog) -> None:
    """Swap the stored catalog for `catalog` atomically: on any error nothing changes."""
    async with db.transaction() as conn:
        await conn.execute(
            "UPDATE catalog_meta SET revision = revision + 1, changed_at = ? WHERE id = 1",
            (time.time(),),
        )
        for table in _CATALOG_TABLES:
            await conn.execute(f"DELETE FROM {table}")
        await conn.executemany(
            "INSERT INTO regions (id, position, kind, name_kk, name_ru, name_en, aliases,"
            " admin_center) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (r.id, i, r.kind, r.name.kk, r.name.ru, r.name_en, json.dumps(r.aliases),
                 r.admin_center)
                for i, r in enumerate(catalog.regions)
            ],
        )  # fmt: skip
        await conn.executemany(
            "INSERT INTO places (id, position, region_id, name_kk, name_ru, name_en, aliases,"
            " lat, lon) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (p.id, i, p.region, p.name.kk, p.name.ru, p.name_en, json.dumps(p.aliases),
                 p.lat, p.lon)
                for i, p in enumerate(catalog.places)
            ],
        )  # fmt: skip
        for center in catalog.centers:
            await _insert_center(conn, center)
        await conn.executemany(
            "INSERT INTO hotlines (id, position, number, emergency, name_kk, name_ru, purpose_kk,"
            " purpose_ru, hours, free, channels, needs, confidence, source_urls, verified_at,"
            " verified_by, notes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (h.id, i, h.number, int(h.emergency), h.name.kk, h.name.ru, h.purpose.kk,
                 h.purpose.ru, h.hours, _bool(h.free), json.dumps(h.channels),
                 json.dumps(h.needs), h.provenance.confidence,
                 json.dumps(h.provenance.source_urls), h.provenance.verified_at.isoformat(),
                 h.provenance.verified_by, h.provenance.notes)
                for i, h in enumerate(catalog.hotlines)
            ],
        )  # fmt: skip


async def catalog_revision(db: Database) -> int:
    """How many times the catalog has been replaced; changes when anyone imports."""
    async with db.conn.execute("SELECT revision FROM catalog_meta WHERE id = 1") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def catalog_is_empty(db: Database) -> bool:
    """True for a new database that has not been seeded yet."""
    async with db.conn.execute("SELECT COUNT(*) FROM regions") as cursor:
        row = await cursor.fetchone()
    return row is None or row[0] == 0


async def _rows(db: Database, sql: str) -> list[aiosqlite.Row]:
    async with db.conn.execute(sql) as cursor:
        return list(await cursor.fetchall())


def _opt_bool(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _duration(value: str | None) -> StayDuration | None:
    return parse_duration(value) if value else None


def _provenance(row: aiosqlite.Row) -> Provenance:
    return Provenance(
        source_urls=tuple(json.loads(row["source_urls"])),
        verified_at=date.fromisoformat(row["verified_at"]),
        verified_by=row["verified_by"],
        confidence=row["confidence"],
        notes=row["notes"],
    )


async def load_catalog(db: Database) -> Catalog:
    """The stored catalog, in the order it was imported."""
    regions = tuple(
        Region(r["id"], r["kind"], Localized(r["name_kk"], r["name_ru"]), r["name_en"],
               tuple(json.loads(r["aliases"])), r["admin_center"])
        for r in await _rows(
            db, "SELECT id, kind, name_kk, name_ru, name_en, aliases, admin_center"
                " FROM regions ORDER BY position")
    )  # fmt: skip
    places = tuple(
        Place(p["id"], p["region_id"], Localized(p["name_kk"], p["name_ru"]), p["name_en"],
              tuple(json.loads(p["aliases"])), p["lat"], p["lon"])
        for p in await _rows(
            db, "SELECT id, region_id, name_kk, name_ru, name_en, aliases, lat, lon"
                " FROM places ORDER BY position")
    )  # fmt: skip
    needs: dict[str, list[str]] = {}
    for row in await _rows(db, "SELECT center_id, need FROM center_needs ORDER BY position"):
        needs.setdefault(row["center_id"], []).append(row["need"])
    phones: dict[str, list[Phone]] = {}
    for row in await _rows(
        db, "SELECT center_id, number, kind, hours, languages, source FROM center_phones"
            " ORDER BY position"
    ):  # fmt: skip
        phones.setdefault(row["center_id"], []).append(
            Phone(row["number"], row["kind"], row["hours"], tuple(json.loads(row["languages"])),
                  row["source"])
        )  # fmt: skip
    centers = []
    for c in await _rows(
        db, "SELECT id, name_kk, name_ru, summary_kk, summary_ru, org_type, status,"
            " status_reason_kk, status_reason_ru, coverage, place_id, region_id, shelter,"
            " stay_min, stay_max, stay_max_exceptional, mother_age_min, mother_age_max,"
            " child_age_min_months, child_age_max_months, accepts_pregnant, exclusions,"
            " requirements, website, address_kk, address_ru, address_public, lat, lon,"
            " confidence, source_urls, verified_at, verified_by, notes FROM centers ORDER BY id"
    ):  # fmt: skip
        centers.append(
            Center(
                id=c["id"],
                name=Localized(c["name_kk"], c["name_ru"]),
                summary=Localized(c["summary_kk"], c["summary_ru"]),
                org_type=c["org_type"],
                status=c["status"],
                status_reason=Localized(c["status_reason_kk"], c["status_reason_ru"]),
                coverage=c["coverage"],
                place=c["place_id"],
                region=c["region_id"],
                needs=tuple(needs.get(c["id"], [])),
                shelter=_opt_bool(c["shelter"]),
                stay=Stay(_duration(c["stay_min"]), _duration(c["stay_max"]),
                          _duration(c["stay_max_exceptional"])),
                eligibility=Eligibility(
                    c["mother_age_min"], c["mother_age_max"], c["child_age_min_months"],
                    c["child_age_max_months"], _opt_bool(c["accepts_pregnant"]),
                    tuple(json.loads(c["exclusions"])), tuple(json.loads(c["requirements"])),
                ),
                phones=tuple(phones.get(c["id"], [])),
                website=c["website"],
                address=Localized(c["address_kk"], c["address_ru"]),
                address_public=bool(c["address_public"]),
                lat=c["lat"],
                lon=c["lon"],
                provenance=_provenance(c),
            )
        )  # fmt: skip
    hotlines = tuple(
        Hotline(
            id=h["id"], number=h["number"], emergency=bool(h["emergency"]),
            name=Localized(h["name_kk"], h["name_ru"]),
            purpose=Localized(h["purpose_kk"], h["purpose_ru"]), hours=h["hours"],
            free=_opt_bool(h["free"]), channels=tuple(json.loads(h["channels"])),
            needs=tuple(json.loads(h["needs"])), provenance=_provenance(h),
        )
        for h in await _rows(
            db, "SELECT id, number, emergency, name_kk, name_ru, purpose_kk, purpose_ru, hours,"
                " free, channels, needs, confidence, source_urls, verified_at, verified_by, notes"
                " FROM hotlines ORDER BY position")
    )  # fmt: skip
    return Catalog(regions, places, tuple(centers), hotlines)
