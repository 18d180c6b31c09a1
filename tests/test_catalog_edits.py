"""Admin edits as plain data: uploads are read safely, edits keep the rest of the catalog."""

from __future__ import annotations

import io
import zipfile

import pytest

from bot.catalog.edits import (
    MAX_UPLOAD_BYTES,
    EditError,
    export_zip,
    read_upload,
)
from bot.core.model import Catalog


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


# --- zips that lie (issue 12): refused with a reason, never another kind of error ---

_LOCAL = b"PK\x03\x04"
_CENTRAL = b"PK\x01\x02"


def _zip(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _patch(content: bytes, member: str, **fields: int) -> bytes:
    """Rewrite header fields of one member, in its local header and the central directory
    alike: flags, method, compressed or uncompressed size."""
    data = bytearray(content)
    offsets = {
        _LOCAL: {"flags": 6, "method": 8, "compressed": 18, "size": 22, "length": 26, "name": 30},
        _CENTRAL: {"flags": 8, "method": 10, "compressed": 20, "size": 24, "length": 28,
                   "name": 46},
    }  # fmt: skip
    found = 0
    for signature, at in offsets.items():
        start = 0
        while (start := data.find(signature, start)) != -1:
            name_length = int.from_bytes(data[start + at["length"] : start + at["length"] + 2],
                                         "little")  # fmt: skip
            name = bytes(data[start + at["name"] : start + at["name"] + name_length])
            if name == member.encode():
                for field, value in fields.items():
                    width = 2 if field in ("flags", "method") else 4
                    position = start + at[field]
                    if field == "flags":
                        value |= int.from_bytes(data[position : position + 2], "little")
                    data[position : position + width] = value.to_bytes(width, "little")
                found += 1
            start += 4
    assert found == 2, "the member's local header and central directory entry"
    return bytes(data)


def _data_zip(catalog: Catalog, extra: dict[str, bytes] | None = None) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(export_zip(catalog))) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    return members | (extra or {})


BOMB = b"#" + b" " * (MAX_UPLOAD_BYTES + 1024)  # a valid TOML comment, 2 MB of spaces


def _reason(content: bytes, catalog: Catalog) -> str:
    """The reason an upload is refused; any error but EditError fails the test."""
    try:
        read_upload("catalog.zip", content, catalog)
    except EditError as error:
        return error.code
    raise AssertionError("the upload was accepted")


def test_a_small_zip_that_unpacks_to_more_than_the_limit_is_too_large(catalog: Catalog) -> None:
    content = _zip(_data_zip(catalog, {"data/centers/bomb.toml": BOMB}))
    assert len(content) < MAX_UPLOAD_BYTES / 10  # small as sent
    assert _reason(content, catalog) == "too_large"


def test_many_members_count_together_against_the_limit(catalog: Catalog) -> None:
    part = b"#" + b" " * (MAX_UPLOAD_BYTES // 3)
    members = {f"data/centers/part-{i}.toml": part for i in range(4)}
    assert _reason(_zip(_data_zip(catalog, members)), catalog) == "too_large"


@pytest.mark.parametrize("size", [10, 0, 2**32 - 1, MAX_UPLOAD_BYTES - 1])
def test_a_member_that_lies_about_its_size_is_refused(catalog: Catalog, size: int) -> None:
    content = _patch(
        _zip(_data_zip(catalog, {"data/centers/bomb.toml": BOMB})),
        "data/centers/bomb.toml",
        size=size,
    )
    assert _reason(content, catalog) in ("not_zip", "too_large")


def test_a_member_that_lies_about_its_compressed_size_is_refused(catalog: Catalog) -> None:
    members = _data_zip(catalog)
    name = next(n for n in members if n.endswith("astana-umit.toml"))
    assert _reason(_patch(_zip(members), name, compressed=1), catalog) == "not_zip"
    # Claiming more than there is reads on into the next member: the data still has to
    # unpack and match its checksum, so it is either exactly the file or refused.
    content = _patch(_zip(members), name, compressed=2**31)
    try:
        again, problems = read_upload("catalog.zip", content, catalog)
    except EditError as error:
        assert error.code in ("not_zip", "too_large")
    else:
        assert problems == [] and again == catalog


@pytest.mark.parametrize("method", [99, 97, 1, 6, 255])
def test_an_unknown_compression_method_is_not_a_zip_we_read(catalog: Catalog, method: int) -> None:
    """99 is WinZip's AES; the rest are methods Python's zipfile does not unpack."""
    members = _data_zip(catalog)
    name = next(n for n in members if n.endswith("astana-umit.toml"))
    content = _patch(_zip(members), name, method=method)
    assert _reason(content, catalog) == "not_zip"


@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_an_encrypted_member_is_not_a_zip_we_read(catalog: Catalog, method: int) -> None:
    members = _data_zip(catalog)
    name = next(n for n in members if n.endswith("geography.toml"))
    content = _patch(_zip(members, method), name, flags=0x1)
    assert _reason(content, catalog) == "not_zip"


def test_a_damaged_member_is_not_a_zip_we_read(catalog: Catalog) -> None:
    members = _data_zip(catalog)
    content = bytearray(_zip(members))
    # Overwrite the middle of the compressed data of the biggest member (geography).
    start = content.find(b"geography.toml") + 200
    content[start : start + 64] = b"\x00" * 64
    assert _reason(bytes(content), catalog) == "not_zip"
    # Cut short: the central directory is gone.
    assert _reason(bytes(content[: len(content) // 2]), catalog) == "not_zip"


def test_the_limits_are_not_tripped_by_a_real_catalog(catalog: Catalog) -> None:
    """The real data folder, stored without compression, fits well under the limit."""
    content = _zip(_data_zip(catalog), zipfile.ZIP_STORED)
    again, problems = read_upload("catalog.zip", content, Catalog())
    assert problems == [] and again == catalog
