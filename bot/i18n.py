"""Translations: gettext catalogs for kk and ru, compiled from locales/*.po once at start-up.

The language is chosen per update (from the mother's choice) and passed around as a
`Translator`; there is no module-global "current language".
"""

from __future__ import annotations

import gettext
import io
from dataclasses import dataclass
from datetime import date
from functools import cache, cached_property
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_timedelta
from babel.lists import format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.core import codes
from bot.core.durations import StayDuration
from bot.shipped import LOCALES_DIR as LOCALES_DIR  # callers import it from here

DOMAIN = "messages"
LANGUAGES = codes.LANGUAGES


def N_(message: str) -> str:
    """Mark a module-level string for extraction; translate it later with `Translator._`."""
    return message


class MissingCatalogError(RuntimeError):
    """A language's .po file is missing: the bot would answer her in English."""


def compile_catalog(lang: str, locales_dir: Path = LOCALES_DIR) -> gettext.GNUTranslations:
    """Compile `locales/<lang>/LC_MESSAGES/messages.po` into a translations object in memory.

    Fuzzy entries are left out, as msgfmt does: a guessed translation is not shown.
    """
    po_path = locales_dir / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po_path.is_file():
        raise MissingCatalogError(f"no translations for {lang!r}: {po_path} is missing")
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


@dataclass(frozen=True)
class Translator:
    """Everything language-dependent for one language: messages, plurals, durations, lists."""

    lang: str
    translations: gettext.GNUTranslations

    @cached_property
    def locale(self) -> Locale:
        """babel's locale data, parsed once (babel would parse it on every call)."""
        return Locale.parse(self.lang)

    def _(self, message: str) -> str:
        """Translate a message; fill placeholders afterwards with `.format()`."""
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """Translate with the language's CLDR plural forms (Russian has three)."""
        return self.translations.ngettext(singular, plural, n)

    def duration(self, value: StayDuration) -> str:
        """Say "6 ай" / "6 месяцев" in the unit the catalog wrote: "P18M" stays 18 months.

        babel's format_unit has no Kazakh duration patterns; format_timedelta does, and a
        granularity with an unreachable threshold makes it use exactly that unit.
        """
        return str(
            format_timedelta(
                value.timedelta, granularity=value.unit, threshold=1e9, locale=self.locale
            )
        )

    def join(self, items: list[str]) -> str:
        """ "a, b and c" in the language's own style.

        babel's Kazakh pattern drops «және» for three or more items ("а, б, в"); the last
        pair is joined here the way Kazakh writes it ("а, б және в").
        """
        if not items:
            return ""
        if self.lang == "kk" and len(items) >= 3:
            return ", ".join(items[:-1]) + " және " + items[-1]
        return str(format_list(items, locale=self.locale))

    def date(self, value: date) -> str:
        """A date as people write it in this language."""
        return str(format_date(value, format="long", locale=self.locale))


@cache
def translator(lang: str) -> Translator:
    """The translator for `lang`, compiled once per process."""
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}")
    return Translator(lang, compile_catalog(lang))
