"""Where the files that ship with the code are: the catalog (`data/`) and the translations.

What ships with the bot is found beside its code, never through the working directory (which
is where the operator's own files are: `.env`, `DATABASE_PATH`, paths given on the command
line). In a checkout or an editable install that is the repository's top level; a wheel
(`pip install .`) carries a copy inside the package (see setup.py).
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def shipped(name: str) -> Path:
    """The shipped directory `name`: the wheel's copy if there is one, else the checkout's."""
    inside = _PACKAGE_DIR / "_shipped" / name
    return inside if inside.is_dir() else _PACKAGE_DIR.parent / name


DATA_DIR = shipped("data")
LOCALES_DIR = shipped("locales")
