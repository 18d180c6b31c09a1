"""Admin edits as plain data: uploads are read safely, edits keep the rest of the catalog."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest

from bot.catalog.edits import (
    MAX_UPLOAD_BYTES,
    EditError,
    export_zip,
    read_upload,
    set_status,
    verify,
)
from bot.catalog.files import load_catalog
from bot.catalog.model import Catalog, Localized
from bot.services import DATA_DIR


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(DATA_DIR)


def test_export_then_upload_gives_the_same_catalog(catalog: Catalog) -> None:
    again, problems = read_upload("backup.zip", export_zip(catalog), Catalog())
    assert problems == []
    assert again == catalog


def test_paths_inside_a_zip_never_reach_outside(
    catalog: Catalog, tmp_path_factory: pytest.TempPathFactory
) -> None:
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(export_zip(catalog))) as source,
        zipfile.ZipFile(buffer, "w") as target,
    ):
        for item in source.infolist():
            name = item.filename.replace("data/", "../../../tmp/escape/")
            target.writestr(name, source.read(item))
        target.writestr("../../evil.sh", b"rm -rf /")
    again, problems = read_upload("x.zip", buffer.getvalue(), Catalog())
    assert problems == [] and again == catalog
    assert not (tmp_path_factory.getbasetemp() / "escape").exists()


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("a.zip", b"not a zip", "not_zip"),
        ("a.pdf", b"%PDF", "wrong_kind"),
        ("geography.toml", b"", "wrong_kind"),
        ("big.toml", b"x" * (MAX_UPLOAD_BYTES + 1), "too_large"),
    ],
)
def test_wrong_uploads_are_refused_with_a_reason(
    catalog: Catalog, name: str, content: bytes, code: str
) -> None:
    with pytest.raises(EditError) as error:
        read_upload(name, content, catalog)
    assert error.value.code == code


def test_an_empty_zip_is_refused(catalog: Catalog) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(EditError) as error:
        read_upload("a.zip", buffer.getvalue(), catalog)
    assert error.value.code == "empty_zip"


def test_verify_and_status_change_one_center_only(catalog: Catalog) -> None:
    checked = verify(catalog, "almaty-rodnik", date(2026, 12, 1), "admin")
    center = checked.center("almaty-rodnik")
    assert center is not None and center.provenance.verified_at == date(2026, 12, 1)
    assert [c for c in checked.centers if c.id != "almaty-rodnik"] == [
        c for c in catalog.centers if c.id != "almaty-rodnik"
    ]
    closed = set_status(
        catalog, "almaty-rodnik", "temporarily_closed", Localized("жабық", "закрыт")
    )
    assert closed.center("almaty-rodnik").status == "temporarily_closed"  # type: ignore[union-attr]
    with pytest.raises(EditError):
        verify(catalog, "no-such-center", date(2026, 12, 1), "admin")
