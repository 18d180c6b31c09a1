"""Every screen of the conversation, built from her session: one function per step.

A screen is one message: two neutral lines first (phones show them on the lock screen),
then the question or the results, then the buttons — the step's own, then 🆘 and the
language switch, always. Buttons carry `<step>:<value>`, so a tap says which question it
answers and an old button can be recognised as old.
"""

from __future__ import annotations

from collections.abc import Mapping

from telegram import InlineKeyboardButton, KeyboardButton, ReplyKeyboardMarkup

from bot.core.answers import Answers, Step
from bot.core.codes import Language, Need
from bot.core.durations import parse_duration
from bot.core.matching import MatchResult
from bot.core.model import Center, Geography
from bot.core.session import Session, View
from bot.i18n import N_, Translator, translator
from bot.render import (
    MAX_MESSAGE,
    NEED_LABELS,
    center_card,
    esc,
    fill,
    hotlines_block,
    location_name,
    pages,
    summary_line,
)
from bot.tg.send import Screen, button, keyboard, sos_button

# Age buttons: a typed number works too. Ranges answer with their upper end, which never
# promises a center that would turn her away for being too old.
AGE_BUTTONS: tuple[tuple[str, int], ...] = (
    ("≤14", 14), ("15", 15), ("16", 16), ("17", 17),
    ("18", 18), ("19", 19), ("20", 20), ("21", 21),
    ("22–25", 25), ("26–30", 30), ("31–35", 35), ("36+", 36),
)  # fmt: skip
# Child buttons answer with the upper end of each range, for the same reason.
CHILD_BUTTONS: tuple[tuple[str, int], ...] = (
    (N_("Under 6 months"), 5),
    (N_("6–12 months"), 12),
    (N_("1–1.5 years"), 18),
    (N_("Older than 1.5 years"), 24),
)
LANGUAGE_LABELS = {Language.KK: "Қазақша", Language.RU: "Русский"}
# Shown before she has a language, so it is in both, untranslated.
CHOOSE_LANGUAGE = "Тілді таңдаңыз / Выберите язык:"
LANGUAGE_SWITCH = "🌐 Қазақша / Русский"
BIG_CITIES = ("almaty", "astana", "shymkent", "karaganda", "aktobe", "taraz", "pavlodar", "oskemen")
# The numbered questions: every step but the language (asked before any question) and the
# results (after the last one).
_NUMBERED = tuple(step for step in Step if step not in (Step.LANGUAGE, Step.RESULTS))
# Inline query that shares one card: "c:<center id>" (see bot.tg.staff.inline_query).
SHARE_PREFIX = "c:"


def bottom_row(t: Translator) -> list[InlineKeyboardButton]:
    """🆘 and the language switch: on every screen."""
    lang = Language(t.lang)
    return [sos_button(t), button(LANGUAGE_SWITCH, f"{Step.LANGUAGE}:{lang.other}")]


def greeting() -> str:
    """The greeting in both languages: neutral, and she sees at once both are spoken."""
    parts = []
    for lang in (Language.KK, Language.RU):
        t = translator(lang)
        parts.append(
            esc(t._("Hello! I am Ana Komek."))
            + "\n"
            + esc(
                t._(
                    "I help young mothers and pregnant women find a place to live, support and "
                    "advice near them. It is free and you do not have to give your name."
                )
            )
        )
    return "\n\n".join(parts)


def child_label(months: int | None, pregnant: bool | None, t: Translator) -> str:
    """Her child's answer as she chose it."""
    if pregnant:
        return t._("I am pregnant")
    for label, value in CHILD_BUTTONS:
        if value == months:
            return t._(label)
    return t.duration(parse_duration(f"P{months or 0}M"))


def answers_line(answers: Answers, catalog: Geography, t: Translator) -> str:
    """What she has answered so far, in neutral words: this is line 2 of every screen, on the
    lock screen. Needs are never on it, nor is a pregnancy (she may be hiding it); a child's
    age is."""
    parts = []
    if answers.age is not None:
        parts.append(fill(t._("Age: {age}"), age=answers.age))
    if answers.pregnant is False:
        label = child_label(answers.child_months, answers.pregnant, t)
        # Mid-line the button's label starts small: "Ребёнок: до 6 месяцев".
        parts.append(fill(t._("Child: {child}"), child=label[:1].lower() + label[1:]))
    if answers.region is not None:
        name = location_name(catalog, answers.place, answers.region, t)
        parts.append(fill(t._("Place: {place}"), place=name))
    return " · ".join(parts)


