"""The committed benchmark still runs (at tiny sizes: its numbers mean nothing here).

One test per part of the benchmark: the parts mostly wait (bots in their own processes, a
modelled Bot API), so run as separate tests they overlap on the parallel test workers instead
of adding up to the longest test of the suite.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.conftest import REPO

# Each part of `python -m bench` and the lines of its table that show it ran.
MEASURES = {
    "matching": ("search p99",),
    "load": ("catalog load",),
    "processes": ("Bot API calls per update", "echo bot", "live conversations"),
    "sos": ("SOS answer",),
    "relay": ("consultant's reply",),
}


def test_every_part_of_the_benchmark_is_smoke_tested() -> None:
    source = (REPO / "bench" / "__main__.py").read_text(encoding="utf-8")
    found = re.search(r'"--parts",\s*default="([a-z,]+)"', source)
    assert found is not None, "the --parts default of the benchmark"
    assert found.group(1).split(",") == list(MEASURES)


@pytest.mark.slow
@pytest.mark.parametrize("part", list(MEASURES))
def test_the_benchmark_runs_in_quick_mode(part: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--parts", part],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    for measure in MEASURES[part]:
        assert measure in done.stdout, done.stdout
