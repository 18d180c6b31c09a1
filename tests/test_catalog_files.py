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
    phone_problem,
    read_catalog,
    read_center_table,
)
from bot.catalog.writer import center_to_table, write_catalog
from bot.core.codes import Checked, Status
from bot.core.model import Catalog, Disputed
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
    assert len(real_catalog.centers) == 47
    assert len(real_catalog.regions) == 20
    assert len(real_catalog.hotlines) == 5
    assert [h.id for h in real_catalog.hotlines][:2] == ["112", "102"]


def test_real_data_is_read_faithfully(real_catalog: Catalog) -> None:
    center = real_catalog.center("ana-uyi-almaty")
    assert center is not None
    assert center.place == "almaty" and center.region == "almaty-city"
    # Sources disagree (30 and 34): both values are kept, with where they come from.
    limit = center.eligibility.mother_age_max
    assert isinstance(limit, Disputed)
    assert limit.values == (30, 34) and (limit.low, limit.high) == (30, 34)
    assert len(limit.sources) == 2
    assert all(url.startswith("https://") for url in limit.sources)
    umit = real_catalog.center("astana-umit")
    assert umit is not None
    assert umit.eligibility.mother_age_min == 18  # a confirmed limit stays a number
    assert umit.eligibility.mother_age_max == Disputed(
        values=(55, 58),
        sources=umit.eligibility.mother_age_max.sources,  # type: ignore[union-attr]
    )
    assert center.eligibility.mother_age_min is None  # left out means "no limit known"
    assert center.eligibility.child_age_max_months == 18
    # Sources disagree on the stay too (6 months and 2 years): both kept, with their sources.
    disputed = center.stay.max_disputed
    assert center.stay.max is None and disputed is not None
    assert [v.iso for v in disputed.values] == ["P6M", "P2Y"] and len(disputed.sources) == 2
    assert center.provenance.newest_source == 2024
    ubezhishche = real_catalog.center("almaty-ubezhishche")
    assert ubezhishche is not None and ubezhishche.provenance.newest_source == "unknown"
    assert center.shelter is True
    assert "shelter" in center.needs
    closed = real_catalog.center("kostanay-dagdarys-damytu")
    assert closed is not None and closed.status is Status.TEMPORARILY_CLOSED
    assert closed.status_reason.ru and closed.status_reason.kk
    almaty = real_catalog.place("almaty")
    assert almaty is not None and "Алма-Ата" in almaty.aliases
    # Lines where she may stay anonymous say so; the others say nothing. 150's sources say
    # "confidential" and free from landlines only (issue 16): neither flag is set.
    anonymous = {h.id: h.anonymous for h in real_catalog.hotlines}
    assert anonymous == {"112": None, "102": None, "103": None, "111": True, "150": None}
    line_150 = next(h for h in real_catalog.hotlines if h.id == "150")
    assert line_150.free is None and "конфиденциальный" in line_150.purpose.ru
    assert all(c.provenance.verified_how is Checked.DESK for c in real_catalog.centers)


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
    source = tomllib.loads((DATA_DIR / "centers" / "ana-uyi-almaty.toml").read_text("utf-8"))
    assert doc["mother_age_max"] == source["mother_age_max"]
    assert doc["mother_age_max"]["values"] == [30, 34]
    assert "mother_age_min" not in doc
    assert "address_ru" not in doc and "address_public" not in doc
    assert "hours" not in doc and "verified_how" not in doc  # unknown, and the default
    assert doc["stay_max"] == source["stay_max"]
    assert doc["stay_max"]["values"] == ["P6M", "P2Y"]
    assert doc["newest_source"] == 2024
    umit = tomllib.loads((tmp_path / "out" / "centers" / "astana-umit.toml").read_text("utf-8"))
    assert umit["mother_age_min"] == 18
    lines = tomllib.loads((tmp_path / "out" / "hotlines.toml").read_text("utf-8"))
    assert {h["id"]: h.get("anonymous") for h in lines["hotline"]} == {
        "112": None, "102": None, "103": None, "111": True, "150": None,
    }  # fmt: skip


# --- disputed limits (issue 8) ---


def _center(**changes: Any) -> tuple[Any, list[Problem]]:
    doc = tomllib.loads((DATA_DIR / "centers" / "astana-umit.toml").read_text("utf-8"))
    doc.update(changes)
    problems: list[Problem] = []
    center = read_center_table(doc, "centers/astana-umit.toml", problems)
    return center, problems


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("mother_age_max", {"values": [34, 30, 30]}, Disputed(values=(30, 34))),
        # One value nobody has confirmed yet.
        ("mother_age_max", {"values": [30]}, Disputed(values=(30,))),
        ("child_age_max_months", {"values": [12, 18], "sources": ["https://a.kz", "https://b.kz"]},
         Disputed(values=(12, 18), sources=("https://a.kz", "https://b.kz"))),
        ("child_age_min_months", {"values": [0, 3]}, Disputed(values=(0, 3))),
        ("mother_age_min", {"values": [16, 18]}, Disputed(values=(16, 18))),
    ],
)  # fmt: skip
def test_a_disputed_limit_is_read_with_its_values_and_sources(
    key: str, value: dict[str, Any], expected: Disputed
) -> None:
    center, problems = _center(**{key: value})
    assert problems == []
    assert getattr(center.eligibility, key) == expected
    # And written back the way it was given (values sorted, each once).
    table = center_to_table(center)
    assert table[key] == {"values": list(expected.values)} | (
        {"sources": list(expected.sources)} if expected.sources else {}
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"values": []}, "'mother_age_max.values' must list one or more whole numbers"),
        ({"values": [30, "34"]}, "'mother_age_max.values' must list one or more whole numbers"),
        ({"values": [True]}, "'mother_age_max.values' must list one or more whole numbers"),
        ({"sources": ["https://a.kz"]},
         "'mother_age_max.values' must list one or more whole numbers"),
        ({"values": [30, 34], "sources": ["a newspaper"]},
         "'mother_age_max.sources' has 'a newspaper', which is not an http(s) URL"),
        ({"values": [30, 34], "note": "ask"}, "unknown key 'mother_age_max.note'"),
        ({"values": [30, 340]}, "'mother_age_max' = 340 is not a plausible age"),
        ("30", "'mother_age_max' has the wrong type (str)"),
        ({"values": [10, 17]}, "'mother_age_min' is greater than 'mother_age_max'"),
    ],
)  # fmt: skip
def test_a_broken_disputed_limit_is_a_problem(value: object, message: str) -> None:
    _, problems = _center(mother_age_max=value)
    assert message in [p.message for p in problems]
    assert {(p.file, p.entry) for p in problems} == {
        ("centers/astana-umit.toml", "center astana-umit")
    }