def _head(step: Step, answers: Answers, catalog: Geography, t: Translator) -> list[str]:
    """The two neutral lines every question starts with."""
    number = _NUMBERED.index(step) + 1
    return [
        fill(t._("Ana Komek · question {number} of {total}"), number=number, total=len(_NUMBERED)),
        answers_line(answers, catalog, t),
    ]


def page_text(head: list[str], hint: str, body: str) -> str:
    """A screen's text: its two neutral lines, the hint if any, then the question."""
    lines = [line for line in head if line] + [""]
    if hint:
        lines += [f"<i>{hint}</i>", ""]
    return "\n".join([*lines, body])


def language_screen(first: Language) -> Screen:
    """Greeting and the two languages, hers first."""
    order = [first, first.other]
    rows = [[button(LANGUAGE_LABELS[lang], f"{Step.LANGUAGE}:{lang}") for lang in order]]
    rows.append([sos_button(translator(first))])
    return Screen(f"{greeting()}\n\n{CHOOSE_LANGUAGE}", keyboard(rows))


def age_screen(session: Session, catalog: Geography, t: Translator, hint: str) -> Screen:
    answers = session.answers
    head = _head(Step.AGE, answers, catalog, t)
    if session.view is View.AGE_CONFIRM and session.pending_age is not None:
        years = session.pending_age
        rows = [
            [button(t._("Yes, that's right"), f"{Step.AGE}:{years}"),
             button(t._("No, change it"), f"{Step.AGE}:again")],
            bottom_row(t),
        ]  # fmt: skip
        body = fill(t._("You wrote {age}. Is that your age?"), age=years)
        return Screen(page_text(head, hint, body), keyboard(rows))
    rows = [
        [button(label, f"{Step.AGE}:{value}") for label, value in AGE_BUTTONS[i : i + 4]]
        for i in range(0, len(AGE_BUTTONS), 4)
    ]
    body = esc(t._("How old are you? Tap a button or type your age."))
    return Screen(page_text(head, hint, body), keyboard([*rows, bottom_row(t)]))


def child_screen(session: Session, catalog: Geography, t: Translator, hint: str) -> Screen:
    rows = [[button(t._("I am pregnant"), f"{Step.CHILD}:pregnant")]]
    pairs = [button(t._(label), f"{Step.CHILD}:{months}") for label, months in CHILD_BUTTONS]
    rows += [pairs[0:2], pairs[2:4], bottom_row(t)]
    body = esc(
        t._(
            "Are you pregnant, or how old is your child? Tap a button or type, "
            "for example: 3 months, 1.5 years."
        )
    )
    return Screen(
        page_text(_head(Step.CHILD, session.answers, catalog, t), hint, body), keyboard(rows)
    )


def place_screen(session: Session, catalog: Geography, t: Translator, hint: str) -> Screen:
    head = _head(Step.PLACE, session.answers, catalog, t)
    if session.view is View.REGIONS:
        regions = sorted(catalog.regions, key=lambda r: r.name.get(t.lang))
        buttons = [button(r.name.get(t.lang), f"{Step.PLACE}:r:{r.id}") for r in regions]
        rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
        rows += [[button(t._("⬅️ Back"), f"{Step.PLACE}:back")], bottom_row(t)]
        return Screen(page_text(head, hint, esc(t._("Choose your region:"))), keyboard(rows))
    if session.view is View.LOCATION:
        location_keyboard = ReplyKeyboardMarkup(
            [[KeyboardButton(t._("📍 Send my location"), request_location=True)]],
            resize_keyboard=True,
            one_time_keyboard=True,
        )
        body = esc(
            t._("Tap the button below to send your location: I will find the nearest places.")
        )
        return Screen(page_text(head, hint, body), location_keyboard)
    cities = [catalog.place(pid) for pid in BIG_CITIES]
    buttons = [button(p.name.get(t.lang), f"{Step.PLACE}:{p.id}") for p in cities if p is not None]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append(
        [button(t._("Another region…"), f"{Step.PLACE}:regions"),
         button(t._("📍 Near me"), f"{Step.PLACE}:geo")]
    )  # fmt: skip
    rows.append(bottom_row(t))
    body = esc(
        t._("Where are you now? Tap your city, choose a region, or type the name of the place.")
    )
    return Screen(page_text(head, hint, body), keyboard(rows))


def needs_keyboard(picked: tuple[Need, ...], t: Translator) -> list[list[InlineKeyboardButton]]:
    rows = [
        [button(("✅ " if need in picked else "") + t._(NEED_LABELS[need]), f"{Step.NEEDS}:{need}")]
        for need in Need
    ]
    rows.append([button(t._("Done ➡️"), f"{Step.NEEDS}:done")])
    return rows


