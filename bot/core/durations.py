"""Stay limits as ISO 8601 durations ("PT2H", "P10D", "P6M", "P1Y"), kept exactly as written."""

from __future__ import annotations

import re
from datetime import timedelta
from functools import total_ordering
from typing import Literal, cast

DurationUnit = Literal["year", "month", "week", "day", "hour"]

_PATTERN = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?)?$")
# Calendar units as babel counts them, so that "P6M" is displayed as 6 months, not 5.
_UNITS = ("year", "month", "week", "day", "hour")
_DAYS_PER_YEAR = 365
_DAYS_PER_MONTH = 30


@total_ordering
class StayDuration:
    """A stay limit; `hours` orders them, `iso` is what the data file says.

    A plain class rather than a dataclass so that the catalog's JSON keeps it as its ISO
    string (see `bot.catalog.store`), exactly as the data file writes it.
    """

    __slots__ = ("hours", "iso")

    def __init__(self, hours: int, iso: str) -> None:
        self.hours = hours
        self.iso = iso

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StayDuration) and (self.hours, self.iso) == (
            other.hours,
            other.iso,
        )

    def __lt__(self, other: StayDuration) -> bool:
        return (self.hours, self.iso) < (other.hours, other.iso)

    def __hash__(self) -> int:
        return hash((self.hours, self.iso))

    def __repr__(self) -> str:
        return f"StayDuration({self.iso!r})"

    @property
    def timedelta(self) -> timedelta:
        """The duration as a timedelta, for babel's `format_timedelta`."""
        return timedelta(hours=self.hours)

    @property
    def unit(self) -> DurationUnit:
        """The unit to say it in, as written: "P18M" is 18 months, never "1 year"."""
        match = _PATTERN.match(self.iso)
        assert match is not None
        units = [u for u, g in zip(_UNITS, match.groups(), strict=True) if g]
        if len(units) == 1:
            return cast(DurationUnit, units[0])
        # Mixed units ("P1Y6M", "P1DT12H") are said in the smallest one that is exact.
        if "hour" in units:
            return "hour"
        return "day" if {"week", "day"} & set(units) else "month"


def parse_duration(text: str) -> StayDuration:
    """Parse an ISO 8601 duration of years, months, weeks, days and hours."""
    match = _PATTERN.match(text.strip())
    if not match or text.strip() in ("P", "PT") or not any(match.groups()):
        raise ValueError(f"not an ISO 8601 duration like P6M or PT2H: {text!r}")
    years, months, weeks, days, hours = (int(g) if g else 0 for g in match.groups())
    total_days = years * _DAYS_PER_YEAR + months * _DAYS_PER_MONTH + weeks * 7 + days
    return StayDuration(hours=total_days * 24 + hours, iso=text.strip())
