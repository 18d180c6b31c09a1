"""Place lookup on the real gazetteer: other spellings, Kazakh letters, typos, regions."""

from __future__ import annotations

import pytest

from bot.core.geo import Gazetteer, distance_km, normalize
from bot.core.model import Catalog


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("Нур-Султан", "astana"),
        ("Нұр-Сұлтан", "astana"),
        ("Астана", "astana"),
        ("астана", "astana"),
        ("Nur-Sultan", "astana"),
        ("Алматы", "almaty"),
        ("Алма-Ата", "almaty"),
        ("г. Алматы", "almaty"),
        ("город Алматы", "almaty"),
        ("Алматы қаласы", "almaty"),
        ("Almaty", "almaty"),
        ("Семипалатинск", "semey"),
        ("Семей", "semey"),
        ("Усть-Каменогорск", "oskemen"),
        ("Өскемен", "oskemen"),
        ("Оскемен", "oskemen"),
        ("Чимкент", "shymkent"),
        ("Шымкент", "shymkent"),
        ("Қарағанды", "karaganda"),
        ("Караганда", "karaganda"),
        ("Капчагай", "konaev"),
        ("Кызылорда", "kyzylorda"),
        ("Темиртау", "temirtau"),
    ],
)
def test_spellings_resolve_to_the_place(gazetteer: Gazetteer, text: str, place: str) -> None:
    location = gazetteer.resolve(text)
    assert location is not None, text
    assert location.place == place


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("Алмааты", "almaty"),
        ("Караганды", "karaganda"),
        ("Шимкент", "shymkent"),
        ("Астанаа", "astana"),
    ],
)
def test_small_typos_resolve(gazetteer: Gazetteer, text: str, place: str) -> None:
    location = gazetteer.resolve(text)
    assert location is not None, text
    assert location.place == place


def test_location_carries_region_and_coordinates(gazetteer: Gazetteer) -> None:
    location = gazetteer.resolve("Темиртау")
    assert location is not None
    assert location.region == "karaganda"
    assert location.lat is not None and location.lon is not None
    assert 49.5 < location.lat < 50.5 and 72.5 < location.lon < 73.5


def test_city_of_republican_significance_is_its_own_region(gazetteer: Gazetteer) -> None:
    location = gazetteer.resolve("Шымкент")
    assert location is not None
    assert (location.region, location.place) == ("shymkent", "shymkent")


@pytest.mark.parametrize(
    "text", ["Алматинская область", "Алматы облысы", "Алматинская обл.", "Almaty oblysy"]
)
def test_region_name_is_the_region_not_the_city(gazetteer: Gazetteer, text: str) -> None:
    location = gazetteer.resolve(text)
    assert location is not None, text
    assert location.region == "almaty-region"
    assert location.place in (None, "konaev")
    assert location.place != "almaty"


def test_region_point_is_its_admin_center(gazetteer: Gazetteer, catalog: Catalog) -> None:
    location = gazetteer.resolve("Карагандинская область")
    karaganda = catalog.place("karaganda")
    assert location is not None and karaganda is not None
    assert location.region == "karaganda"
    assert location.place is None
    assert (location.lat, location.lon) == (karaganda.lat, karaganda.lon)


@pytest.mark.parametrize("text", ["Nowhereville", "asdkjhasd", "qwerty", "12345", "", "   ", "?!"])
def test_gibberish_is_not_guessed(gazetteer: Gazetteer, text: str) -> None:
    assert gazetteer.resolve(text) is None


