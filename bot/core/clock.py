"""The bot's one clock: seconds since the epoch.

Everything that stamps or expires something (history rows, invite links, waits for a
message, stored conversations) reads it here as `clock.now()`, so a test moves time for all
of them in one place.
"""

from __future__ import annotations

import time


def now() -> float:
    """Seconds since the epoch."""
    return time.time()
