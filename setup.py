"""Ships the catalog (`data/`) and the translations (`locales/`) inside the wheel.

They stay at the top of the repository, where people review them. A wheel (`pip install .`)
gets a copy under `bot/_shipped/`; an editable install (`pip install -e .`) reads them in
place. `bot/shipped.py` looks in both places. Everything else is in pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SHIPPED = ("data", "locales")


class BuildPyWithCatalog(build_py):  # type: ignore[misc]
    """build_py that also copies data/ and locales/ into the package of a wheel."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        for name in SHIPPED:
            target = Path(self.build_lib, "bot", "_shipped", name)
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(name, target, ignore=shutil.ignore_patterns("*.mo", "__pycache__"))


setup(cmdclass={"build_py": BuildPyWithCatalog})
