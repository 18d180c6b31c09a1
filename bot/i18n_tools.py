"""Keep the translation files in step with the code: extract, merge, check.

`python -m bot i18n extract` rewrites locales/messages.pot from the code and merges it into
both .po files (new messages arrive empty, so `check` fails until they are translated).
"""

from __future__ import annotations

import io
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
# Babel stamps every write with the time; a file that differs only there has not changed.
_CREATION_DATE = re.compile(rb'^"POT-Creation-Date: [^"]*"\n', re.MULTILINE)


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


def _po_bytes(catalog: Catalog, **options: bool) -> bytes:
    # Locations name the file, not the line: moving code must not rewrite the translations.
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, include_lineno=False, sort_output=True, **options)
    return buffer.getvalue()


def _without_date(text: bytes) -> bytes:
    return _CREATION_DATE.sub(b"", text)


def _write_if_changed(path: Path, content: bytes) -> bool:
    """Write `content` unless the file already says the same (its creation date aside)."""
    if path.is_file() and _without_date(path.read_bytes()) == _without_date(content):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return True


def extract(locales_dir: Path = LOCALES_DIR) -> list[Path]:
    """Write the .pot and merge it into every language's .po file; the files it changed."""
    template = extract_template()
    changed: list[Path] = []
    pot = locales_dir / f"{DOMAIN}.pot"
    if _write_if_changed(pot, _po_bytes(template, omit_header=False)):
        changed.append(pot)
    for lang in LANGUAGES:
        path = po_path(lang, locales_dir)
        if path.is_file():
            catalog = read_catalog(lang, locales_dir)
        else:
            catalog = Catalog(locale=lang, domain=DOMAIN, project="ana-komek", fuzzy=False)
        catalog.update(template, no_fuzzy_matching=True)
        if _write_if_changed(path, _po_bytes(catalog, ignore_obsolete=True)):
            changed.append(path)
    return changed


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
