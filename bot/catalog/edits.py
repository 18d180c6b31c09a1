"""Changes admins make to the catalog: plain data in, plain data out.

Every change produces a whole new catalog that is validated like the data files and then
stored in one transaction, so a mistake can never leave the catalog half-changed.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from dataclasses import replace
from datetime import date
from pathlib import Path, PurePosixPath

from bot.catalog_files import (
    CENTERS_DIR,
    GEOGRAPHY_FILE,
    HOTLINES_FILE,
    Problem,
    read_catalog,
)
from bot.catalog_writer import write_catalog
from bot.core.model import Catalog, Center, Localized

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
    provenance = replace(center.provenance, verified_at=today, verified_by=verified_by)
    return _with_center(catalog, replace(center, provenance=provenance))


def set_status(catalog: Catalog, center_id: str, status: str, reason: Localized) -> Catalog:
    """Close a center for a while (with a reason a mother may read) or reopen it."""
    center = catalog.center(center_id)
    if center is None:
        raise EditError("unknown_center")
    return _with_center(catalog, replace(center, status=status, status_reason=reason))


def _with_center(catalog: Catalog, changed: Center) -> Catalog:
    centers = tuple(changed if c.id == changed.id else c for c in catalog.centers)
    return Catalog(catalog.regions, catalog.places, centers, catalog.hotlines)


def _zip_members(content: bytes) -> dict[str, bytes]:
    """The data files inside a zip, wherever the folder sits inside it; nothing else."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile as exc:
        raise EditError("not_zip") from exc
    files: dict[str, bytes] = {}
    total = 0
    for info in archive.infolist():
        if info.is_dir():
            continue
        total += info.file_size
        if total > MAX_UPLOAD_BYTES:
            raise EditError("too_large")
        path = PurePosixPath(info.filename)
        # Only known names, taken by their last parts: no path from the zip reaches the disk.
        if path.name in _TOP_FILES:
            files[path.name] = archive.read(info)
        elif path.suffix == ".toml" and path.parent.name == CENTERS_DIR:
            files[f"{CENTERS_DIR}/{path.name}"] = archive.read(info)
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