def test_every_catalog_spelling_resolves_to_its_own_entry(
    gazetteer: Gazetteer, catalog: Catalog
) -> None:
    """Every name and alias in geography.toml finds what it names (places win over regions)."""
    for place in catalog.places:
        for name in (place.name.kk, place.name.ru, place.name_en, *place.aliases):
            location = gazetteer.resolve(name)
            assert location is not None and location.place == place.id, (name, location)
    place_keys = {
        normalize(n) for p in catalog.places for n in (p.name.kk, p.name.ru, p.name_en, *p.aliases)
    }
    for region in catalog.regions:
        for name in (region.name.kk, region.name.ru, region.name_en, *region.aliases):
            if normalize(name) in place_keys:
                continue  # a city of republican significance: the place is the answer
            location = gazetteer.resolve(name)
            assert location is not None and location.region == region.id, (name, location)


def test_normalize_folds_kazakh_letters_case_and_city_words() -> None:
    assert normalize("Қарағанды") == normalize("караганды")
    assert normalize("Өскемен") == normalize("ОСКЕМЕН")
    assert normalize("г. Алматы") == normalize("Алматы")
    assert normalize("Алматы қаласы") == normalize("Алматы")
    assert normalize("Алматы облысы") != normalize("Алматы")


def test_region_words_are_one_token() -> None:
    assert normalize("Жамбыл область") == normalize("Жамбыл облысы") == normalize("Жамбыл обл.")


@pytest.mark.parametrize(
    ("lat", "lon", "place"),
    [(50.06, 72.96, "temirtau"), (50.05, 72.99, "temirtau"), (43.25, 76.95, "almaty")],
)
def test_nearest_place_to_a_shared_location(
    gazetteer: Gazetteer, lat: float, lon: float, place: str
) -> None:
    location = gazetteer.nearest(lat, lon)
    assert location is not None
    assert location.place == place
    # Distances are measured from where she is, not from the city center.
    assert (location.lat, location.lon) == (lat, lon)


def test_place_without_coordinates_uses_its_regions_admin_center(
    gazetteer: Gazetteer, catalog: Catalog
) -> None:
    korday = catalog.place("korday")
    taraz = catalog.place("taraz")
    assert korday is not None and taraz is not None
    assert korday.lat is None  # the data says nothing; the test relies on that
    location = gazetteer.place_location("korday")
    assert location.place == "korday"
    assert location.region == "zhambyl"
    assert (location.lat, location.lon) == (taraz.lat, taraz.lon)


def test_unknown_ids_raise(gazetteer: Gazetteer) -> None:
    with pytest.raises(KeyError):
        gazetteer.place_location("atlantis")
    with pytest.raises(KeyError):
        gazetteer.region_location("atlantis")


def test_distance_between_almaty_and_astana() -> None:
    km = distance_km(43.2389, 76.8897, 51.1694, 71.4491)
    assert 940 < km < 1000
    assert distance_km(51.1694, 71.4491, 43.2389, 76.8897) == pytest.approx(km)
    assert distance_km(43.2389, 76.8897, 43.2389, 76.8897) == 0


@pytest.mark.parametrize(
    ("lat", "lon"),
    [
        (91.0, 71.0),  # no latitude is above 90°
        (-91.0, 71.0),
        (51.0, 181.0),  # nor a longitude beyond 180°
        (51.0, -181.0),
        (float("nan"), 71.0),
        (51.0, float("nan")),
        (float("nan"), float("nan")),
        (float("inf"), 71.0),
        (51.0, float("-inf")),
        (55.75, 37.62),  # Moscow: a real place, outside Kazakhstan
        (0.0, 0.0),
    ],
)
def test_a_location_that_is_not_a_point_in_kazakhstan_is_no_place(
    gazetteer: Gazetteer, lat: float, lon: float
) -> None:
    """She is asked for her city instead of being sent to the nearest border town."""
    assert gazetteer.nearest(lat, lon) is None


def test_the_edges_of_kazakhstan_still_find_a_place(gazetteer: Gazetteer) -> None:
    # Near the western and eastern ends of the country.
    for lat, lon in ((47.1, 51.9), (49.95, 82.6)):
        location = gazetteer.nearest(lat, lon)
        assert location is not None
        assert location.place is not None
