"""Changes admins make to the catalog: plain data in, plain data out.

Every change produces a whole new catalog that is validated like the data files and then
stored in one transaction, so a mistake can never leave the catalog half-changed.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
import zlib
from datetime import date
from pathlib import Path, PurePosixPath

import msgspec

from bot.catalog.files import (
    CENTERS_DIR,
    GEOGRAPHY_FILE,
    HOTLINES_FILE,
    Problem,
    read_catalog,
)
from bot.catalog.writer import write_catalog
from bot.core.codes import Status
from bot.core.model import Catalog, Localized

# Generous for a few dozen TOML files, small enough that a wrong upload cannot hurt.
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
_TOP_FILES = {GEOGRAPHY_FILE, HOTLINES_FILE}


class EditError(ValueError):
    """The change cannot be made; `code` says why in words the admin module translates."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def verify(catalog: Catalog, center_id: str, today: date, verified_by: str) -> Catalog:
    """Record that someone checked this center's facts today."""
    center = catalog.center(center_id)
    if center is None:
        raise EditError("unknown_center")
    provenance = msgspec.structs.replace(
        center.provenance, verified_at=today, verified_by=verified_by
    )
    return catalog.with_center(msgspec.structs.replace(center, provenance=provenance))


def set_status(catalog: Catalog, center_id: str, status: Status, reason: Localized) -> Catalog:
    """Close a center for a while (with a reason a mother may read) or reopen it."""
    center = catalog.center(center_id)
    if center is None:
        raise EditError("unknown_center")
    changed = msgspec.structs.replace(center, status=status, status_reason=reason)
    return catalog.with_center(changed)


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
