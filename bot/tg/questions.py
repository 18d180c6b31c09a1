"""The questions the bot asks, and how it decides which one comes next.

Each question is one message with its buttons (and the SOS row). After any answer the
conversation moves to the first question still unanswered, so "change an answer" and
"change language" come back to the results without asking everything again.
"""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup, Update

from bot.core import codes
from bot.i18n import Translator, translator
from bot.render import NEED_LABELS
from bot.tg import results
from bot.tg.common import (
    LANGUAGE_LABELS,
    PICKED,
    STEP,
    Context,
    ack,
    answers,
    button,
    say,
    services,
    set_step,
    sos_row,
    suggested_language,
    tr,
    user_data,
)
from bot.tg.states import AGE, CHILD, LANGUAGE, NEEDS, PLACE

# Age buttons: a typed number works too. Ranges answer with their upper end, which never
# promises a center that would turn her away for being too old.
AGE_BUTTONS: tuple[tuple[str, int], ...] = (
    ("≤14", 14), ("15", 15), ("16", 16), ("17", 17),
    ("18", 18), ("19", 19), ("20", 20), ("21", 21),
    ("22–25", 25), ("26–30", 30), ("31–35", 35), ("36+", 36),
)  # fmt: skip
# Child buttons answer with the upper end of each range, for the same reason.
CHILD_BUTTONS: tuple[tuple[str, int], ...] = (
    ("under_6", 5),
    ("6_12", 12),
    ("12_18", 18),
    ("older", 24),
)
# Shown before she has a language, so it is in both, untranslated.
CHOOSE_LANGUAGE = "Тілді таңдаңыз / Выберите язык:"
BIG_CITIES = ("almaty", "astana", "shymkent", "karaganda", "aktobe", "taraz", "pavlodar", "oskemen")


def child_label(key: str, t: Translator) -> str:
    labels = {
        "under_6": t._("Under 6 months"),
        "6_12": t._("6–12 months"),
        "12_18": t._("1–1.5 years"),
        "older": t._("Older than 1.5 years"),
    }
    return labels[key]


async def ask_language(update: Update, context: Context) -> int:
    """Greet in both languages, hers first, and offer the two language buttons."""
    first = suggested_language(update, context)
    order = [first] + [lang for lang in codes.LANGUAGES if lang != first]
    parts = []
    for lang in order:
        t = translator(lang)
        parts.append(
            t._("Hello! I am Ana Komek.")
            + "\n"
            + t._(
                "I help young mothers and pregnant women find a place to live, support and "
                "advice near them. It is free and you do not have to give your name."
            )
        )
    parts.append(CHOOSE_LANGUAGE)
    keyboard = [
        [button(LANGUAGE_LABELS[lang], f"lang:{lang}") for lang in order],
        sos_row(translator(first)),
    ]
    set_step(context, "language")
    await say(update, context, "\n\n".join(parts), InlineKeyboardMarkup(keyboard))
    return LANGUAGE


async def ask_age(update: Update, context: Context) -> int:
    """Ask her age: buttons, or she types it."""
    t = tr(update, context)
    rows = [
        [button(label, f"age:{value}") for label, value in AGE_BUTTONS[i : i + 4]]
        for i in range(0, len(AGE_BUTTONS), 4)
    ]
    set_step(context, "age")
    await say(
        update,
        context,
        t._("How old are you? Tap a button or type your age."),
        InlineKeyboardMarkup([*rows, sos_row(t)]),
    )
    return AGE


async def ask_child(update: Update, context: Context) -> int:
    """Ask whether she is pregnant or how old her child is."""
    t = tr(update, context)
    keyboard = [[button(t._("I am pregnant"), "child:pregnant")]]
    keyboard += [[button(child_label(key, t), f"child:{months}")] for key, months in CHILD_BUTTONS]
    keyboard.append(sos_row(t))
    set_step(context, "child")
    await say(
        update,
        context,
        t._(
            "Are you pregnant, or how old is your child? Tap a button or type, "
            "for example: 3 months, 1.5 years."
        ),
        InlineKeyboardMarkup(keyboard),
    )
    return CHILD


def _city_keyboard(update: Update, context: Context, t: Translator) -> InlineKeyboardMarkup:
    catalog = services(context).catalog
    cities = [catalog.place(pid) for pid in BIG_CITIES]
    buttons = [button(p.name.get(t.lang), f"place:{p.id}") for p in cities if p is not None]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append([button(t._("Another region…"), "regions")])
    rows.append(sos_row(t))
    return InlineKeyboardMarkup(rows)


async def ask_place(update: Update, context: Context) -> int:
    """Ask where she is: city buttons, any region, her location, or a typed name."""
    t = tr(update, context)
    set_step(context, "place")
    await say(
        update,
        context,
        t._("Where are you now? Tap your city, choose a region, or type the name of the place."),
        _city_keyboard(update, context, t),
    )
    location_keyboard = ReplyKeyboardMarkup(
        [[KeyboardButton(t._("📍 Send my location"), request_location=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )
    await say(
        update,
        context,
        t._("Or send your location with the button below: I will find the nearest places."),
        location_keyboard,
    )
    return PLACE


def needs_keyboard(picked: list[str], t: Translator) -> InlineKeyboardMarkup:
    rows = [
        [button(("✅ " if need in picked else "") + t._(NEED_LABELS[need]), f"need:{need}")]
        for need in codes.NEEDS
    ]
    rows.append([button(t._("Done ➡️"), "needs:done")])
    rows.append(sos_row(t))
    return InlineKeyboardMarkup(rows)


async def ask_needs(update: Update, context: Context) -> int:
    """Ask what she needs; she can choose several."""
    t = tr(update, context)
    data = user_data(context)
    # Ticks survive a re-ask (a danger word, a sticker, a language change) until "Done".
    data.setdefault(PICKED, list(answers(context).get("needs", [])))
    set_step(context, "needs")
    await say(
        update,
        context,
        t._("What do you need? Choose one or more, then tap “Done”."),
        needs_keyboard(data[PICKED], t),
    )
    return NEEDS


ASKERS = {
    "language": ask_language,
    "age": ask_age,
    "child": ask_child,
    "place": ask_place,
    "needs": ask_needs,
}


def missing_step(given: dict[str, Any]) -> str | None:
    """The first question she has not answered yet."""
    if "age" not in given:
        return "age"
    if "pregnant" not in given:
        return "child"
    if "region" not in given:
        return "place"
    if not given.get("needs"):
        return "needs"
    return None


async def ask_next(update: Update, context: Context) -> int:
    """Ask the first unanswered question, or show the results when all are answered."""
    if "lang" not in user_data(context):
        return await ask_language(update, context)
    step = missing_step(answers(context))
    if step is None:  # show_results starts the paging from the first card itself
        return await results.show_results(update, context)
    return await ASKERS[step](update, context)


async def ask_current(update: Update, context: Context) -> int:
    """The question she is at, again with its buttons (or the results' footer)."""
    step = user_data(context).get(STEP)
    if step == "results":
        return await results.show_footer(update, context)
    if step == "age_confirm":  # the unusual age was not confirmed: ask the age again
        return await ask_age(update, context)
    asker = ASKERS.get(str(step))
    return await (asker or ask_next)(update, context)


async def reask(update: Update, context: Context, hint: str) -> int:
    """A short, kind line, then the current question again with its buttons."""
    await ack(update)  # a tap that could not be taken: stop the spinner
    await say(update, context, hint)
    return await ask_current(update, context)
