"""Sentences as the mother reads them, word for word, where a template once read wrong
(the kk/ru review of December 2026): a disputed bound inside an age range, the plural form
after a number, a village that is not "your city", a warning that said "call" twice."""

from __future__ import annotations

import pytest

from bot.core.geo import Gazetteer
from bot.core.model import Catalog
from bot.core.reasons import (
    AcceptsMothers,
    CheckLimit,
    Condition,
    InYourCity,
    LimitKind,
    MotherTooOld,
    MotherTooYoung,
    Reason,
    Span,
    Unconfirmed,
)
from bot.i18n import translator
from bot.render import (
    condition_text,
    hotline_line,
    hotlines_block,
    left_out_text,
    plain,
    reason_text,
)


@pytest.mark.parametrize(
    ("reason", "lang", "expected"),
    [
        # M2: the upper age is disputed (55 or 58): the range must still read as a range.
        (AcceptsMothers(Span(18, 18), Span(55, 58)), "kk",
         "18 жастан 55–58 жасқа дейінгі аналарды қабылдайды."),
        (AcceptsMothers(Span(18, 18), Span(55, 58)), "ru", "Принимают мам от 18 до 55–58 лет."),
        (AcceptsMothers(Span(16, 18), Span(30, 31)), "kk",
         "16–18 жастан 30–31 жасқа дейінгі аналарды қабылдайды."),
        (AcceptsMothers(Span(16, 18), Span(30, 31)), "ru", "Принимают мам от 16–18 до 30–31 года."),
        # m13: a village is not "your city".
        (InYourCity("almaty"), "kk", "Сіз тұрған жерде: Алматы."),
        (InYourCity("almaty"), "ru", "Там, где вы: Алматы."),
    ],
)  # fmt: skip
def test_reasons_read_right(catalog: Catalog, reason: Reason, lang: str, expected: str) -> None:
    assert reason_text(reason, catalog, translator(lang)) == expected


@pytest.mark.parametrize(
    ("condition", "lang", "expected"),
    [
        # m5: "до 31 года", "от 21 года", "до 34 лет": the form follows the number read last.
        (CheckLimit(LimitKind.MOTHER_AGE_MAX, Span(30, 31)), "ru",
         "Возраст — до 30–31 года: источники расходятся, уточните по телефону."),
        (CheckLimit(LimitKind.MOTHER_AGE_MAX, Span(30, 34)), "ru",
         "Возраст — до 30–34 лет: источники расходятся, уточните по телефону."),
        (CheckLimit(LimitKind.MOTHER_AGE_MIN, Span(21, 21)), "ru",
         "Возраст — от 21 года: источники расходятся, уточните по телефону."),
        (CheckLimit(LimitKind.MOTHER_AGE_MAX, Span(30, 34)), "kk",
         "Жас шегі — 30–34 жасқа дейін: дереккөздер әртүрлі, телефон арқылы нақтылаңыз."),
        # S11: the card's last line says to call; this one does not say it again.
        (Unconfirmed(), "ru", "Мы не смогли проверить, работает ли это место сейчас."),
        (Unconfirmed(), "kk", "Бұл жердің әлі жұмыс істейтінін тексере алмадық."),
    ],
)  # fmt: skip
def test_conditions_read_right(condition: Condition, lang: str, expected: str) -> None:
    assert condition_text(condition, translator(lang)) == expected


def test_why_left_out_takes_the_plural_form_of_its_number() -> None:
    ru = translator("ru")
    assert left_out_text(MotherTooOld(21), ru) == "мама старше 21 года"
    assert left_out_text(MotherTooOld(30), ru) == "мама старше 30 лет"
    assert left_out_text(MotherTooYoung(18), ru) == "мама младше 18 лет"
    assert left_out_text(MotherTooOld(30), translator("kk")) == "ана 30 жастан үлкен"


def test_the_town_is_satbayev_in_kazakh_and_the_old_spelling_still_finds_it(
    catalog: Catalog,
) -> None:
    satpayev = catalog.place("satpayev")
    assert satpayev is not None and satpayev.name.kk == "Сәтбаев"
    center = catalog.center("satpayev-kamkor")
    assert center is not None and center.name.kk.endswith("(Сәтбаев)")
    gazetteer = Gazetteer(catalog)
    for typed in ("Сәтбаев", "Сәтпаев", "Сатпаев"):
        found = gazetteer.resolve(typed)
        assert found is not None and found.place == "satpayev", typed


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_a_hotline_line_has_one_full_stop_and_says_anonymity_once(
    catalog: Catalog, lang: str
) -> None:
    """The purpose is followed by "(around the clock, free)": no "." before it (m7); the
    footer says which lines need no name, so 111's purpose does not say it again (m8)."""
    t = translator(lang)
    for hotline in catalog.hotlines:
        line = plain(hotline_line(hotline, t))
        assert ". (" not in line and ".." not in line, line
    line_111 = next(h for h in catalog.hotlines if h.number == "111").purpose.get(lang)
    assert "назыв" not in line_111 and "атыңызды" not in line_111
    # The results page's block of lines says it once, under the lines.
    block = plain(hotlines_block(catalog.hotlines, t)).split("\n")
    anonymity = t._("You do not have to give your name on {numbers}.")
    assert block[-1] == anonymity.format(
        numbers=t.join([h.number for h in catalog.hotlines if h.anonymous])
    )
