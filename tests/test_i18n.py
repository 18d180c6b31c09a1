"""Both languages are complete and correct, and the check that says so can fail."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

import bot
from bot import i18n_tools
from bot.core.durations import parse_duration
from bot.i18n import LANGUAGES, LOCALES_DIR, compile_catalog, translator


def test_every_message_has_a_kk_and_a_ru_translation_with_the_same_placeholders() -> None:
    problems = i18n_tools.check()
    assert problems == [], "\n".join(map(str, problems))


def test_the_committed_template_matches_the_code() -> None:
    with (LOCALES_DIR / "messages.pot").open("rb") as handle:
        committed = {m.id for m in read_po(handle) if m.id}
    extracted = {m.id for m in i18n_tools.extract_template() if m.id}
    assert committed == extracted, "run: python -m bot i18n extract"


def test_translations_differ_from_english_and_between_languages() -> None:
    kk, ru = translator("kk"), translator("ru")
    template = [m for m in i18n_tools.extract_template() if m.id and isinstance(m.id, str)]
    same = set()
    for message in template:
        assert isinstance(message.id, str)
        if kk._(message.id) == ru._(message.id):
            same.add(message.id)
    # Language-neutral on purpose: the name, the language switch, a pin, a report line of
    # numbers and names only; and one word both languages share.
    assert same <= {
        "Ana Komek", "Қазақша / Русский", "📍 {place}", "a psychologist",
        "#{number} · {age} · «{name}» ({id}): {reason}",
    }  # fmt: skip
    assert kk._("a psychologist") == "психолог"
    assert ru._("Find help") != "Find help"
    assert kk._("Find help") != "Find help"


@pytest.mark.parametrize(
    ("n", "word"),
    [(1, "организация"), (2, "организации"), (4, "организации"), (5, "организаций"),
     (11, "организаций"), (21, "организация"), (111, "организаций")],
)  # fmt: skip
def test_russian_uses_its_three_plural_forms(n: int, word: str) -> None:
    text = (
        translator("ru")
        .ngettext(
            "{count} organisation in {where} can help you.",
            "{count} organisations in {where} can help you.",
            n,
        )
        .format(count=n, where="Алматы")
    )
    assert f"{n} {word}" in text
    assert "Алматы" in text


@pytest.mark.parametrize("n", [1, 2, 5, 21])
def test_kazakh_says_a_count_the_same_way(n: int) -> None:
    text = (
        translator("kk")
        .ngettext(
            "{count} organisation in {where} can help you.",
            "{count} organisations in {where} can help you.",
            n,
        )
        .format(count=n, where="Алматы")
    )
    assert f"{n} ұйым" in text


@pytest.mark.parametrize(
    ("iso", "kk", "ru"),
    [("P6M", "6 ай", "6 месяцев"), ("P18M", "18 ай", "18 месяцев"), ("PT2H", "2 сағат", "2 часа"),
     ("P1M", "1 ай", "1 месяц"), ("P3Y", "3 жыл", "3 года"), ("P9M", "9 ай", "9 месяцев")],
)  # fmt: skip
def test_stays_are_said_in_the_unit_the_catalog_wrote(iso: str, kk: str, ru: str) -> None:
    duration = parse_duration(iso)
    assert translator("kk").duration(duration) == kk
    assert translator("ru").duration(duration) == ru


def _copy_locales(tmp_path: Path) -> Path:
    target = tmp_path / "locales"
    shutil.copytree(LOCALES_DIR, target)
    return target


def _edit_ru(locales: Path, msgid: str, new: str | None, fuzzy: bool = False) -> None:
    path = i18n_tools.po_path("ru", locales)
    with path.open("rb") as handle:
        catalog = read_po(handle, locale="ru")
    message = catalog.get(msgid)
    assert message is not None
    if new is not None:
        message.string = new
    if fuzzy:
        message.flags.add("fuzzy")
    with path.open("wb") as handle:
        write_po(handle, catalog)


def test_the_check_catches_a_changed_placeholder(tmp_path: Path) -> None:
    locales = _copy_locales(tmp_path)
    _edit_ru(locales, "Where you are: {place}.", "Там, где вы: {city}.")
    problems = i18n_tools.check(locales)
    assert [(p.lang, p.msgid) for p in problems] == [("ru", "Where you are: {place}.")]


def test_the_check_catches_a_missing_translation_and_fuzzy_is_not_shown(tmp_path: Path) -> None:
    locales = _copy_locales(tmp_path)
    _edit_ru(locales, "Find help", None, fuzzy=True)
    _edit_ru(locales, "Done.", "")
    problems = {(p.msgid, p.message) for p in i18n_tools.check(locales)}
    assert ("Find help", "marked fuzzy") in problems
    assert ("Done.", "not translated (all plural forms)") in problems
    # A fuzzy translation is a guess: the compiled catalog leaves it out.
    assert compile_catalog("ru", locales).gettext("Find help") == "Find help"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_compiled_catalogs_load_once(lang: str) -> None:
    assert translator(lang) is translator(lang)
    assert translator(lang).lang == lang


def test_extract_changes_nothing_when_nothing_changed(tmp_path: Path) -> None:
    """The committed files are what `i18n extract` writes, so a clean checkout stays clean
    (only the creation date would differ, and a date alone is not a change)."""
    locales = _copy_locales(tmp_path)
    before = {p: p.read_bytes() for p in sorted(locales.rglob("*.po*"))}
    assert i18n_tools.extract(locales) == []
    assert {p: p.read_bytes() for p in sorted(locales.rglob("*.po*"))} == before


def test_extract_rewrites_only_the_files_that_differ_from_the_code(tmp_path: Path) -> None:
    locales = _copy_locales(tmp_path)
    pot = locales / "messages.pot"
    pot.write_bytes(pot.read_bytes().replace(b'msgid "Find help"', b'msgid "Find help!"'))
    po_files = {p: p.read_bytes() for p in sorted(locales.rglob("*.po"))}
    assert i18n_tools.extract(locales) == [pot]
    assert b'msgid "Find help"\n' in pot.read_bytes()
    assert {p: p.read_bytes() for p in sorted(locales.rglob("*.po"))} == po_files
    assert i18n_tools.extract(locales) == []  # and a second run finds nothing to do


# --- no translated call inside an f-string ---

# The calls the extractor reads (`t._`, `gettext`, `ngettext`, `N_`). Inside an f-string
# Python 3.11's tokenizer hides them from it (the admin saw English), while 3.12+ sees them
# (and `i18n check` failed there): a translated text is never built inside an f-string.
_TRANSLATING = frozenset({"_", "gettext", "ngettext", "N_"})


def translated_calls_in_fstrings(source: str) -> list[int]:
    """Lines of `source` where a translating call stands inside an f-string."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.JoinedStr):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.Call):
                func = inner.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name in _TRANSLATING:
                    found.append(inner.lineno)
    return found


