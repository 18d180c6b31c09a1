"""The mother's answers: one callback per step, each returning the next state.

Every question accepts a tap or a typed answer; anything else gets a short, kind re-ask
with the buttons again. Entry points (/start, /language, a first message) and the idle
timeout live here too.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError

from bot.core import codes
from bot.core.answers import parse_age, parse_child
from bot.i18n import translator
from bot.render import NEED_LABELS, location_name
from bot.storage import state_repo
from bot.tg.common import (
    CONVERSATION_KEYS,
    LANG,
    LANGUAGE_LABELS,
    PENDING_AGE,
    PICKED,
    STEP,
    TOUCHED,
    Context,
    ack,
    answers,
    button,
    edit_buttons,
    remove_reply_keyboard,
    say,
    send_to,
    services,
    set_step,
    sos_row,
    tr,
    user_data,
)
from bot.tg.questions import (
    AGE_BUTTONS,
    CHILD_BUTTONS,
    CHOOSE_LANGUAGE,
    ask_age,
    ask_current,
    ask_language,
    ask_next,
    child_label,
    needs_keyboard,
    reask,
)
from bot.tg.states import AGE_CONFIRM, END, LANGUAGE, NEEDS, PLACE


async def _edit_answered(update: Update, answer: str) -> None:
    """Show her tapped answer under the question and take its buttons away."""
    await ack(update)
    query = update.callback_query
    if query is None or not isinstance(query.message, Message):
        return  # no tap, or a message too old for Telegram to let us edit it
    # Already edited after a double tap, or gone: the conversation goes on regardless.
    with contextlib.suppress(TelegramError):
        await query.edit_message_text(
            f"{query.message.text_html}\n\n<b>→ {answer}</b>", reply_markup=None
        )


# --- entry points ---


def _reset_answers(context: Context) -> None:
    data = user_data(context)
    for key in CONVERSATION_KEYS:
        data.pop(key, None)


async def start(update: Update, context: Context) -> int:
    """Begin (or begin again): keep her language, forget the old answers."""
    await ack(update)
    return await _begin(update, context)


async def _begin(update: Update, context: Context) -> int:
    _reset_answers(context)
    payload = context.args[0] if context.args else ""
    if payload in codes.LANGUAGES:  # a link like t.me/bot?start=kk from a hotline
        user_data(context)[LANG] = payload
    if "lang" not in user_data(context):
        return await ask_language(update, context)
    t = tr(update, context)
    await say(
        update,
        context,
        t._("Hello! I am Ana Komek.")
        + "\n"
        + t._(
            "I will ask four short questions and show who can help you. "
            "/language changes the language."
        ),
        remove_reply_keyboard(),  # a location keyboard from before must not linger
    )
    return await ask_age(update, context)


async def first_contact(update: Update, context: Context) -> int:
    """Any message from someone not in a conversation starts one."""
    await ack(update, tr(update, context)._("Let's begin again."))
    return await _begin(update, context)


async def choose_language_command(update: Update, context: Context) -> int | None:
    """/language: offer the two languages; the conversation continues after the choice."""
    data = user_data(context)
    await ack(update)
    keyboard = InlineKeyboardMarkup(
        [
            [button(LANGUAGE_LABELS[code], f"lang:{code}") for code in codes.LANGUAGES],
            sos_row(tr(update, context)),
        ]
    )
    await say(update, context, CHOOSE_LANGUAGE, keyboard)
    if STEP not in data:
        set_step(context, "language")
        return LANGUAGE
    return None


async def language_chosen(update: Update, context: Context) -> int:
    """Remember her language and go on with the conversation in it."""
    query = update.callback_query
    assert query is not None and query.data is not None
    lang = query.data.split(":", 1)[1]
    if lang not in codes.LANGUAGES:
        return await reask(update, context, tr(update, context)._("Please tap one of the buttons."))
    user_data(context)[LANG] = lang
    await _edit_answered(update, LANGUAGE_LABELS[lang])
    return await ask_next(update, context)


async def cancel(update: Update, context: Context) -> int:
    """Stop the questions; what the conversation kept (answers, language) is dropped."""
    t = tr(update, context)
    if update.effective_user is not None:
        context.application.drop_user_data(update.effective_user.id)
    await say(
        update,
        context,
        t._("Stopped. Your answers are deleted. /start to begin again, /sos for the numbers."),
        remove_reply_keyboard(),
    )
    return END


# --- her age ---


async def age_tapped(update: Update, context: Context) -> int:
    """Take her age from a button."""
    query = update.callback_query
    assert query is not None and query.data is not None
    value = query.data.split(":", 1)[1]
    label = next((label for label, years in AGE_BUTTONS if str(years) == value), None)
    if label is None:  # not one of our buttons
        return await reask(update, context, tr(update, context)._("Please tap one of the buttons."))
    await _edit_answered(update, label)
    answers(context)["age"] = int(value)
    return await ask_next(update, context)


async def age_typed(update: Update, context: Context) -> int:
    """Take her age from a typed number; ask back when it is unusual."""
    t = tr(update, context)
    message = update.effective_message
    parsed = parse_age(message.text or "") if message is not None else None
    if parsed is None:
        return await reask(
            update,
            context,
            t._("I did not understand. Please type your age as a number, for example 17."),
        )
    if not parsed.plausible:
        user_data(context)[PENDING_AGE] = parsed.years
        set_step(context, "age_confirm")
        keyboard = InlineKeyboardMarkup(
            [
                [
                    button(t._("Yes, that's right"), "age_ok"),
                    button(t._("No, change it"), "age_redo"),
                ],
                sos_row(t),
            ]
        )
        await say(
            update,
            context,
            t._("You wrote {age}. Is that your age?").format(age=parsed.years),
            keyboard,
        )
        return AGE_CONFIRM
    answers(context)["age"] = parsed.years
    return await ask_next(update, context)


async def age_confirmed(update: Update, context: Context) -> int:
    """She confirmed an unusual age."""
    data = user_data(context)
    years = data.pop(PENDING_AGE, None)
    if years is None:
        return await ask_age(update, context)
    await _edit_answered(update, str(years))
    answers(context)["age"] = int(years)
    return await ask_next(update, context)


async def age_rejected(update: Update, context: Context) -> int:
    """She wants to type her age again."""
    user_data(context).pop(PENDING_AGE, None)
    await _edit_answered(update, tr(update, context)._("No, change it"))
    return await ask_age(update, context)


# --- her child ---


async def child_tapped(update: Update, context: Context) -> int:
    """Take pregnancy or the child's age from a button."""
    query = update.callback_query
    assert query is not None and query.data is not None
    t = tr(update, context)
    value = query.data.split(":", 1)[1]
    given = answers(context)
    if value == "pregnant":
        given.update(pregnant=True, child_months=None)
        await _edit_answered(update, t._("I am pregnant"))
    elif value in {str(months) for _, months in CHILD_BUTTONS}:
        label = next(child_label(k, t) for k, m in CHILD_BUTTONS if str(m) == value)
        given.update(pregnant=False, child_months=int(value))
        await _edit_answered(update, label)
    else:
        return await reask(update, context, t._("Please tap one of the buttons."))
    return await ask_next(update, context)


