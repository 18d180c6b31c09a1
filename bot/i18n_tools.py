"""Keep the translation files in step with the code: extract, merge, check.

`python -m bot i18n extract` rewrites locales/messages.pot from the code and merges it into
both .po files (new messages arrive empty, so `check` fails until they are translated).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po, write_po

from bot.i18n import DOMAIN, LANGUAGES, LOCALES_DIR

PACKAGE_DIR = Path(__file__).resolve().parent
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
_TAG = re.compile(r"</?[a-z]+>")


def extract_template() -> Catalog:
    """Every translatable message in the code, as a template catalog."""
    template = Catalog(project="ana-komek", domain=DOMAIN, fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
        PACKAGE_DIR, method_map=[("**.py", "python")], keywords=DEFAULT_KEYWORDS
    ):
        template.add(
            message,
            locations=[(f"bot/{filename}", lineno)],
            auto_comments=comments,
            context=context,
        )
    return template


def po_path(lang: str, locales_dir: Path = LOCALES_DIR) -> Path:
    """Where a language's catalog lives."""
    return locales_dir / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(lang: str, locales_dir: Path = LOCALES_DIR) -> Catalog:
    """A language's .po file, parsed."""
    with po_path(lang, locales_dir).open("rb") as handle:
        return read_po(handle, locale=lang)


def extract(locales_dir: Path = LOCALES_DIR) -> None:
    """Write the .pot and merge it into every language's .po file."""
    template = extract_template()
    locales_dir.mkdir(parents=True, exist_ok=True)
    with (locales_dir / f"{DOMAIN}.pot").open("wb") as handle:
        write_po(handle, template, width=100, omit_header=False, sort_output=True)
    for lang in LANGUAGES:
        path = po_path(lang, locales_dir)
        if path.is_file():
            catalog = read_catalog(lang, locales_dir)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale=lang, domain=DOMAIN, project="ana-komek", fuzzy=False)
        catalog.update(template, no_fuzzy_matching=True)
        with path.open("wb") as handle:
            write_po(handle, catalog, width=100, ignore_obsolete=True, sort_output=True)


@dataclass(frozen=True)
class I18nProblem:
    """A message that a mother would see untranslated or broken."""

    lang: str
    msgid: str
    message: str

    def __str__(self) -> str:
        return f"{self.lang}: {self.msgid!r}: {self.message}"


def _marks(text: str) -> tuple[list[str], list[str]]:
    return sorted(_PLACEHOLDER.findall(text)), sorted(_TAG.findall(text))


def _forms(value: object) -> tuple[str, ...]:
    """A message id or translation as its forms (one, or one per plural form)."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (tuple, list)):
        return tuple(str(v or "") for v in value)
    return ("",)


def check(locales_dir: Path = LOCALES_DIR) -> list[I18nProblem]:
    """Every message of the code translated in every language, not fuzzy, same placeholders."""
    template = extract_template()
    problems: list[I18nProblem] = []
    for lang in LANGUAGES:
        catalog = read_catalog(lang, locales_dir)
        for message in template:
            if not message.id:
                continue
            sources = _forms(message.id)
            msgid = sources[0]
            found = catalog.get(message.id, message.context)
            if found is None:
                problems.append(I18nProblem(lang, msgid, "missing from the .po file"))
                continue
            if found.fuzzy:
                problems.append(I18nProblem(lang, msgid, "marked fuzzy"))
            strings = _forms(found.string)
            expected_forms = catalog.num_plurals if len(sources) > 1 else 1
            if len([s for s in strings if s]) < expected_forms:
                problems.append(I18nProblem(lang, msgid, "not translated (all plural forms)"))
                continue
            wanted = _marks(sources[-1])
            for string in strings:
                if _marks(string) != wanted:
                    problems.append(
                        I18nProblem(lang, msgid, f"placeholders or tags differ: {string!r}")
                    )
    return problems
