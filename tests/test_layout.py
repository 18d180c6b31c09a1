"""`catalog export` writes the layout of `data/`: exporting into `data/` changes nothing, and a
change touches only its own lines, in the same layout, with every comment kept."""

from __future__ import annotations

import difflib
import shutil
import tomllib
from pathlib import Path

import msgspec
import pytest

from bot.catalog import layout
from bot.catalog.files import read_catalog
from bot.catalog.store import load_catalog
from bot.catalog.writer import write_catalog
from bot.core.model import Catalog
from bot.services import DATA_DIR, open_seeded_database


def tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*.toml"))
        if p.is_file()
    }


def committed() -> Catalog:
    catalog, problems = read_catalog(DATA_DIR)
    assert problems == []
    return catalog


async def test_exporting_the_seeded_database_over_data_changes_no_byte(tmp_path: Path) -> None:
    db = await open_seeded_database(tmp_path / "bot.sqlite3")
    try:
        catalog = await load_catalog(db)
    finally:
        await db.close()
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    write_catalog(catalog, target)
    assert tree(target) == tree(DATA_DIR)
    assert len(tree(target)) == len(catalog.centers) + 2


def test_into_an_empty_directory_every_center_file_is_the_committed_one(tmp_path: Path) -> None:
    write_catalog(committed(), tmp_path)
    written, expected = tree(tmp_path), tree(DATA_DIR)
    assert written.keys() == expected.keys()
    centers = [name for name in expected if name.startswith("centers/")]
    assert centers and all(written[name] == expected[name] for name in centers)
    # geography.toml and hotlines.toml carry comments, which only the files themselves hold:
    # written anew they say the same things without them.
    # (and an `aliases = []` a person wrote means what leaving it out means).
    for name in ("geography.toml", "hotlines.toml"):
        assert _stated(written[name]) == _stated(expected[name])


def _stated(text: bytes) -> object:
    """A data file's values, without the keys that state an empty list."""
    doc = tomllib.loads(text.decode())
    return {kind: [{k: v for k, v in table.items() if v != []} for table in tables]
            for kind, tables in doc.items()}  # fmt: skip


def _changed_lines(before: bytes, after: bytes) -> list[str]:
    diff = difflib.unified_diff(before.decode().splitlines(), after.decode().splitlines(), n=0)
    return [line for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---")]


def test_a_change_rewrites_its_own_lines_and_keeps_every_comment(tmp_path: Path) -> None:
    catalog = committed()
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    # Michurino: a comment right above its (empty) aliases; Kapchagay-like renames above.
    place = next(p for p in catalog.places if p.id == "michurino")
    center = catalog.centers[0]
    changed = Catalog(
        regions=catalog.regions,
        places=tuple(
            msgspec.structs.replace(p, aliases=("Мичуринское", "Michurinskoe"))
            if p.id == place.id
            else p
            for p in catalog.places
        ),
        centers=(
            msgspec.structs.replace(
                center,
                needs=(*center.needs, "psychological")
                if "psychological" not in center.needs
                else center.needs[:-1],
                provenance=msgspec.structs.replace(
                    center.provenance, notes="First line.\nSecond line, with 'quotes'."
                ),
            ),
            *catalog.centers[1:],
        ),
        hotlines=catalog.hotlines,
    )
    write_catalog(changed, target)

    geography = _changed_lines(
        (DATA_DIR / "geography.toml").read_bytes(), (target / "geography.toml").read_bytes()
    )
    assert geography == ["-aliases = []", '+aliases = ["Мичуринское", "Michurinskoe"]']
    comments = (DATA_DIR / "geography.toml").read_text().splitlines()
    assert [line for line in comments if line.startswith("#")] == [
        line
        for line in (target / "geography.toml").read_text().splitlines()
        if line.startswith("#")
    ]
    center_file = f"centers/{center.id}.toml"
    lines = _changed_lines(
        (DATA_DIR / center_file).read_bytes(), (target / center_file).read_bytes()
    )
    added = [line for line in lines if line.startswith("+")]
    assert added[0].startswith("+needs = [") and added[0].endswith("]")  # one line
    assert "\nnotes = '''\nFirst line.\nSecond line, with 'quotes'.'''\n" in (
        target / center_file
    ).read_text(encoding="utf-8")
    untouched = set(tree(DATA_DIR)) - {"geography.toml", center_file}
    assert all(tree(target)[name] == tree(DATA_DIR)[name] for name in untouched)


@pytest.mark.parametrize(
    "text",
    ["one line", "two\nlines", "\nstarts with a newline", "ends with one\n", "back\\slash\nx",
     "tab\tand\nnewline", "has ''' in it\nand more", "carriage\r\nreturn", 'quote " and\n\'',
     "control \x01 char\nx", ""],
)  # fmt: skip
def test_any_text_reads_back_as_itself(text: str) -> None:
    written = layout.dump({"notes": text, "source_urls": ["https://a.kz", "https://b.kz"]})
    assert tomllib.loads(written) == {
        "notes": text,
        "source_urls": ["https://a.kz", "https://b.kz"],
    }


def test_the_rules_of_the_layout() -> None:
    doc = {
        "id": "x",
        "needs": ["shelter", "legal"],
        "mother_age_max": {"values": [30, 34], "sources": ["https://a.kz"]},
        "source_urls": ["https://a.kz", "https://b.kz"],
        "notes": "line one\nline two",
        "phones": [{"number": "+77010000000", "kind": "mobile"}],
    }
    assert layout.dump(doc) == (
        'id = "x"\n'
        'needs = ["shelter", "legal"]\n'
        'mother_age_max = { values = [30, 34], sources = ["https://a.kz"] }\n'
        "source_urls = [\n"
        '    "https://a.kz",\n'
        '    "https://b.kz",\n'
        "]\n"
        "notes = '''\n"
        "line one\n"
        "line two'''\n"
        "\n"
        "[[phones]]\n"
        'number = "+77010000000"\n'
        'kind = "mobile"\n'
    )
