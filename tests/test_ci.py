"""CI runs what the README says, the pre-commit hooks are CI's checks, and the second test
run finds the newest Python there is (or says in one line that there is none)."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

CI = REPO / ".ci" / "run"


def _readme_test_command() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    found = re.search(r"Run the tests.*?```sh\n(.+?)\n```", readme, re.DOTALL)
    assert found is not None, "the README's test command"
    return found.group(1)


def _ci_commands() -> list[str]:
    lines = CI.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line and not line.startswith(("#", " ", "set ", "cd "))]


def test_ci_runs_the_readme_test_command_first() -> None:
    command = _readme_test_command()
    assert "pytest" in command and "-n " in command  # in parallel: under a minute on 2 cores
    assert _ci_commands()[0] == command


def test_every_linter_of_ci_is_a_pre_commit_hook_and_back() -> None:
    linters = {line for line in _ci_commands() if line.startswith(".venv/bin/")}
    assert {line.split()[0] for line in linters} >= {".venv/bin/ruff", ".venv/bin/mypy"}
    config = (REPO / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    hooks = set(re.findall(r"^\s+entry: (.+)$", config, re.MULTILINE))
    assert linters <= hooks
    # The one hook CI does not run as a line: the test suite checks the translations.
    assert hooks - linters == {".venv/bin/python -m bot i18n check"}


def _fake_python(folder: Path, name: str, answer: str) -> Path:
    path = folder / name
    path.write_text(f"#!/bin/sh\necho {answer}\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def _newest(path: str, home: Path) -> str:
    done = subprocess.run(
        [sys.executable, str(REPO / ".ci" / "newest_python.py")],
        env={"PATH": path, "HOME": str(home)}, capture_output=True, text=True, timeout=60,
        check=True,
    )  # fmt: skip
    return done.stdout.strip()


def test_the_second_run_takes_the_newest_final_python(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    pyenv = tmp_path / ".pyenv" / "versions" / "3.98.0" / "bin"
    pyenv.mkdir(parents=True)
    _fake_python(bin_dir, "python3.97", "3 97 final")
    newest = _fake_python(pyenv, "python3.98", "3 98 final")
    _fake_python(bin_dir, "python3.99", "3 99 alpha")  # a pre-release is not a target
    assert _newest(str(bin_dir), tmp_path) == str(newest)


def test_without_a_newer_python_nothing_is_named(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _fake_python(bin_dir, "python3.10", "3 10 final")
    assert _newest(str(bin_dir), tmp_path) == ""
    assert "skipped the second test run" in CI.read_text(encoding="utf-8")


def test_the_script_is_executable_by_bash() -> None:
    assert subprocess.run(["bash", "-n", str(CI)], check=False).returncode == 0
    assert os.access(CI, os.R_OK)
