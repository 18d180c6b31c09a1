"""The language-neutral vocabulary shared by data files, matching, buttons, CLI and statistics.

Every code is a `StrEnum`: it compares equal to its value (so data files and stored JSON
keep plain strings) while mypy checks every use and `match` statements can be exhaustive.
"""

from __future__ import annotations

from enum import StrEnum


class Language(StrEnum):
    """The two languages the bot speaks."""

    KK = "kk"
    RU = "ru"

    @property
    def other(self) -> Language:
        """The language the 🌐 button switches to."""
        return Language.RU if self is Language.KK else Language.KK


class Need(StrEnum):
    """What a mother can ask for. Order matters: it is the order of the needs keyboard."""

    SHELTER = "shelter"  # a place to live now
    KEEP_BABY = "keep_baby"  # thinking of giving up the child, wants support to keep it
    PREGNANCY = "pregnancy"  # crisis pregnancy, thinking about abortion, pregnancy care
    VIOLENCE = "violence"  # violence at home
    PSYCHOLOGICAL = "psychological"
    LEGAL = "legal"  # lawyer, documents, alimony, court
    MEDICAL = "medical"
    MATERIAL = "material"  # food, clothes, baby things, money
    HIV = "hiv"
    TRAFFICKING = "trafficking"  # trafficking or sexual exploitation
    WORK_STUDY = "work_study"  # job, training, finishing school


class Exclusion(StrEnum):
    """Whom a center does not accept."""

    HIV = "hiv"
    MENTAL_ILLNESS = "mental_illness"
    SUBSTANCE_USE = "substance_use"


class Requirement(StrEnum):
    """What a center asks of her before it takes her in."""

    POLICE_COMPLAINT = "police_complaint"
    COMMISSION_APPROVAL = "commission_approval"
    DOCUMENTS = "documents"
    # A source says a complaint against the abuser is asked for, without saying to whom.
    ABUSER_COMPLAINT = "abuser_complaint"


class OrgType(StrEnum):
    STATE = "state"
    NON_STATE = "non_state"
    # The sources do not say whether it is a state body or an NGO (on a state contract?).
    UNKNOWN = "unknown"


class Status(StrEnum):
    ACTIVE = "active"
    TEMPORARILY_CLOSED = "temporarily_closed"
    CLOSED = "closed"


class Coverage(StrEnum):
    CITY = "city"
    REGION = "region"
    NATIONAL = "national"


class RegionKind(StrEnum):
    REGION = "region"
    CITY = "city"  # a city of republican significance: a region and a place at once


class PhoneKind(StrEnum):
    VOICE = "voice"
    WHATSAPP = "whatsapp"
    TELEGRAM = "telegram"


class Channel(StrEnum):
    VOICE = "voice"
    WHATSAPP = "whatsapp"
    TELEGRAM = "telegram"
    CHAT = "chat"


class Confidence(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Checked(StrEnum):
    """How an entry was last checked; a card says which, plainly."""

    DESK = "desk"  # from public sources only: nobody has spoken to the center
    PHONED = "phoned"  # an admin phoned the center
    CENTER = "center"  # the center confirmed its own entry


class Tier(StrEnum):
    """Where a fitting center is, nearest first."""

    CITY = "city"
    REGION = "region"
    NEARBY = "nearby"  # another city or region, ordered by distance
    NATIONAL = "national"


# Convenience tuples for validators and argument parsers.
LANGUAGES: tuple[str, ...] = tuple(Language)
NEEDS: tuple[Need, ...] = tuple(Need)


class ReportReason(StrEnum):
    """What is wrong with an entry, as a mother reporting it chose."""

    NO_ANSWER = "no_answer"  # the number does not answer
    CLOSED = "closed"  # the center is closed
    REFUSED = "refused"  # they did not accept her
    OTHER = "other"
