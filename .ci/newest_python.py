"""Print the newest Python 3 on this machine that is newer than the one running this script.

Looks at every `python3.N` on PATH and under pyenv (`$PYENV_ROOT`, else ~/.pyenv). Prints
nothing when there is none, so CI can say in one line that it skipped that run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

_NAME = re.compile(r"^python3\.(\d+)$")
_ASK = "import sys; v = sys.version_info; print(v.major, v.minor, v.releaselevel)"


def candidates() -> list[Path]:
    found = [Path(d) / f.name for d in os.get_exec_path() if Path(d).is_dir()
             for f in Path(d).iterdir() if _NAME.match(f.name)]  # fmt: skip
    pyenv = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    if pyenv.is_dir():
        found += [p for p in pyenv.glob("3.*/bin/python3.*") if _NAME.match(p.name)]
    return found


def version(python: Path) -> tuple[int, int] | None:
    """The interpreter's (major, minor), or None when it does not run or is a pre-release."""
    try:
        done = subprocess.run(
            [python, "-c", _ASK], capture_output=True, text=True, timeout=30, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    major, minor, level = done.stdout.split()
    return (int(major), int(minor)) if level == "final" else None


def main() -> int:
    best: tuple[tuple[int, int], Path] | None = None
    for python in candidates():
        found = version(python)
        if found is not None and found > sys.version_info[:2] and (best is None or found > best[0]):
            best = (found, python)
    if best is not None:
        print(best[1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
