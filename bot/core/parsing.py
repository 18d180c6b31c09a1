"""Free-text answers in Kazakh or Russian: her age and her child's age (or pregnancy)."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Plausible ages are taken as typed; rarer ones are confirmed first; the rest re-asked.
PLAUSIBLE_AGE = range(10, 61)
POSSIBLE_AGE = range(1, 100)
MAX_CHILD_MONTHS = 18 * 12
_DAYS_PER_MONTH = 30.44

# Whole numbers only: "1234" is one number (too big), never "123" and "4".
_NUMBER = re.compile(r"(?<![\d-])(\d+(?:[.,]\d+)?)(?![\d])")
# A number and the word after it: "2 года 3 месяца" is two such pairs.
_AMOUNT = re.compile(r"(\d+(?:[.,]\d+)?)\s*([^\d\s.,]*)")
# Longer numbers are no age of anyone; they are refused before any arithmetic.
_MAX_DIGITS = 4
_NEGATIVE = re.compile(r"-\s*\d")
# Cyrillic first, then the Latin spellings of Kazakh people also type ("zhuktimin", "3 ai").
_PREGNANT = re.compile(
    r"беремен|жүкті|жукти|pregnan|бала күт|жду ребе|жду ребё|жду малыш|екіқабат"
    r"|zhukti|jukti|jükti|berem"
)
_NEWBORN = re.compile(r"новорожд|только родил|жаңа туған|жана туган|жаңа босан")
_HALF = re.compile(r"полтор|жарым")
_NUMBER_AND_HALF = re.compile(r"(\d+)\s*жарым")
_UNITS: tuple[tuple[re.Pattern[str], float], ...] = (
    (re.compile(r"ай|мес|month|ai|ay|mes"), 1.0),
    (re.compile(r"жас|жыл|год|лет|year|jas|zhas|jyl|zhyl|god|let"), 12.0),
    (re.compile(r"апта|нед|week|apta|ned"), 7 / _DAYS_PER_MONTH),
    (re.compile(r"күн|кун|ден|дня|дн|day|kun|den|dn"), 1 / _DAYS_PER_MONTH),
)


@dataclass(frozen=True)
class AgeAnswer:
    """Her age in years, and whether it is plausible enough to take without asking back."""

    years: int
    plausible: bool


@dataclass(frozen=True)
class ChildAnswer:
    """Pregnant, or a child of this many whole months."""

    pregnant: bool
    months: int | None = None


def parse_age(text: str) -> AgeAnswer | None:
    """The first whole number in the text, if it can be a person's age."""
    if _NEGATIVE.search(text):
        return None
    match = _NUMBER.search(text)
    if not match or not match.group(1).isdigit() or len(match.group(1)) > _MAX_DIGITS:
        return None
    years = int(match.group(1))
    if years not in POSSIBLE_AGE:
        return None
    return AgeAnswer(years=years, plausible=years in PLAUSIBLE_AGE)


def parse_child(text: str) -> ChildAnswer | None:
    """ "жүктімін", "беременна", "3 ай", "1,5 года", "полтора года", "2 апта" and the like."""
    folded = text.casefold()
    if _PREGNANT.search(folded):
        return ChildAnswer(pregnant=True)
    if _NEWBORN.search(folded):
        return ChildAnswer(pregnant=False, months=0)
    if _NEGATIVE.search(folded):
        return None
    half = _HALF.search(folded)
    if half and not _NUMBER.search(folded):
        # "полтора года", "бір жарым ай": one and a half of the unit that follows.
        for word in folded[half.end() :].split():
            unit = _unit(word)
            if unit is not None:
                return ChildAnswer(pregnant=False, months=int(1.5 * unit + 1e-9))
        return None
    folded = _NUMBER_AND_HALF.sub(r"\1.5", folded)  # "1 жарым жас" is 1.5 years
    months = 0.0
    found = False
    for number, word in _AMOUNT.findall(folded):
        unit = _unit(word)
        if unit is None:
            continue
        if len(number.split(",")[0].split(".")[0]) > _MAX_DIGITS:
            return None  # "99999999999999999999 месяцев" is no child's age
        months += float(number.replace(",", ".")) * unit
        found = True
    if not found or months > MAX_CHILD_MONTHS:
        return None
    return ChildAnswer(pregnant=False, months=int(months + 1e-9))


def _unit(word: str) -> float | None:
    """Months per unit named by `word` ("ай", "года", "апта", …), if it names one."""
    for pattern, months_per_unit in _UNITS:
        if pattern.match(word):
            return months_per_unit
    return None
