"""Free-text answers in Kazakh and Russian: her age, her child's age, or pregnancy."""

from __future__ import annotations

import pytest

from bot.core.parsing import AgeAnswer, ChildAnswer, parse_age, parse_child


@pytest.mark.parametrize(
    ("text", "months"),
    [
        ("3 ай", 3),
        ("3 месяца", 3),
        ("6 мес", 6),
        ("1,5 года", 18),
        ("1.5 года", 18),
        ("1 жас", 12),
        ("5 жыл", 60),
        ("2 апта", 0),
        ("7 недель", 1),
        ("10 дней", 0),
        ("полтора года", 18),
        ("бір жарым жас", 18),
        ("1 жарым жас", 18),
        ("2 года 3 месяца", 27),
        ("2 жас 3 ай", 27),
        ("1 год и 2 месяца", 14),
        ("ребенку 3 месяца", 3),
        ("Ребёнку 2 года", 24),
        ("216 ай", 216),
    ],
)
def test_child_age_in_months(text: str, months: int) -> None:
    assert parse_child(text) == ChildAnswer(pregnant=False, months=months)


@pytest.mark.parametrize("text", ["жүктімін", "беременна", "Я беременна", "жду ребёнка"])
def test_pregnancy(text: str) -> None:
    assert parse_child(text) == ChildAnswer(pregnant=True, months=None)


@pytest.mark.parametrize("text", ["новорожденный", "жаңа туған"])
def test_newborn_is_zero_months(text: str) -> None:
    assert parse_child(text) == ChildAnswer(pregnant=False, months=0)


@pytest.mark.parametrize(
    "text",
    [
        "abc",
        "-5",
        "- 5 месяцев",
        "200",
        "3",  # a number without a unit is re-asked, not guessed
        "217 ай",  # older than 18 years
        "20 лет",
        "",
    ],
)
def test_child_answers_that_are_asked_again(text: str) -> None:
    assert parse_child(text) is None


@pytest.mark.parametrize("text", ["полтора месяца", "бір жарым ай"])
def test_one_and_a_half_months_is_one_month(text: str) -> None:
    assert parse_child(text) == ChildAnswer(pregnant=False, months=1)


@pytest.mark.parametrize(
    ("text", "years"),
    [("17", 17), ("мне 17", 17), ("17 лет", 17), ("10", 10), ("60", 60), (" 25 жаста ", 25)],
)
def test_plausible_ages(text: str, years: int) -> None:
    assert parse_age(text) == AgeAnswer(years=years, plausible=True)


@pytest.mark.parametrize(
    ("text", "years"), [("8", 8), ("9", 9), ("61", 61), ("70", 70), ("99", 99)]
)
def test_possible_but_unusual_ages_are_confirmed_first(text: str, years: int) -> None:
    assert parse_age(text) == AgeAnswer(years=years, plausible=False)


@pytest.mark.parametrize("text", ["-5", "200", "100", "0", "abc", "", "17.5", "семнадцать"])
def test_impossible_ages(text: str) -> None:
    assert parse_age(text) is None


@pytest.mark.parametrize(
    ("text", "pregnant", "months"),
    [("3 ai", False, 3), ("zhuktimin", True, None), ("1 jas", False, 12), ("2 apta", False, 0)],
)
def test_kazakh_typed_in_latin_letters(text: str, pregnant: bool, months: int | None) -> None:
    assert parse_child(text) == ChildAnswer(pregnant=pregnant, months=months)


# --- numbers no child's age can be (issue 12) ---


@pytest.mark.parametrize(
    "text",
    [
        "1234 месяца",  # once read as 4 months
        "99999999999999999999 месяцев",  # once read as 99
        "12345 дней",
        "6600 дней",  # 216.8 months: older than 18 years
        "1000 ай",
        "99999 лет",
        "3 месяца и 99999 дней",
    ],
)
def test_numbers_too_big_for_a_child_are_asked_again(text: str) -> None:
    assert parse_child(text) is None


@pytest.mark.parametrize(
    ("text", "months"),
    [
        ("1000 дней", 32),  # once read as 0 months
        ("1000 күн", 32),
        ("6000 дней", 197),
        ("0 месяцев", 0),
        ("18 лет", 216),
        ("3 месяца и 1000 дней", 35),
    ],
)
def test_large_but_possible_child_ages_are_counted_exactly(text: str, months: int) -> None:
    assert parse_child(text) == ChildAnswer(pregnant=False, months=months)


@pytest.mark.parametrize("text", ["1234", "99999999999999999999", "мне 12345 лет", "1000"])
def test_ages_with_too_many_digits_are_impossible(text: str) -> None:
    assert parse_age(text) is None