async def child_typed(update: Update, context: Context) -> int:
    """Take pregnancy or the child's age from text: "3 ай", "1,5 года", "беременна"."""
    t = tr(update, context)
    message = update.effective_message
    parsed = parse_child(message.text or "") if message is not None else None
    if parsed is None:
        return await reask(
            update,
            context,
            t._("I did not understand. Write, for example: 3 months, 1.5 years, or “pregnant”."),
        )
    answers(context).update(pregnant=parsed.pregnant, child_months=parsed.months)
    return await ask_next(update, context)


# --- her place ---


async def _place_found(update: Update, context: Context, region: str, place: str | None) -> int:
    t = tr(update, context)
    catalog = services(context).catalog
    answers(context).update(region=region, place=place)
    name = location_name(catalog, place, region, t)
    await say(update, context, t._("📍 {place}").format(place=name), remove_reply_keyboard())
    return await ask_next(update, context)


async def place_tapped(update: Update, context: Context) -> int:
    """Take a city from a button."""
    query = update.callback_query
    assert query is not None and query.data is not None
    place_id = query.data.split(":", 1)[1]
    catalog = services(context).catalog
    place = catalog.place(place_id)
    if place is None:
        return await reask(update, context, tr(update, context)._("Please tap one of the buttons."))
    await _edit_answered(update, place.name.get(tr(update, context).lang))
    return await _place_found(update, context, place.region, place.id)


async def regions_listed(update: Update, context: Context) -> int:
    """Show all 20 regions as buttons."""
    t = tr(update, context)
    await ack(update)
    catalog = services(context).catalog
    regions = sorted(catalog.regions, key=lambda r: r.name.get(t.lang))
    buttons = [button(r.name.get(t.lang), f"region:{r.id}") for r in regions]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append(sos_row(t))
    await say(update, context, t._("Choose your region:"), InlineKeyboardMarkup(rows))
    return PLACE


async def region_tapped(update: Update, context: Context) -> int:
    """Take a region from a button."""
    query = update.callback_query
    assert query is not None and query.data is not None
    catalog = services(context).catalog
    region = catalog.region(query.data.split(":", 1)[1])
    if region is None:
        return await reask(update, context, tr(update, context)._("Please tap one of the buttons."))
    await _edit_answered(update, region.name.get(tr(update, context).lang))
    location = services(context).gazetteer.region_location(region.id)
    return await _place_found(update, context, location.region, location.place)


