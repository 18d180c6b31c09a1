"""How big each field of a center's entry may be.

A card is read on a phone, and a page of results is one Telegram message (4,096
characters): one entry with twenty numbers or a 4,000-character website once left every
mother it matched without results. Each bound is checked where a value enters (data files,
/set, /edit, /add, a center's invite link) and again when a card is put into words, so an
entry stored before the bounds existed cannot break a page either.
"""

from __future__ import annotations

MAX_PHONES = 5
MAX_HOURS_CHARS = 80  # "Пн–Пт 9:00–18:00, Сб 10:00–14:00": a short free text
MAX_URL_CHARS = 300  # a website or a phone's source, shown or linked
MAX_SOURCE_URL_CHARS = 1000  # public pages the entry stands on (admins read them, not mothers)
MAX_SOURCES = 20
MAX_NAME_CHARS = 200
MAX_SUMMARY_CHARS = 700
MAX_ADDRESS_CHARS = 300
MAX_STATUS_REASON_CHARS = 300
MAX_NOTES_CHARS = 4000  # for admins only, never on a card

# Stays a shelter can mean: the shortest stay may be counted in hours ("PT2H": a night's
# rest at a crisis center), the longest from a day up to three years.
MIN_STAY_HOURS = 1
MIN_LONGEST_STAY_HOURS = 24
MAX_STAY_HOURS = 3 * 365 * 24


def cut(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, with «…» where it was cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
