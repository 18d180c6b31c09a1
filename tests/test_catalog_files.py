"""The data files: the real data/ is valid; each kind of break is found, named by file and entry."""

from __future__ import annotations

import shutil
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from bot.catalog.files import (
    CatalogError,
    Problem,
    load_catalog,
    read_catalog,
)
from bot.catalog.writer import write_catalog
from bot.catalog.model import Catalog
from bot.services import DATA_DIR

Doc = dict[str, Any]


@pytest.fixture(scope="module")
def real_catalog() -> Catalog:
    return load_catalog(DATA_DIR)


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A private copy of data/ to break."""
    root = tmp_path / "data"
    shutil.copytree(DATA_DIR, root)
    return root


def edit(path: Path, change: Callable[[Doc], None]) -> None:
    """Parse a TOML file, change the parsed document, write it back."""
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    change(doc)
    path.write_text(tomli_w.dumps(doc), encoding="utf-8")


def edit_center(root: Path, center_id: str, change: Callable[[Doc], None]) -> None:
    edit(root / "centers" / f"{center_id}.toml", change)


def edit_place(root: Path, place_id: str, change: Callable[[Doc], None]) -> None:
    def in_geography(doc: Doc) -> None:
        change(next(p for p in doc["place"] if p["id"] == place_id))

    edit(root / "geography.toml", in_geography)


# --- the real data ---


def test_real_data_is_valid(real_catalog: Catalog) -> None:
    _, problems = read_catalog(DATA_DIR)
    assert problems == []
    assert len(real_catalog.centers) == 46
    assert len(real_catalog.regions) == 20
    assert len(real_catalog.hotlines) == 5
    assert [h.id for h in real_catalog.hotlines][:2] == ["112", "102"]


def test_real_data_is_read_faithfully(real_catalog: Catalog) -> None:
    center = real_catalog.center("ana-uyi-almaty")
    assert center is not None
    assert center.place == "almaty" and center.region == "almaty-city"
    assert center.eligibility.mother_age_max == 30
    assert center.eligibility.mother_age_min is None  # left out means "no limit known"
    assert center.eligibility.child_age_max_months == 18
    assert center.stay.max is not None and center.stay.max.iso == "P6M"
    assert center.shelter is True
    assert "shelter" in center.needs
    closed = real_catalog.center("kostanay-dagdarys-damytu")
    assert closed is not None and closed.status == "temporarily_closed"
    assert closed.status_reason.ru and closed.status_reason.kk
    almaty = real_catalog.place("almaty")
    assert almaty is not None and "Алма-Ата" in almaty.aliases


def test_copy_of_real_data_is_valid(data_copy: Path) -> None:
    """The baseline for every break below: the copy itself has no problems."""
    assert read_catalog(data_copy)[1] == []


# --- one break at a time ---


def _add_phone(doc: Doc) -> None:
    doc["phones"] = [
        {"number": "8 (701) 000-00-00", "kind": "voice", "source": "https://example.org/contacts"}
    ]


def _move_to_moscow(doc: Doc) -> None:
    doc.update(address_ru="ул. Примерная, 1", address_public=True, lat=55.75, lon=37.62)


def _invalid_toml(root: Path) -> None:
    path = root / "centers" / "astana-umit.toml"
    path.write_text(path.read_text(encoding="utf-8") + "\nneeds = [\n", encoding="utf-8")


def _rename(root: Path) -> None:
    centers = root / "centers"
    (centers / "astana-umit.toml").rename(centers / "astana-umit-old.toml")


@dataclass(frozen=True)
class Break:
    name: str
    apply: Callable[[Path], None]
    file: str
    entry: str
    message: str


BREAKS = [
    Break(
        "unknown need code",
        lambda root: edit_center(root, "ana-uyi-almaty", lambda d: d["needs"].append("flying")),
        "centers/ana-uyi-almaty.toml",
        "center ana-uyi-almaty",
        "unknown code 'flying'",
    ),
    Break(
        "mother_age_min > mother_age_max",
        lambda root: edit_center(root, "ana-uyi-almaty", lambda d: d.update(mother_age_min=35)),
        "centers/ana-uyi-almaty.toml",
        "center ana-uyi-almaty",
        "'mother_age_min' is greater than 'mother_age_max'",
    ),
    Break(
        "stay_min > stay_max",
        lambda root: edit_center(root, "astana-umit", lambda d: d.update(stay_min="P1Y")),
        "centers/astana-umit.toml",
        "center astana-umit",
        "'stay_min' is longer than 'stay_max'",
    ),
    Break(
        "phone not in +7 form",
        lambda root: edit_center(root, "astana-umit", _add_phone),
        "centers/astana-umit.toml",
        "center astana-umit phone #1",
        "+7XXXXXXXXXX",
    ),
    Break(
        "center coordinates outside Kazakhstan",
        lambda root: edit_center(root, "astana-umit", _move_to_moscow),
        "centers/astana-umit.toml",
        "center astana-umit",
        "outside Kazakhstan",
    ),
    Break(
        "place coordinates outside Kazakhstan",
        lambda root: edit_place(root, "temirtau", lambda p: p.update(lat=10.0)),
        "geography.toml",
        "place temirtau",
        "outside Kazakhstan",
    ),
    Break(
        "center without source_urls",
        lambda root: edit_center(root, "almaty-revansh", lambda d: d.pop("source_urls")),
        "centers/almaty-revansh.toml",
        "center almaty-revansh",
        "'source_urls' needs at least one source",
    ),
    Break(
        "place id that does not exist",
        lambda root: edit_center(root, "almaty-revansh", lambda d: d.update(place="atlantis")),
        "centers/almaty-revansh.toml",
        "center almaty-revansh",
        "unknown place 'atlantis'",
    ),
    Break(
        "invalid TOML",
        _invalid_toml,
        "centers/astana-umit.toml",
        "-",
        "not valid TOML",
    ),
    Break(
        "unknown key",
        lambda root: edit_center(root, "astana-umit", lambda d: d.update(phone="+77010000000")),
        "centers/astana-umit.toml",
        "center astana-umit",
        "unknown key 'phone'",
    ),
    Break(
        "file name differs from id",
        _rename,
        "centers/astana-umit-old.toml",
        "center astana-umit",
        "id differs from the file name",
    ),
    Break(
        "closed without status_reason",
        lambda root: edit_center(root, "astana-umit", lambda d: d.update(status="closed")),
        "centers/astana-umit.toml",
        "center astana-umit",
        "status_reason",
    ),
    Break(
        "alias naming two places",
        lambda root: edit_place(root, "temirtau", lambda p: p["aliases"].append("Караганда")),
        "geography.toml",
        "place temirtau",
        "also names place karaganda",
    ),
    Break(
        "unknown status",
        lambda root: edit_center(root, "astana-umit", lambda d: d.update(status="paused")),
        "centers/astana-umit.toml",
        "center astana-umit",
        "'status' must be one of",
    ),
    Break(
        "age that is true",
        lambda root: edit_center(root, "astana-umit", lambda d: d.update(mother_age_min=True)),
        "centers/astana-umit.toml",
        "center astana-umit",
        "'mother_age_min' has the wrong type (bool)",
    ),
    Break(
        "hotline number with letters",
        lambda root: edit(root / "hotlines.toml", lambda d: d["hotline"][3].update(number="11I")),
        "hotlines.toml",
        "hotline 111",
        "neither a short number nor +7XXXXXXXXXX",
    ),
]


@pytest.mark.parametrize("broken", BREAKS, ids=lambda b: b.name)
def test_each_break_is_a_problem_naming_file_and_entry(data_copy: Path, broken: Break) -> None:
    broken.apply(data_copy)
    _, problems = read_catalog(data_copy)
    assert problems, broken.name
    assert {(p.file, p.entry) for p in problems} == {(broken.file, broken.entry)}, problems
    assert any(broken.message in p.message for p in problems), problems


def test_all_breaks_together_are_all_reported(data_copy: Path) -> None:
    """Reading never stops at the first problem."""
    for broken in BREAKS:
        if broken.file != "centers/astana-umit.toml" and broken.entry != "-":
            broken.apply(data_copy)
    _, problems = read_catalog(data_copy)
    expected = {
        (b.file, b.entry) for b in BREAKS if b.file != "centers/astana-umit.toml" and b.entry != "-"
    }
    assert {(p.file, p.entry) for p in problems} == expected
    with pytest.raises(CatalogError) as caught:
        load_catalog(data_copy)
    assert caught.value.problems == problems
    assert str(len(problems)) in str(caught.value)


def test_problem_reads_as_one_line() -> None:
    problem = Problem("centers/x.toml", "center x", "unknown key 'phone'")
    assert str(problem) == "centers/x.toml: center x: unknown key 'phone'"


def test_missing_files_are_problems(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    _, problems = read_catalog(tmp_path / "empty")
    assert {p.file for p in problems} == {"geography.toml", "hotlines.toml", "centers"}
    _, problems = read_catalog(tmp_path / "no-such-dir")
    assert [p.message for p in problems] == ["not a directory"]


def test_duplicate_center_id_is_a_problem(data_copy: Path) -> None:
    shutil.copy(data_copy / "centers" / "astana-umit.toml", data_copy / "centers" / "copy.toml")
    _, problems = read_catalog(data_copy)
    messages = {(p.file, p.entry, p.message) for p in problems}
    assert ("centers/copy.toml", "center astana-umit", "id differs from the file name") in messages
    assert any(p.message == "id is used twice" for p in problems)


def test_center_in_a_place_of_another_region_is_a_problem(data_copy: Path) -> None:
    edit_center(data_copy, "astana-umit", lambda d: d.update(place="almaty"))
    _, problems = read_catalog(data_copy)
    assert [(p.entry, p.message) for p in problems] == [
        ("center astana-umit", "place 'almaty' is not in region 'astana'")
    ]


def test_alias_naming_a_city_of_republican_significance_is_a_problem(data_copy: Path) -> None:
    edit_place(data_copy, "almaty", lambda p: p["aliases"].append("Астана"))
    _, problems = read_catalog(data_copy)
    assert [(p.file, p.entry) for p in problems] == [("geography.toml", "place almaty")]


def test_date_time_instead_of_date_is_a_problem(data_copy: Path) -> None:
    at_ten = datetime(2026, 11, 20, 10, 0)
    edit_center(data_copy, "astana-umit", lambda d: d.update(verified_at=at_ten))
    _, problems = read_catalog(data_copy)
    assert [(p.file, p.entry) for p in problems] == [
        ("centers/astana-umit.toml", "center astana-umit")
    ]


def test_coordinate_that_is_true_is_a_type_problem(data_copy: Path) -> None:
    edit_place(data_copy, "temirtau", lambda p: p.update(lat=True))
    _, problems = read_catalog(data_copy)
    assert any("'lat' has the wrong type" in p.message for p in problems), problems


# --- writing ---


def test_written_catalog_reads_back_equal(tmp_path: Path, real_catalog: Catalog) -> None:
    write_catalog(real_catalog, tmp_path / "out")
    catalog, problems = read_catalog(tmp_path / "out")
    assert problems == []
    assert catalog == real_catalog


def test_writing_twice_gives_the_same_bytes(tmp_path: Path, real_catalog: Catalog) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    write_catalog(real_catalog, first)
    write_catalog(load_catalog(first), second)
    assert _tree(first) == _tree(second)
    assert len(_tree(first)) == 2 + len(real_catalog.centers)


def test_writing_removes_centers_no_longer_in_the_catalog(
    tmp_path: Path, real_catalog: Catalog
) -> None:
    out = tmp_path / "out"
    write_catalog(real_catalog, out)
    (out / "centers" / "gone.toml").write_text('id = "gone"\n', encoding="utf-8")
    write_catalog(real_catalog, out)
    assert not (out / "centers" / "gone.toml").exists()
    assert read_catalog(out)[1] == []


def test_written_files_leave_unknowns_out(tmp_path: Path, real_catalog: Catalog) -> None:
    write_catalog(real_catalog, tmp_path / "out")
    doc = tomllib.loads((tmp_path / "out" / "centers" / "ana-uyi-almaty.toml").read_text("utf-8"))
    assert doc["mother_age_max"] == 30
    assert "mother_age_min" not in doc
    assert "address_ru" not in doc and "address_public" not in doc
    assert doc["stay_max"] == "P6M"


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.toml"))}