def test_a_disputed_child_limit_is_checked_like_a_number() -> None:
    _, problems = _center(child_age_max_months={"values": [12, 300]})
    assert [p.message for p in problems] == [
        "'child_age_max_months' = 300 is not between 0 and 216 months"
    ]
    _, problems = _center(
        child_age_min_months={"values": [20, 24]}, child_age_max_months={"values": [12, 18]}
    )
    assert [p.message for p in problems] == [
        "'child_age_min_months' is greater than 'child_age_max_months'"
    ]


# --- what the new layout added: opening hours, how it was checked ---


def test_opening_hours_are_read_and_bounded() -> None:
    center, problems = _center(hours="Пн–Пт 9:00–18:00 & Сб <10")
    assert problems == [] and center.hours == "Пн–Пт 9:00–18:00 & Сб <10"
    _, problems = _center(hours="x" * 81)
    assert [p.message for p in problems] == ["'hours' is longer than 80 characters"]


def test_a_phone_without_a_source_needs_a_check_by_phone_or_the_center() -> None:
    phone = [{"number": "+77001234567"}]
    _, problems = _center(phones=phone)
    assert [p.message for p in problems] == [
        "a phone without a 'source' needs 'verified_how' = 'phoned' or 'center'"
    ]
    for how in ("phoned", "center"):
        center, problems = _center(phones=phone, verified_how=how)
        assert problems == [] and center.provenance.verified_how == how
    _, problems = _center(verified_how="guessed")
    assert [p.message for p in problems] == [
        "'verified_how' must be one of desk, phoned, center, got 'guessed'"
    ]


def test_an_entry_confirmed_by_the_center_needs_no_published_source() -> None:
    doc = tomllib.loads((DATA_DIR / "centers" / "astana-umit.toml").read_text("utf-8"))
    doc.pop("source_urls")
    for how, expected in (("center", []), ("desk", ["'source_urls' needs at least one source"])):
        problems: list[Problem] = []
        read_center_table({**doc, "verified_how": how}, "centers/astana-umit.toml", problems)
        assert [p.message for p in problems] == expected


@pytest.mark.parametrize(
    ("number", "ok"),
    [("+77001234567", True), ("87001234567", False), ("+7 700 123 45 67", False),
     ("+770012345678", False), ("", False)],
)  # fmt: skip
def test_phone_problem(number: str, ok: bool) -> None:
    problem = phone_problem(number)
    assert (problem is None) == ok
    if not ok:
        assert problem is not None and "+7XXXXXXXXXX" in problem


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.toml"))}


# --- issue 20.4: every field bounded, so one entry cannot break a page of results ---


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"phones": [{"number": f"+770123400{n:02d}", "source": "https://a.kz"}
                     for n in range(6)]},
         "'phones' lists more than 5 numbers"),
        ({"website": "https://a.kz/" + "x" * 300}, "'website' is longer than 300 characters"),
        ({"address_ru": "я" * 301}, "'address_ru' is longer than 300 characters"),
        ({"name_kk": "я" * 201}, "'name_kk' is longer than 200 characters"),
        ({"summary_ru": "я" * 701}, "'summary_ru' is longer than 700 characters"),
        ({"notes": "я" * 4001}, "'notes' is longer than 4000 characters"),
        ({"source_urls": ["https://a.kz/" + "x" * 1000]},
         "a source URL is longer than 1000 characters"),
        ({"shelter": True, "stay_max": "P99999Y"}, "'stay_max' must be between 1 day and 3 years"),
        ({"shelter": True, "stay_max": "PT5H"}, "'stay_max' must be between 1 day and 3 years"),
        ({"shelter": True, "stay_min": "P0D", "stay_max": "P1Y"},
         "'stay_min' must be between 1 hour and 3 years"),
    ],
)  # fmt: skip
def test_oversized_fields_are_problems(changes: dict[str, Any], expected: str) -> None:
    _, problems = _center(**changes)
    assert expected in [p.message for p in problems]


def test_the_largest_allowed_values_are_no_problem() -> None:
    phones = [
        {"number": f"+7701234{n:04d}", "hours": "я" * 80, "source": "https://a.kz/" + "x" * 287}
        for n in range(5)
    ]
    _, problems = _center(
        phones=phones,
        website="https://a.kz/" + "x" * 287,
        hours="я" * 80,
        shelter=True,
        stay_min="PT1H",
        stay_max="P3Y",
    )
    assert problems == []
