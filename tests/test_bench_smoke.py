"""The committed benchmark still runs (at tiny sizes: its numbers mean nothing here)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import REPO


@pytest.mark.slow
def test_the_benchmark_runs_in_quick_mode() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick"],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    table = done.stdout
    for measure in ("search p99", "catalog load", "Bot API calls per update", "echo bot",
                    "live conversations", "SOS answer", "consultant's reply"):  # fmt: skip
        assert measure in table, table
