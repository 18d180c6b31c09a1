"""Start links that hand the bot to a woman already set up: language, place, and where from.

Staff give out `https://t.me/<bot>?start=<payload>`; Telegram then sends `/start <payload>`
when she opens the bot. The payload grammar is deliberately tiny, because anyone can edit a
link and the bot must never act on a half-understood one:

    <lang>                   kk | ru
    <lang>_<place>           place: a catalog place id, e.g. almaty, north-kazakhstan
    <lang>_<place>_<source>  source: [a-z0-9]{1,16}, where the link was handed out (h111)

`_` separates the parts because place ids use `-` and Telegram allows only
`[A-Za-z0-9_-]{1,64}` in a payload. Anything else parses to None, and the bot then runs the
normal start without a word: a broken link must not confuse her or reveal what it meant.
Pure code (no I/O, no Telegram) so the bot, the staff dialog and the tests share one truth.
"""

from __future__ import annotations

import re
from collections.abc import Container
from dataclasses import dataclass
from typing import Final

from bot.core.codes import LANGUAGES

MAX_PAYLOAD_LENGTH: Final = 64
"""Telegram ignores a longer start parameter, so we never produce or accept one."""
MAX_SOURCE_LENGTH: Final = 16

_TELEGRAM_PAYLOAD: Final = re.compile(rf"[A-Za-z0-9_-]{{1,{MAX_PAYLOAD_LENGTH}}}")
_PLACE: Final = re.compile(r"[a-z0-9][a-z0-9-]*")
_SOURCE: Final = re.compile(rf"[a-z0-9]{{1,{MAX_SOURCE_LENGTH}}}")
# Telegram usernames: 5–32 letters, digits and underscores, starting with a letter (collectible
# ones may have 4). Checked so that a misconfigured name never ends up printed on a poster.
_USERNAME: Final = re.compile(r"[A-Za-z][A-Za-z0-9_]{3,31}")
_SEPARATOR: Final = "_"


@dataclass(frozen=True, slots=True)
class StartLink:
    """What a start link pre-fills. `source` needs a `place`: the grammar has no `<lang>_<src>`."""

    lang: str
    place: str | None = None
    source: str | None = None

    def payload(self) -> str:
        """The start parameter; ValueError if this link cannot be written in the grammar.

        Raising (rather than truncating or dropping a part) matters: a staffer must never
        print a poster whose link silently means something other than what she chose.
        """
        if self.lang not in LANGUAGES:
            raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, got {self.lang!r}")
        parts = [self.lang]
        if self.place is not None:
            if not _PLACE.fullmatch(self.place):
                raise ValueError(f"not a place id: {self.place!r}")
            parts.append(self.place)
        if self.source is not None:
            if self.place is None:
                raise ValueError("a source can only be given together with a place")
            if not _SOURCE.fullmatch(self.source):
                raise ValueError(
                    f"a source is 1–{MAX_SOURCE_LENGTH} of a-z and 0-9, got {self.source!r}"
                )
            parts.append(self.source)
        payload = _SEPARATOR.join(parts)
        if len(payload) > MAX_PAYLOAD_LENGTH:
            raise ValueError(
                f"the start parameter would be {len(payload)} characters; "
                f"Telegram allows {MAX_PAYLOAD_LENGTH}"
            )
        return payload

    def link(self, bot_username: str) -> str:
        """`https://t.me/<bot_username>?start=<payload>`; ValueError for a bad username."""
        if not _USERNAME.fullmatch(bot_username):
            raise ValueError(f"not a Telegram username: {bot_username!r}")
        return f"https://t.me/{bot_username}?start={self.payload()}"


def parse_start_payload(payload: str, known_places: Container[str]) -> StartLink | None:
    """The StartLink a `/start` payload asks for, or None for anything outside the grammar.

    A place must be in `known_places` (the current catalog): a link printed before a place was
    removed then simply opens the bot without a place instead of pointing at nothing.
    """
    if not _TELEGRAM_PAYLOAD.fullmatch(payload):
        return None
    parts = payload.split(_SEPARATOR)
    if len(parts) > 3:
        return None
    lang, place, source = parts[0], _part(parts, 1), _part(parts, 2)
    if lang not in LANGUAGES:
        return None
    if place is not None and not (_PLACE.fullmatch(place) and place in known_places):
        return None
    if source is not None and not _SOURCE.fullmatch(source):
        return None
    return StartLink(lang=lang, place=place, source=source)


def parse_source(text: str) -> str | None:
    """A source name as a staffer types it (` Roddom5 ` → `roddom5`), or None if unusable.

    Only case and surrounding spaces are forgiven; anything else is refused rather than
    rewritten, so the name she sees in the statistics is the one she typed.
    """
    source = text.strip().lower()
    return source if _SOURCE.fullmatch(source) else None


def _part(parts: list[str], index: int) -> str | None:
    return parts[index] if index < len(parts) else None
