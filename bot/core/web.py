"""What counts as a web address in the catalog: one rule for data files, edits and /add."""

from __future__ import annotations

import re

# An http(s) address with no spaces: what a source, a website or a phone's source must be.
_URL = re.compile(r"^https?://\S+$")


def is_url(text: str) -> bool:
    """True for an http(s) address (the caller strips the text first)."""
    return _URL.match(text) is not None
