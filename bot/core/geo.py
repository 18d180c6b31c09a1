"""Places: spelling-tolerant lookup of what a mother types, and distances between places."""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass

from bot.core.codes import RegionKind
from bot.core.model import Geography

# Kazakh letters folded to the Russian ones people type on a Russian keyboard, so that
# "Қарағанды", "Карагaнды" and "Караганды" meet; casefold() alone does not do this.
_FOLD = str.maketrans(
    {
        "ә": "а", "ғ": "г", "қ": "к", "ң": "н", "ө": "о", "ұ": "у", "ү": "у", "һ": "х",
        "і": "и", "ё": "е", "й": "и", "ъ": "", "ь": "",
    }
)  # fmt: skip
# Words that only say "city": dropped, so "г. Алматы" and "Алматы қаласы" find Almaty.
_CITY_WORDS = {
    w.translate(_FOLD) for w in ("г", "гор", "город", "городе", "қаласы", "қ", "city", "qalasy")
}
# Words that say "region": kept as one token, so "Алматы облысы" is not the city of Almaty.
_REGION_WORDS = {
    w.translate(_FOLD)
    for w in ("обл", "область", "области", "облысы", "облыс", "region", "oblast", "oblysy")
}
_NON_WORD = re.compile(r"[^\w]+")
FUZZY_CUTOFF = 0.8
EARTH_RADIUS_KM = 6371.0


def normalize(text: str) -> str:
    """Fold case, Kazakh letters, punctuation and 'city'/'region' words into one key."""
    words = _NON_WORD.sub(" ", text.casefold().translate(_FOLD)).split()
    kept = ["обл" if w in _REGION_WORDS else w for w in words if w not in _CITY_WORDS]
    return " ".join(kept)


@dataclass(frozen=True)
class Location:
    """Where a mother is: a place or just a region, and a point to measure distances from."""

    region: str
    place: str | None
    lat: float | None
    lon: float | None


# Kazakhstan's bounding box, with a small margin.
LAT_RANGE = (40.5, 55.5)
LON_RANGE = (46.4, 87.4)


def in_kazakhstan(lat: float, lon: float) -> bool:
    """True for a point inside Kazakhstan's bounding box (a typo or abroad otherwise)."""
    return LAT_RANGE[0] <= lat <= LAT_RANGE[1] and LON_RANGE[0] <= lon <= LON_RANGE[1]


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance; city coordinates are approximate, so this is too."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


class Gazetteer:
    """Every spelling of every place and region, built once per catalog."""

    def __init__(self, catalog: Geography) -> None:
        self._catalog = catalog
        self._keys: dict[str, Location] = {}
        for region in catalog.regions:
            for name in (region.name.kk, region.name.ru, region.name_en, *region.aliases):
                self._add(name, self.region_location(region.id))
        # Places after regions: a city of republican significance is both, and the place
        # (with its own coordinates) is the better answer.
        for place in catalog.places:
            for name in (place.name.kk, place.name.ru, place.name_en, *place.aliases):
                self._add(name, self.place_location(place.id))

    def _add(self, name: str, location: Location) -> None:
        key = normalize(name)
        if key:
            self._keys[key] = location

    def place_location(self, place_id: str) -> Location:
        """A place, with its region's admin center as the point when its own is unknown."""
        place = self._catalog.place(place_id)
        if place is None:
            raise KeyError(place_id)
        lat, lon = place.lat, place.lon
        if lat is None or lon is None:
            region_point = self.region_location(place.region)
            lat, lon = region_point.lat, region_point.lon
        return Location(region=place.region, place=place.id, lat=lat, lon=lon)

    def region_location(self, region_id: str) -> Location:
        """A region; its point is the admin center, and for a city region the city itself."""
        region = self._catalog.region(region_id)
        if region is None:
            raise KeyError(region_id)
        center = self._catalog.place(region.admin_center)
        lat = center.lat if center else None
        lon = center.lon if center else None
        place = region.admin_center if region.kind == RegionKind.CITY and center else None
        return Location(region=region.id, place=place, lat=lat, lon=lon)

    def resolve(self, text: str) -> Location | None:
        """The place or region meant by `text`, tolerating other spellings and small typos."""
        key = normalize(text)
        if not key:
            return None
        if key in self._keys:
            return self._keys[key]
        close = difflib.get_close_matches(key, self._keys.keys(), n=2, cutoff=FUZZY_CUTOFF)
        if not close:
            return None
        if len(close) == 2 and self._keys[close[0]] != self._keys[close[1]]:
            # Two different places are equally plausible: better to ask again than to guess.
            ratio = difflib.SequenceMatcher(None, key, close[0]).ratio()
            if difflib.SequenceMatcher(None, key, close[1]).ratio() == ratio:
                return None
        return self._keys[close[0]]

    def nearest(self, lat: float, lon: float) -> Location | None:
        """The catalog place closest to a shared location in Kazakhstan; None elsewhere.

        A point outside the country (or not a point at all: NaN, 91°) is no answer: she is
        asked for her city instead of being sent to the nearest border town.
        """
        if not (math.isfinite(lat) and math.isfinite(lon)) or not in_kazakhstan(lat, lon):
            return None
        located = [p for p in self._catalog.places if p.lat is not None and p.lon is not None]
        if not located:
            return None
        best = min(located, key=lambda p: distance_km(lat, lon, p.lat or 0.0, p.lon or 0.0))
        return Location(region=best.region, place=best.id, lat=lat, lon=lon)
