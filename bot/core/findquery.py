"""What a staffer types to look a place up for a woman: "19 жүкті Шымкент shelter pregnancy".

Plain data in, plain data out: words become her age, pregnancy or her child's age, a place
and needs (codes or their kk/ru words); the words that mean nothing are handed back so the
staffer can be told which ones. The language is guessed from the words (kk or ru), when
any of them says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.core.codes import Language, Need
from bot.core.geo import Gazetteer, Location, normalize
from bot.core.parsing import parse_child

# Stems of the words people use for each need, in both languages (and the codes).
NEED_WORDS: dict[Need, tuple[str, ...]] = {
    Need.SHELTER: ("жиль", "жилье", "приют", "убежищ", "жить", "баспана", "тұрғын", "тұратын",
                   "пана", "shelter"),
    Need.KEEP_BABY: ("оставить", "отказ", "растить", "қалдыр", "бас тарт", "keep_baby"),
    Need.PREGNANCY: ("беременност", "аборт", "жүктілік", "түсік", "pregnancy"),
    Need.VIOLENCE: ("насили", "бьет", "бьёт", "избива", "зорлық", "ұрып", "violence"),
    Need.PSYCHOLOGICAL: ("психолог", "psychological"),
    Need.LEGAL: ("юрист", "адвокат", "документ", "алимент", "заңгер", "құжат", "алимент", "legal"),
    Need.MEDICAL: ("врач", "медиц", "больниц", "дәрігер", "медицина", "medical"),
    Need.MATERIAL: ("еда", "одежд", "вещи", "продукт", "тамақ", "киім", "material"),
    Need.HIV: ("вич", "аитв", "hiv"),
    Need.TRAFFICKING: ("торговл", "эксплуат", "мәжбүр", "trafficking"),
    Need.WORK_STUDY: ("работ", "учеб", "учёб", "школ", "жұмыс", "оқу", "мектеп", "work_study"),
}  # fmt: skip
_PREGNANT_WORDS = ("жүкті", "жукти", "беремен", "pregnant")
# Letters only one of the two languages has: a word with them says which one she speaks.
_KAZAKH_LETTERS = set("әғқңөұүһі")
_KAZAKH_WORDS = {"жас", "ай", "жыл", "жүкті", "баспана", "қала", "облысы"}
_AGE = re.compile(r"^(\d{1,2})(?:\s*(?:лет|год|года|жас|жаста|y))?$")
_CHILD = re.compile(r"^(\d{1,3}(?:[.,]\d)?)\s*(м|мес|ай|a|ж|г|год|года|лет|жыл|y)$")
# Words are split at spaces and at commas that are not a decimal comma ("1,5 года").
_SEPARATORS = re.compile(r"\s+|,(?!\d)\s*")
_LANGUAGE_WORDS = {"kk": Language.KK, "ru": Language.RU, "қаз": Language.KK, "рус": Language.RU}


@dataclass
class FindQuery:
    """A staffer's lookup: whatever could be read, and the words that could not."""

    age: int | None = None
    pregnant: bool | None = None
    child_months: int | None = None
    location: Location | None = None
    needs: set[Need] = field(default_factory=set)
    language: Language | None = None
    unknown: list[str] = field(default_factory=list)


def guess_language(text: str) -> Language | None:
    """kk when a word has a Kazakh-only letter or is a common Kazakh word; ru when it has
    Cyrillic and neither; None for Latin-only text."""
    lowered = text.casefold()
    if _KAZAKH_LETTERS & set(lowered) or _KAZAKH_WORDS & set(lowered.split()):
        return Language.KK
    if re.search("[а-яё]", lowered):
        return Language.RU
    return None


def need_of(word: str) -> Need | None:
    """The need a word names, if any ("баспана", "жильё", "shelter")."""
    folded = word.casefold().replace("ё", "е")
    for need, stems in NEED_WORDS.items():
        if any(folded.startswith(stem.replace("ё", "е")) for stem in stems):
            return need
    return None


def _child(word: str) -> tuple[bool, int | None] | None:
    match = _CHILD.match(word)
    if match is None:
        return None
    parsed = parse_child(f"{match.group(1)} {_UNIT_WORD[match.group(2)]}")
    return (False, parsed.months) if parsed is not None else None


_UNIT_WORD = {
    "м": "месяцев", "мес": "месяцев", "ай": "ай", "a": "ай",
    "ж": "жыл", "г": "год", "год": "год", "года": "года", "лет": "лет", "жыл": "жыл", "y": "год",
}  # fmt: skip


def parse_find(text: str, gazetteer: Gazetteer) -> FindQuery:
    """Read a lookup line; place names of several words ("Алматы облысы") are tried whole."""
    query = FindQuery(language=guess_language(text))
    words = _SEPARATORS.split(text.strip())
    i = 0
    while i < len(words):
        word = words[i]
        folded = word.casefold()
        if folded in _LANGUAGE_WORDS:
            query.language = _LANGUAGE_WORDS[folded]
            i += 1
            continue
        if any(folded.startswith(p) for p in _PREGNANT_WORDS):
            query.pregnant, query.child_months = True, None
            i += 1
            continue
        # "19 лет", "3 ай", "1,5 года" may come as two words.
        pair = f"{folded}{words[i + 1].casefold()}" if i + 1 < len(words) else ""
        if query.age is None:
            taken = _age(folded, pair, query)
            if taken:
                i += taken
                continue
        child = _child(folded) or (_child(pair) if pair else None)
        if child is not None:
            query.pregnant, query.child_months = child
            i += 1 if _child(folded) else 2
            continue
        need = need_of(word)
        if need is not None:
            query.needs.add(need)
            i += 1
            continue
        taken = _place(words, i, gazetteer, query)
        if taken:
            i += taken
            continue
        query.unknown.append(word)
        i += 1
    return query


def _age(word: str, pair: str, query: FindQuery) -> int:
    """Her age: a number of 10 or more, alone or with "лет"/"жас"; how many words it took."""
    for taken, text in ((2, pair), (1, word)):
        match = _AGE.match(text) if text else None
        if match is not None and 10 <= int(match.group(1)) <= 99:
            query.age = int(match.group(1))
            return taken
    return 0


def _place(words: list[str], start: int, gazetteer: Gazetteer, query: FindQuery) -> int:
    """Try the longest run of words from `start` that names a place; how many it took."""
    for length in (3, 2, 1):
        if start + length > len(words):
            continue
        phrase = " ".join(words[start : start + length])
        if not normalize(phrase):
            continue
        location = gazetteer.resolve(phrase)
        if location is not None:
            query.location = location
            return length
    return 0
