"""`pip install .` (a wheel, not an editable install) gives a bot that finds its catalog and
translations from any directory, and the `ana-komek` console script."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.conftest import REPO

# What a wheel is built from; nothing else of the checkout may be needed.
SOURCES = ("bot", "data", "locales", "pyproject.toml", "setup.py", "MANIFEST.in", "README.md",
           "LICENSE")  # fmt: skip


def _run(*command: str | Path, cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        [str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True,
        encoding="utf-8", timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done.stdout


@pytest.mark.slow
def test_a_wheel_install_runs_the_catalog_check_from_another_directory(tmp_path: Path) -> None:
    # A copy of the checkout: the build writes build/ and egg-info beside its sources, and
    # the repository must stay untouched while other tests run in parallel.
    source = tmp_path / "source"
    for name in SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(
                REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            source.mkdir(exist_ok=True)
            shutil.copy2(REPO / name, source / name)
    venv = tmp_path / "fresh"
    _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path, env=dict(os.environ))
    python = venv / "bin" / "python"
    # The dependencies come from this test's environment (a path line, after the fresh
    # venv's own site-packages, so the wheel's `bot` wins); the package itself is installed
    # as a wheel, exactly as `pip install .` does.
    fresh_site = Path(
        _run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])",
             cwd=tmp_path, env=dict(os.environ)).strip()
    )  # fmt: skip
    (fresh_site / "deps-of-the-test-run.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
           "LANG": "C.UTF-8", "DATABASE_PATH": str(tmp_path / "db.sqlite3")}  # fmt: skip
    _run(sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", source,
         cwd=tmp_path, env={**os.environ, **env})  # fmt: skip
    shutil.rmtree(source)  # nothing may be read from the sources any more

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = _run(python, "-c", "import bot; print(bot.__file__)", cwd=elsewhere, env=env)
    assert where.startswith(str(venv)), where
    checked = _run(python, "-m", "bot", "catalog", "check", cwd=elsewhere, env=env)
    assert "catalog is valid" in checked, checked
    # The translations ship too: a Kazakh match needs locales/kk.
    kazakh = _run(python, "-m", "bot", "match", "--age", "17", "--child-months", "2",
                  "--city", "Алматы", "--need", "shelter", "--lang", "kk",
                  cwd=elsewhere, env=env)  # fmt: skip
    assert "Алматы" in kazakh and "ұйым" in kazakh, kazakh
    helped = _run(venv / "bin" / "ana-komek", "--help", cwd=elsewhere, env=env)
    assert helped.startswith("usage: ana-komek"), helped
