"""Every step of her conversation in one table: its screen, what a tap on its buttons does,
what a typed text does, and the button that changes its answer under the results.

`QUESTIONS` is keyed by `Step` and checked complete when the module is imported (and by a
test): a new `Step` without an entry stops the bot at start-up, never in a mother's chat.
The conversation (`bot.tg.conversation`) only looks a step up here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

import msgspec
from telegram import Update

from bot.core.answers import Step
from bot.core.codes import Language, Need
from bot.core.model import Geography
from bot.core.parsing import POSSIBLE_AGE, parse_age, parse_child
from bot.core.session import Session, View
from bot.i18n import N_, Translator
from bot.render import esc, fill, location_name
from bot.tg.context import BotContext
from bot.tg.screens import (
    AGE_BUTTONS,
    CHILD_BUTTONS,
    age_screen,
    answers_line,
    bottom_row,
    child_screen,
    language_screen,
    needs_screen,
    page_text,
    place_screen,
)
from bot.tg.send import Screen, ack, button, keyboard, remove_reply_keyboard, say

TAP_AGAIN = N_("Please tap one of the buttons.")

ScreenOf = Callable[[Session, Geography, Translator, str], Screen]
# A tap's value on her session: False when it is no value of this step (she is told to tap
# again); the update and context are there for steps that say something on their own.
Tapped = Callable[[Update, BotContext, Session, str], Awaitable[bool]]
# A typed text on her session: the hint to show above the question ("" when it was taken).
Typed = Callable[[BotContext, Session, str], Awaitable[str]]


@dataclass(frozen=True)
class Question:
    """One step of the conversation, whole."""

    screen: ScreenOf
    tapped: Tapped
    typed: Typed
    # The button under the results that asks this question again (None: not changed there).
    change_label: str | None = None


async def leave_location_view(context: BotContext, session: Session, name: str) -> None:
    """The "send my location" keyboard goes away with a short neutral line."""
    if session.location_keyboard:
        await say(context, fill(context.t._("📍 {place}"), place=name), remove_reply_keyboard())
        session.screen, session.location_keyboard = None, False
    session.view = None


async def tap_again(context: BotContext, session: Session, text: str) -> str:
    """A step answered by buttons only."""
    return context.t._(TAP_AGAIN)


# --- the language ---


async def language_tapped(
    update: Update, context: BotContext, session: Session, value: str
) -> bool:
    if value not in tuple(Language):
        return False
    session.answers = msgspec.structs.replace(session.answers, language=Language(value))
    return True


def _language_screen(session: Session, catalog: Geography, t: Translator, hint: str) -> Screen:
    return language_screen(Language(t.lang))


# --- her age ---


async def age_tapped(update: Update, context: BotContext, session: Session, value: str) -> bool:
    if value == "again":
        session.view, session.pending_age = None, None
        return True
    confirmed = session.view is View.AGE_CONFIRM and value == str(session.pending_age)
    if not confirmed and value not in {str(years) for _, years in AGE_BUTTONS}:
        return False
    if not value.isdigit() or int(value) not in POSSIBLE_AGE:
        return False
    session.view, session.pending_age = None, None
    session.answers = msgspec.structs.replace(session.answers, age=int(value))
    return True


async def age_typed(context: BotContext, session: Session, text: str) -> str:
    parsed = parse_age(text)
    if parsed is None:
        return context.t._(
            "I did not understand. Please type your age as a number, for example 17."
        )
    if not parsed.plausible:
        session.view, session.pending_age = View.AGE_CONFIRM, parsed.years
        return ""
    session.view, session.pending_age = None, None
    session.answers = msgspec.structs.replace(session.answers, age=parsed.years)
    return ""


# --- her child, or pregnant ---


async def child_tapped(update: Update, context: BotContext, session: Session, value: str) -> bool:
    if value == "pregnant":
        session.answers = msgspec.structs.replace(session.answers, pregnant=True, child_months=None)
        return True
    if value not in {str(months) for _, months in CHILD_BUTTONS}:
        return False
    session.answers = msgspec.structs.replace(
        session.answers, pregnant=False, child_months=int(value)
    )
    return True


async def child_typed(context: BotContext, session: Session, text: str) -> str:
    parsed = parse_child(text)
    if parsed is None:
        return context.t._(
            "I did not understand. Write, for example: 3 months, 1.5 years, or “pregnant”."
        )
    session.answers = msgspec.structs.replace(
        session.answers, pregnant=parsed.pregnant, child_months=parsed.months
    )
    return ""


# --- where she is ---


async def place_tapped(update: Update, context: BotContext, session: Session, value: str) -> bool:
    catalog = context.services.catalog
    if value in ("regions", "back"):
        session.view = View.REGIONS if value == "regions" else None
        return True
    if value == "geo":
        session.view, session.location_keyboard = View.LOCATION, True
        return True
    if value.startswith("r:"):
        region = catalog.region(value[2:])
        if region is None:
            return False
        location = context.services.gazetteer.region_location(region.id)
        session.answers = msgspec.structs.replace(
            session.answers, region=location.region, place=location.place
        )
        name = location_name(catalog, location.place, location.region, context.t)
        await leave_location_view(context, session, name)
        return True
    place = catalog.place(value)
    if place is None:
        return False
    session.answers = msgspec.structs.replace(session.answers, region=place.region, place=place.id)
    await leave_location_view(context, session, place.name.get(context.t.lang))
    return True


async def place_typed(context: BotContext, session: Session, text: str) -> str:
    t = context.t
    location = context.services.gazetteer.resolve(text[:100])
    if location is None:
        return t._("I could not find this place. Tap your city or region, or send your location.")
    session.answers = msgspec.structs.replace(
        session.answers, region=location.region, place=location.place
    )
    name = location_name(context.services.catalog, location.place, location.region, t)
    await leave_location_view(context, session, name)
    return ""


# --- what she needs ---


async def needs_tapped(update: Update, context: BotContext, session: Session, value: str) -> bool:
    picked = list(session.picked if session.picked is not None else session.answers.needs)
    if value == "done":
        chosen = tuple(n for n in Need if n in picked)
        if not chosen:
            await ack(update, context.t._("Choose at least one."), alert=True)
            return True  # answered; the screen stays as it is
        session.answers = msgspec.structs.replace(session.answers, needs=chosen)
        session.picked, session.page = None, 0
        return True
    if value not in tuple(Need):
        return False
    need = Need(value)
    if need in picked:
        picked.remove(need)
    else:
        picked.append(need)
    session.picked = tuple(n for n in Need if n in picked)
    return True


async def needs_typed(context: BotContext, session: Session, text: str) -> str:
    return context.t._("Please choose with the buttons, then tap “Done”.")


# --- the results ---


async def results_tapped(update: Update, context: BotContext, session: Session, value: str) -> bool:
    if value == "change":
        session.view = View.CHANGE
        return True
    if value == "back":
        session.view = None
        return True
    kind, _, argument = value.partition(":")
    if kind == "page" and argument.isdigit():
        session.page, session.view = int(argument), None
        return True
    if kind == "edit" and argument in changeable():
        step = Step(argument)
        if step is Step.NEEDS:  # the keyboard opens with her current choice ticked
            session.picked = session.answers.needs
        session.answers = session.answers.without(step)
        session.view, session.page = None, 0
        return True
    return False


async def results_typed(context: BotContext, session: Session, text: str) -> str:
    session.view = None
    return context.t._(TAP_AGAIN)


def change_screen(session: Session, catalog: Geography, t: Translator, hint: str = "") -> Screen:
    """Which answer to change, under the results (the results themselves are shown by the
    conversation: they need a search)."""
    buttons = [
        button(t._(label), f"{Step.RESULTS}:edit:{step}")
        for step, question in QUESTIONS.items()
        if (label := question.change_label) is not None
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows += [[button(t._("⬅️ Back"), f"{Step.RESULTS}:back")], bottom_row(t)]
    head = [esc(t._("Ana Komek")), answers_line(session.answers, catalog, t)]
    return Screen(page_text(head, "", esc(t._("What would you like to change?"))), keyboard(rows))


QUESTIONS: dict[Step, Question] = {
    Step.LANGUAGE: Question(_language_screen, language_tapped, tap_again),
    Step.AGE: Question(age_screen, age_tapped, age_typed, N_("My age")),
    Step.CHILD: Question(child_screen, child_tapped, child_typed, N_("My child")),
    Step.PLACE: Question(place_screen, place_tapped, place_typed, N_("My place")),
    Step.NEEDS: Question(needs_screen, needs_tapped, needs_typed, N_("What I need")),
    Step.RESULTS: Question(change_screen, results_tapped, results_typed),
}


def changeable() -> list[Step]:
    """The answers she can change from under the results, in the order she gave them."""
    return [step for step, question in QUESTIONS.items() if question.change_label]


def unhandled_steps(table: Mapping[Step, Question] = QUESTIONS) -> set[Step]:
    """Steps without an entry in the table (none in `QUESTIONS`, or the bot does not start)."""
    return set(Step) - set(table)


if unhandled_steps():  # pragma: no cover - a programming error, caught at start-up
    raise RuntimeError(f"steps without a question: {sorted(unhandled_steps())}")
