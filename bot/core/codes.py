"""The language-neutral vocabulary shared by data files, matching, buttons, CLI and statistics."""

from __future__ import annotations

# Order matters: it is the order of the needs keyboard.
NEEDS: tuple[str, ...] = (
    "shelter",  # a place to live now
    "keep_baby",  # thinking of giving up the child, wants support to keep it
    "pregnancy",  # crisis pregnancy, thinking about abortion, pregnancy care
    "violence",  # violence at home
    "psychological",
    "legal",  # lawyer, documents, alimony, court
    "medical",
    "material",  # food, clothes, baby things, money
    "hiv",
    "trafficking",  # trafficking or sexual exploitation
    "work_study",  # job, training, finishing school
)
EXCLUSIONS: tuple[str, ...] = ("hiv", "mental_illness", "substance_use")
REQUIREMENTS: tuple[str, ...] = ("police_complaint", "commission_approval", "documents")
ORG_TYPES: tuple[str, ...] = ("state", "non_state")
STATUSES: tuple[str, ...] = ("active", "temporarily_closed", "closed")
COVERAGES: tuple[str, ...] = ("city", "region", "national")
REGION_KINDS: tuple[str, ...] = ("region", "city")
PHONE_KINDS: tuple[str, ...] = ("voice", "whatsapp", "telegram")
CHANNELS: tuple[str, ...] = ("voice", "whatsapp", "telegram", "chat")
CONFIDENCES: tuple[str, ...] = ("high", "medium", "low")
LANGUAGES: tuple[str, ...] = ("kk", "ru")