def test_the_f_string_check_finds_a_translated_call() -> None:
    source = "a = f\"{t._('Done.')}!\"\nb = f\"{n}\"\nc = f\"x {ngettext('a', 'b', n)}\"\n"
    assert translated_calls_in_fstrings(source) == [1, 3]


def test_no_translated_call_stands_inside_an_f_string() -> None:
    package = Path(bot.__file__).resolve().parent
    found = [
        f"{path.relative_to(package.parent)}:{line}"
        for path in sorted(package.rglob("*.py"))
        for line in translated_calls_in_fstrings(path.read_text(encoding="utf-8"))
    ]
    assert found == [], "build the text outside the f-string: " + ", ".join(found)


# --- a need without words stops the bot at start-up, not at a mother's tap ---


def test_a_need_without_a_label_stops_the_bot_when_it_starts() -> None:
    """A new `Need` member without words in `render.need_words` (mypy says so too)."""
    code = (
        "import enum\n"
        "import bot.core.codes as codes\n"
        "members = {m.name: m.value for m in codes.Need} | {'NEW_NEED': 'new_need'}\n"
        "codes.Need = enum.StrEnum('Need', members)\n"
        "import bot.render\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode != 0
    assert "AssertionError" in run.stderr and "new_need" in run.stderr


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_need_has_its_label_and_short_words_in_both_languages(lang: str) -> None:
    from bot.core.codes import Need
    from bot.render import NEED_LABELS, NEED_SHORT

    t = translator(lang)
    for need in Need:
        for table in (NEED_LABELS, NEED_SHORT):
            assert t._(table[need]) != table[need], (lang, need)
