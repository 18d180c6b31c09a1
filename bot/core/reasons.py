"""What matching says about a center, as typed values: why it fits, what to know first, why
it was left out. Rendered in words in one place (`bot.render`), exhaustively."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.core.codes import Exclusion, Need, Requirement, Status
from bot.core.durations import StayDuration


@dataclass(frozen=True, slots=True)
class Span:
    """A limit as the sources give it: one value, or the lowest and highest when they differ."""

    low: int
    high: int
    # One value that nobody confirmed (or that another source contradicts without a number).
    unconfirmed: bool = False

    @property
    def disputed(self) -> bool:
        return self.low != self.high


# --- why a center fits, in the order a mother wants to hear it ---


@dataclass(frozen=True, slots=True)
class InYourCity:
    place: str


@dataclass(frozen=True, slots=True)
class InYourRegion:
    region: str
    # Named only when the center is too far to call near (see `matching.NEAR_KM`), with
    # the town it is in.
    km: float | None = None
    approximate: bool = False
    place: str | None = None


@dataclass(frozen=True, slots=True)
class Nearby:
    place: str | None
    region: str | None
    km: float | None
    # Measured to its region's main town: its own town's point is unknown.
    approximate: bool = False


@dataclass(frozen=True, slots=True)
class National:
    pass


@dataclass(frozen=True, slots=True)
class Offers:
    needs: tuple[Need, ...]


@dataclass(frozen=True, slots=True)
class AcceptsMothers:
    min: Span | None
    max: Span | None


@dataclass(frozen=True, slots=True)
class AcceptsPregnant:
    pass


@dataclass(frozen=True, slots=True)
class AcceptsChildUpTo:
    months: Span


@dataclass(frozen=True, slots=True)
class StaysFor:
    min: StayDuration | None
    max: StayDuration
    exceptional: StayDuration | None
    # When the sources disagree on the longest stay: `max` is the shortest they give, this
    # the longest.
    disputed_to: StayDuration | None = None


Reason = (
    InYourCity | InYourRegion | Nearby | National | Offers | AcceptsMothers | AcceptsPregnant
    | AcceptsChildUpTo | StaysFor
)  # fmt: skip


# --- what she should know before she goes ---


class LimitKind(StrEnum):
    MOTHER_AGE_MIN = "mother_age_min"
    MOTHER_AGE_MAX = "mother_age_max"
    CHILD_AGE_MIN = "child_age_min_months"
    CHILD_AGE_MAX = "child_age_max_months"


@dataclass(frozen=True, slots=True)
class Requires:
    code: Requirement


@dataclass(frozen=True, slots=True)
class DoesNotAccept:
    code: Exclusion


@dataclass(frozen=True, slots=True)
class MinorCallFirst:
    pass


@dataclass(frozen=True, slots=True)
class PregnancyUnknown:
    pass


@dataclass(frozen=True, slots=True)
class Unconfirmed:
    pass


@dataclass(frozen=True, slots=True)
class CheckLimit:
    """A disputed or unconfirmed limit she may fall outside of: ask, never leave her out."""

    limit: LimitKind
    span: Span


Condition = Requires | DoesNotAccept | MinorCallFirst | PregnancyUnknown | Unconfirmed | CheckLimit


# --- why a center was left out (for `--explain` and the admins) ---


@dataclass(frozen=True, slots=True)
class NotActive:
    status: Status


@dataclass(frozen=True, slots=True)
class MotherTooYoung:
    min: int


@dataclass(frozen=True, slots=True)
class MotherTooOld:
    max: int


@dataclass(frozen=True, slots=True)
class NoPregnant:
    pass


@dataclass(frozen=True, slots=True)
class ChildTooOld:
    max_months: int


@dataclass(frozen=True, slots=True)
class ChildTooYoung:
    min_months: int


@dataclass(frozen=True, slots=True)
class Excludes:
    code: Exclusion


@dataclass(frozen=True, slots=True)
class NoNeededService:
    pass


@dataclass(frozen=True, slots=True)
class FartherThanOthers:
    pass


LeftOut = (
    NotActive | MotherTooYoung | MotherTooOld | NoPregnant | ChildTooOld | ChildTooYoung
    | Excludes | NoNeededService | FartherThanOthers
)  # fmt: skip