async def place_typed(update: Update, context: Context) -> int:
    """Take a typed place name, tolerant of other spellings and small typos."""
    t = tr(update, context)
    message = update.effective_message
    text = (message.text or "") if message is not None else ""
    location = services(context).gazetteer.resolve(text[:100])
    if location is None:
        return await reask(
            update,
            context,
            t._("I could not find this place. Tap your city or region, or send your location."),
        )
    return await _place_found(update, context, location.region, location.place)


async def location_shared(update: Update, context: Context) -> int:
    """Find the nearest catalog place to her location; the coordinates are not kept."""
    message = update.effective_message
    assert message is not None and message.location is not None
    nearest = services(context).gazetteer.nearest(
        message.location.latitude, message.location.longitude
    )
    if nearest is None:
        return await reask(
            update, context, tr(update, context)._("Please tap your city or region.")
        )
    return await _place_found(update, context, nearest.region, nearest.place)


# --- her needs ---


async def need_toggled(update: Update, context: Context) -> int:
    """Tick or untick one need."""
    query = update.callback_query
    assert query is not None and query.data is not None
    t = tr(update, context)
    need = query.data.split(":", 1)[1]
    data = user_data(context)
    picked: list[str] = data.setdefault(PICKED, [])
    if need not in codes.NEEDS:
        await ack(update)
        return NEEDS
    if need in picked:
        picked.remove(need)
    else:
        picked.append(need)
    await ack(update)
    await edit_buttons(update, needs_keyboard(picked, t))
    return NEEDS


async def needs_done(update: Update, context: Context) -> int:
    """Save the chosen needs; at least one is needed."""
    query = update.callback_query
    assert query is not None
    t = tr(update, context)
    data = user_data(context)
    picked = [n for n in codes.NEEDS if n in data.get(PICKED, [])]
    if not picked:
        await ack(update, t._("Choose at least one."), alert=True)
        return NEEDS
    await _edit_answered(update, t.join([t._(NEED_LABELS[n]) for n in picked]))
    answers(context)["needs"] = picked
    data.pop(PICKED, None)
    return await ask_next(update, context)


async def needs_typed(update: Update, context: Context) -> int:
    """Typed text at the needs question: ask for the buttons."""
    t = tr(update, context)
    return await reask(update, context, t._("Please choose with the buttons, then tap “Done”."))


# --- anything else ---


async def not_understood(update: Update, context: Context) -> int:
    """Stickers, photos, voice, files, unknown commands: a kind re-ask."""
    t = tr(update, context)
    return await reask(update, context, t._("Sorry, I can only read text and buttons here."))


async def wrong_input(update: Update, context: Context) -> int:
    """Text where only buttons work."""
    t = tr(update, context)
    return await reask(update, context, t._("Please tap one of the buttons."))


async def stale_button(update: Update, context: Context) -> int:
    """A button from an earlier message: explain, and show the current question again."""
    t = tr(update, context)
    await ack(update, t._("This button is from an earlier step."))
    return await ask_current(update, context)


def resumable(
    callback: Callable[[Update, Context], Coroutine[Any, Any, int]],
) -> Callable[[Update, Context], Coroutine[Any, Any, int]]:
    """Guard a step's handler: if her conversation ended while she was away, begin again.

    Idle conversations are ended by `end_idle_conversations`, which cannot reach into
    PTB's ConversationHandler; the next update of hers corrects the state from here.
    """

    @functools.wraps(callback)
    async def checked(update: Update, context: Context) -> int:
        if STEP not in user_data(context):
            await ack(update, tr(update, context)._("Let's begin again."))
            return await _begin(update, context)
        return await callback(update, context)

    return checked


async def end_idle_conversations(context: Context) -> int:
    """End every conversation idle longer than allowed: one gentle, silent line, then
    everything kept about her (answers, step, language) is dropped. Works the same after a
    restart, since it reads the persisted data; returns how many were ended."""
    application = context.application
    settings = services(context).settings
    cutoff = time.time() - settings.conversation_timeout_minutes * 60
    ended = 0
    for user_id, data in list(application.user_data.items()):
        if not data or float(data.get(TOUCHED, 0)) > cutoff:
            continue
        lang, in_conversation = data.get(LANG), STEP in data
        # Dropped before anything is awaited, so that a second run at the same moment finds
        # nothing to end and she gets the line once.
        application.drop_user_data(user_id)
        # PTB's in-memory state cannot be reached from here (`resumable` corrects it on her
        # next update); the stored one goes now.
        await state_repo.end_conversations(await services(context).database(), user_id)
        if in_conversation:
            t = translator(lang if lang in codes.LANGUAGES else settings.default_language)
            text = t._(
                "We paused because it was quiet for a while; your answers are deleted. "
                "Tap /start to begin again."
            )
            # Silent: a message that buzzes long after she put the phone away could give
            # her away. She may also have blocked the bot: that must not stop the others.
            with contextlib.suppress(TelegramError):
                await send_to(context, user_id, text, remove_reply_keyboard(), silent=True)
            ended += 1
    if ended or application.user_data:
        await application.update_persistence()
    return ended