def needs_screen(session: Session, catalog: Geography, t: Translator, hint: str) -> Screen:
    picked = session.picked if session.picked is not None else session.answers.needs
    body = esc(t._("What do you need? Choose one or more, then tap “Done”."))
    rows = [*needs_keyboard(picked, t), bottom_row(t)]
    return Screen(
        page_text(_head(Step.NEEDS, session.answers, catalog, t), hint, body), keyboard(rows)
    )


# Button data of «⚠️ Report a mistake» under the results (handled by `bot.tg.reports`).
REPORT = "rp"


def _lines_block(result: MatchResult, t: Translator) -> str:
    return "\n".join([esc(t._("Phone lines for all of Kazakhstan:")),
                      hotlines_block(result.hotlines, t)])  # fmt: skip


def _results_head(session: Session, catalog: Geography, t: Translator) -> list[str]:
    return [esc(t._("Ana Komek")), answers_line(session.answers, catalog, t)]


def cards_needed(session: Session, result: MatchResult) -> list[str]:
    """Ids of the centers whose whole entries the page she is on (and the pages before it,
    which decide where it starts) is made of: a page holds at most three cards."""
    return [m.center.id for m in result.matches[: 3 * (session.page + 1)]]


def results_page(
    session: Session,
    result: MatchResult,
    centers: Mapping[str, Center],
    catalog: Geography,
    t: Translator,
    hint: str = "",
) -> range:
    """Which cards the page she is on shows (a page she can no longer have becomes the last).
    `centers` holds the whole entries of `cards_needed`."""
    head = _results_head(session, catalog, t)
    fixed = len(page_text(head, hint, "")) + len(_lines_block(result, t)) + 400  # summary, spacing
    budget = MAX_MESSAGE - fixed
    spans = pages(result, centers, catalog, t, budget, session.page) or [range(0, 0)]
    session.page = min(session.page, len(spans) - 1)
    return spans[session.page]


def results_screen(
    session: Session,
    result: MatchResult,
    centers: Mapping[str, Center],
    catalog: Geography,
    t: Translator,
    where: str,
    hint: str = "",
    talk: InlineKeyboardButton | None = None,
) -> Screen:
    """One page of results: summary, up to three cards, the national lines, what next;
    `hint` (HTML) on top when she typed something the results cannot take; `talk`, the live
    line's button, goes under 🆘."""
    shown = results_page(session, result, centers, catalog, t, hint)
    page = session.page
    last_page = shown.stop >= len(result.matches)
    total = len(result.matches)
    parts = [summary_line(result, where, t)]
    if total:
        parts.append(
            fill(t._("Options {first}–{last} of {total}:"), first=shown.start + 1,
                 last=shown.stop, total=total)
        )  # fmt: skip
    parts += [
        center_card(result.matches[i], centers[result.matches[i].center.id], catalog, t, i + 1)
        for i in shown
    ]
    parts.append(_lines_block(result, t))
    rows: list[list[InlineKeyboardButton]] = []
    nav = []
    if page > 0:
        nav.append(button(t._("⬅️ Back"), f"{Step.RESULTS}:page:{page - 1}"))
    if not last_page:
        remaining = total - shown.stop
        nav.append(
            button(
                t.ngettext("Show {count} more", "Show {count} more", remaining).format(
                    count=remaining
                ),
                f"{Step.RESULTS}:page:{page + 1}",
            )
        )  # fmt: skip
    rows.append(nav)
    rows.append(
        [
            InlineKeyboardButton(
                t._("📤 Share {number}").format(number=i + 1),
                switch_inline_query=f"{SHARE_PREFIX}{result.matches[i].center.id}",
            )
            for i in shown
        ]
    )
    rows.append(
        [button(t._("✏️ Change an answer"), f"{Step.RESULTS}:change"),
         button(t._("🔄 Start over"), "restart")]
    )  # fmt: skip
    if len(shown):
        rows.append([button(t._("⚠️ Report a mistake"), REPORT)])
    rows.append(bottom_row(t))
    if talk is not None:
        rows.append([talk])
    rows.append([button(t._("🧹 Clear this chat"), "clear")])
    head = _results_head(session, catalog, t)
    shown_ids = tuple(result.matches[i].center.id for i in shown)
    return Screen(page_text(head, hint, "\n\n".join(parts)), keyboard(rows), shown_ids)
