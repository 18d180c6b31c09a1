"""A synthetic catalog of any size: the real entries copied to random places.

Each copy gets its own id, a place drawn at random from the real geography, and a name
with its number (so no two copies share all their text). Seeded: the same size gives the
same catalog on every run.
"""

from __future__ import annotations

import random

import msgspec

from bot.catalog.files import load_catalog
from bot.core.codes import Coverage
from bot.core.model import Catalog, Localized
from bot.services import DATA_DIR


def synthetic_catalog(size: int, seed: int = 7) -> Catalog:
    """`size` centers: the real ones first, then numbered copies in random places."""
    real = load_catalog(DATA_DIR)
    rng = random.Random(seed)
    places = [p for p in real.places if p.lat is not None]
    local = [c for c in real.centers if c.coverage != Coverage.NATIONAL]
    centers = list(real.centers[:size])
    for number in range(len(centers), size):
        model = rng.choice(local)
        place = rng.choice(places)
        name = Localized(kk=f"{model.name.kk} №{number}", ru=f"{model.name.ru} №{number}")
        centers.append(
            msgspec.structs.replace(
                model, id=f"synthetic-{number:06d}", name=name, coverage=Coverage.CITY,
                place=place.id, region=place.region, lat=None, lon=None,
                address_public=False,
            )
        )  # fmt: skip
    centers.sort(key=lambda c: c.id)
    return Catalog(real.regions, real.places, tuple(centers), real.hotlines)
