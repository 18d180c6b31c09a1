"""The catalog as admins send and receive it whole: an uploaded zip or center file, read
safely and validated like the data files, and the export zip.

An upload gives a whole new catalog (or the problems that refuse it), which the service layer
stores in one transaction, so a mistake can never leave the catalog half-changed. Changes of
one field are `bot.catalog.changes.apply_change`.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from bot.catalog.files import (
    CENTERS_DIR,
    GEOGRAPHY_FILE,
    HOTLINES_FILE,
    Problem,
    read_catalog,
)
from bot.catalog.writer import write_catalog
from bot.core.model import Catalog

# Generous for a few dozen TOML files, small enough that a wrong upload cannot hurt.
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
_TOP_FILES = {GEOGRAPHY_FILE, HOTLINES_FILE}


class EditError(ValueError):
    """The change cannot be made; `code` says why in words the admin module translates."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int) -> bytes:
    """A member's bytes, read in pieces so that a size the zip lies about cannot blow up."""
    chunks: list[bytes] = []
    with archive.open(info) as member:
        while chunk := member.read(64 * 1024):
            budget -= len(chunk)
            if budget < 0:
                raise EditError("too_large")
            chunks.append(chunk)
    return b"".join(chunks)


def _zip_members(content: bytes) -> dict[str, bytes]:
    """The data files inside a zip, wherever the folder sits inside it; nothing else.

    Sizes are counted as the bytes come out, not taken from the zip's own word; an
    encrypted member, an unknown compression or a damaged archive is "not a zip we read".
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError) as exc:
        raise EditError("not_zip") from exc
    files: dict[str, bytes] = {}
    budget = MAX_UPLOAD_BYTES
    try:
        for info in archive.infolist():
            if info.is_dir():
                continue
            path = PurePosixPath(info.filename)
            # Only known names, taken by their last parts: no path from the zip reaches disk.
            if path.name in _TOP_FILES:
                key = path.name
            elif path.suffix == ".toml" and path.parent.name == CENTERS_DIR:
                key = f"{CENTERS_DIR}/{path.name}"
            else:
                continue
            if info.flag_bits & 0x1:
                raise EditError("not_zip")  # encrypted
            data = _read_member(archive, info, budget)
            budget -= len(data)
            files[key] = data
    except EditError:
        raise
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, EOFError, zlib.error,
            ValueError, OSError) as exc:  # fmt: skip
        raise EditError("not_zip") from exc
    if not files:
        raise EditError("empty_zip")
    return files


def read_upload(filename: str, content: bytes, current: Catalog) -> tuple[Catalog, list[Problem]]:
    """The catalog an uploaded file would make: a whole data folder as .zip, or one center."""
    if len(content) > MAX_UPLOAD_BYTES:
        raise EditError("too_large")
    name = PurePosixPath(filename).name
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if name.endswith(".zip"):
            (root / CENTERS_DIR).mkdir()
            for relative, data in _zip_members(content).items():
                (root / relative).write_bytes(data)
        elif name.endswith(".toml") and name not in _TOP_FILES:
            # One center: the current catalog with this file added or replaced.
            write_catalog(current, root)
            (root / CENTERS_DIR / name).write_bytes(content)
        else:
            raise EditError("wrong_kind")
        return read_catalog(root)


def export_zip(catalog: Catalog) -> bytes:
    """The catalog as a zip of data files, the same format `read_upload` takes back."""
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_catalog(catalog, root)
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(root.rglob("*.toml")):
                archive.write(path, f"data/{path.relative_to(root).as_posix()}")
    return buffer.getvalue()
