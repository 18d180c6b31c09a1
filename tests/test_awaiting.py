"""What someone is awaited for lives in memory only, and not past its deadline."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

from bot.catalog.changes import Field
from bot.tg.awaiting import awaited, drop_expired
from bot.tg.editing import NewValue


def test_waits_past_their_deadline_are_dropped() -> None:
    services: Any = SimpleNamespace(
        waiting={
            1: NewValue(center_id="a", field=Field.HOURS, until=time.time() - 1),
            2: NewValue(center_id="b", field=Field.HOURS),
            3: "not a wait",
        }
    )
    assert awaited(services, 2) is not None
    assert drop_expired(services) == 2
    assert list(services.waiting) == [2]
    assert awaited(services, None) is None
