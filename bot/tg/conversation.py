"""The mother's conversation: every update fills in her answers, then the screen of the next
question (or the results) is shown.

There is no state machine besides `answers.missing()`: a tap answers the step its button
names, a typed text answers the step she is at, and anything that cannot be taken gets a
short, kind hint on top of the same question. A tap on a button of an earlier step is
recognised as old and she gets the current screen again.
"""

from __future__ import annotations

import msgspec
from telegram import Update
from telegram.error import TelegramError

from bot.core.answers import Answers, Step
from bot.core.codes import Language, Need
from bot.core.deeplink import parse_start_payload
from bot.core.matching import MatchResult, Query
from bot.core.model import Center
from bot.core.parsing import POSSIBLE_AGE, parse_age, parse_child
from bot.core.session import Session, View
from bot.i18n import Translator, translator
from bot.render import esc, fill, location_name
from bot.tg import live
from bot.tg.awaiting import stop_waiting
from bot.tg.context import BotContext, app_language
from bot.tg.invites import open_invite
from bot.tg.screens import (
    AGE_BUTTONS,
    CHILD_BUTTONS,
    cards_needed,
    change_screen,
    greeting,
    language_screen,
    question_screen,
    results_screen,
)
from bot.tg.send import Screen, ack, remove_reply_keyboard, say, show
from bot.usecases.conversations import end_conversations, quiet_conversations, remember_sent
from bot.usecases.search import count_once, search_with_cards

_TAP_AGAIN = "Please tap one of the buttons."


# --- entry points ---


def _fresh_answers(context: BotContext, link_language: Language | None) -> Answers:
    """A new conversation keeps only her language: chosen, from a link, or her app's."""
    language = link_language or context.answers.language or app_language(context.turn.app_language)
    return Answers(language=language)


async def start(update: Update, context: BotContext) -> None:
    """/start (also from a staff link), 🔄 Start over, or a first message: begin again."""
    await ack(update)
    stop_waiting(context)  # whatever was asked outside the conversation is over
    payload = context.args[0] if context.args else ""
    catalog = context.services.catalog
    link = parse_start_payload(payload, {p.id for p in catalog.places}) if payload else None
    # Not a mother's link: a center's invite link opens its own screen; any other payload
    # (used, expired, broken) is a normal start.
    if payload and link is None and await open_invite(update, context, payload):
        return
    # The "send my location" keyboard of the conversation she leaves must not linger.
    lingering = context.session is not None and context.session.location_keyboard
    answers = _fresh_answers(context, Language(link.lang) if link else None)
    if link is not None and link.place is not None:
        place = catalog.place(link.place)
        if place is not None:
            answers = msgspec.structs.replace(answers, region=place.region, place=place.id)
    session = context.begin(answers)
    if link is not None and link.source:
        session.source = link.source
        context.turn.started_from = link.source
    if answers.language is None:
        first = app_language(context.turn.app_language) or Language(
            context.services.settings.default_language
        )
        await show(update, context, language_screen(first))
        return
    if lingering:  # an inline screen cannot take it away: the greeting does, on its own
        await say(context, greeting(), remove_reply_keyboard())
        await _show_current(update, context)
        return
    await _show_current(update, context, greet=True)


async def first_contact(update: Update, context: BotContext) -> None:
    """Someone without a conversation wrote or tapped: begin one."""
    if update.callback_query is not None:
        await ack(update, context.t._("Let's begin again."))
    await start(update, context)


async def language_command(update: Update, context: BotContext) -> None:
    """/language: the two languages; the conversation goes on after her choice."""
    await ack(update)
    if context.session is None:
        context.begin(Answers())
    else:
        context.answers = context.answers.without(Step.LANGUAGE)
    session = context.session
    assert session is not None
    session.screen = None  # the choice is a new message below her command
    await show(update, context, language_screen(context.language))


async def cancel(update: Update, context: BotContext) -> None:
    """Stop the questions; what the conversation kept (answers, language) is dropped."""
    t = context.t
    context.end()
    await say(
        context,
        esc(t._("Stopped. Your answers are deleted. /start to begin again, /sos for the numbers.")),
        remove_reply_keyboard(),
    )


# --- showing where she is ---


async def show_current(update: Update, context: BotContext) -> None:
    """Her current screen (the results once every answer is in), as a new message."""
    session = context.session
    if session is None:
        await start(update, context)
        return
    session.screen = None
    await _show_current(update, context)


async def _show_current(
    update: Update, context: BotContext, hint: str = "", greet: bool = False
) -> None:
    """The screen of the step she is at; the results once every answer is in."""
    session = context.session
    assert session is not None
    t = context.t
    catalog = context.services.catalog
    if session.answers.missing() is Step.RESULTS and session.view is not View.CHANGE:
        await _show_results(update, context, esc(hint) if hint else "")
        return
    if session.answers.missing() is Step.RESULTS:
        screen = change_screen(session, catalog, t)
    else:
        screen = question_screen(session, catalog, t, esc(hint) if hint else "")
    if greet:
        screen = Screen(f"{greeting()}\n\n{screen.text}", screen.markup)
    await show(update, context, screen)


async def page_of(
    context: BotContext, session: Session, query: Query
) -> tuple[MatchResult, dict[str, Center]]:
    """Her search, and the whole entries of the cards up to her page."""
    return await search_with_cards(
        context.services, query, lambda result: cards_needed(session, result)
    )


async def show_results(update: Update, context: BotContext) -> None:
    """Her results, in place of the screen she tapped on (used by reports' "Back")."""
    await _show_results(update, context)


async def _show_results(update: Update, context: BotContext, hint: str = "") -> None:
    session = context.session
    assert session is not None
    services = context.services
    query = session.answers.to_query(services.gazetteer)
    if query is None:  # her place left the catalog since she answered: ask it again
        session.answers = session.answers.without(Step.PLACE)
        await _show_current(update, context)
        return
    t = context.t
    where = location_name(services.catalog, query.location.place, query.location.region, t)
    # One search: the page's cards and the count for the statistics come from it.
    result, centers = await page_of(context, session, query)
    count = count_once(session, query, result)
    if count is not None:
        context.turn.searches.append(count)
    talk = live.talk_button(t) if live.line_open(services) else None
    screen = results_screen(session, result, centers, services.catalog, t, where, hint, talk)
    context.turn.shown.extend(screen.centers)  # counted per day and center, without her
    await show(update, context, screen)


async def _leave_location_view(context: BotContext, session: Session, name: str) -> None:
    """The "send my location" keyboard goes away with a short neutral line."""
    if session.location_keyboard:
        await say(context, fill(context.t._("📍 {place}"), place=name), remove_reply_keyboard())
        session.screen, session.location_keyboard = None, False
    session.view = None


# --- taps ---


async def on_tap(update: Update, context: BotContext) -> None:
    """A tap on a button of a step: `<step>:<value>`."""
    query = update.callback_query
    assert query is not None and query.data is not None
    session = context.session
    if session is None:
        await first_contact(update, context)
        return
    prefix, _, value = query.data.partition(":")
    step = Step(prefix)
    if step is Step.LANGUAGE:
        await _language_tapped(update, context, value)
        return
    current = session.answers.missing()
    if step is not current:
        await stale_button(update, context)
        return
    t = context.t
    match step:
        case Step.AGE:
            handled = _age_tapped(session, value)
        case Step.CHILD:
            handled = _child_tapped(session, value)
        case Step.PLACE:
            handled = await _place_tapped(update, context, session, value)
        case Step.NEEDS:
            handled = await _needs_tapped(update, context, session, value)
        case Step.RESULTS:
            handled = _results_tapped(session, value)
    if not handled:
        await ack(update, t._(_TAP_AGAIN))
        return
    await ack(update)
    await _show_current(update, context)


async def _language_tapped(update: Update, context: BotContext, value: str) -> None:
    if value not in tuple(Language):
        await ack(update, context.t._(_TAP_AGAIN))
        return
    context.answers = msgspec.structs.replace(context.answers, language=Language(value))
    await ack(update)
    await _show_current(update, context)


def _age_tapped(session: Session, value: str) -> bool:
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


def _child_tapped(session: Session, value: str) -> bool:
    if value == "pregnant":
        session.answers = msgspec.structs.replace(session.answers, pregnant=True, child_months=None)
        return True
    if value not in {str(months) for _, months in CHILD_BUTTONS}:
        return False
    session.answers = msgspec.structs.replace(
        session.answers, pregnant=False, child_months=int(value)
    )
    return True


async def _place_tapped(update: Update, context: BotContext, session: Session, value: str) -> bool:
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
        await _leave_location_view(context, session, name)
        return True
    place = catalog.place(value)
    if place is None:
        return False
    session.answers = msgspec.structs.replace(session.answers, region=place.region, place=place.id)
    await _leave_location_view(context, session, place.name.get(context.t.lang))
    return True


async def _needs_tapped(update: Update, context: BotContext, session: Session, value: str) -> bool:
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


def _results_tapped(session: Session, value: str) -> bool:
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
    if kind == "edit" and argument in {Step.AGE, Step.CHILD, Step.PLACE, Step.NEEDS}:
        step = Step(argument)
        if step is Step.NEEDS:  # the keyboard opens with her current choice ticked
            session.picked = session.answers.needs
        session.answers = session.answers.without(step)
        session.view, session.page = None, 0
        return True
    return False


async def stale_button(update: Update, context: BotContext) -> None:
    """A button from an earlier message: explain, and show the current screen below."""
    session = context.session
    if session is None:
        await first_contact(update, context)
        return
    await ack(update, context.t._("This button is from an earlier step."))
    session.screen = None  # the old message stays as it is; the current screen comes anew
    await _show_current(update, context)


# --- typed answers ---


async def on_text(update: Update, context: BotContext) -> None:
    """Typed text answers the step she is at; anything else gets a hint and the question."""
    message = update.effective_message
    assert message is not None
    session = context.session
    if session is None:
        await start(update, context)
        return
    text = (message.text or "")[:200]
    t = context.t
    hint = ""
    match session.answers.missing():
        case Step.LANGUAGE:
            hint = t._(_TAP_AGAIN)
        case Step.AGE:
            hint = _age_typed(session, text, t)
        case Step.CHILD:
            parsed = parse_child(text)
            if parsed is None:
                hint = t._(
                    "I did not understand. Write, for example: 3 months, 1.5 years, or “pregnant”."
                )
            else:
                session.answers = msgspec.structs.replace(
                    session.answers, pregnant=parsed.pregnant, child_months=parsed.months
                )
        case Step.PLACE:
            location = context.services.gazetteer.resolve(text[:100])
            if location is None:
                hint = t._(
                    "I could not find this place. Tap your city or region, or send your location."
                )
            else:
                session.answers = msgspec.structs.replace(
                    session.answers, region=location.region, place=location.place
                )
                name = location_name(context.services.catalog, location.place, location.region, t)
                await _leave_location_view(context, session, name)
        case Step.NEEDS:
            hint = t._("Please choose with the buttons, then tap “Done”.")
        case Step.RESULTS:
            hint = t._(_TAP_AGAIN)
            session.view = None
    session.screen = None  # her message is below the old screen: the answer comes below it
    await _show_current(update, context, hint)


def _age_typed(session: Session, text: str, t: Translator) -> str:
    parsed = parse_age(text)
    if parsed is None:
        return t._("I did not understand. Please type your age as a number, for example 17.")
    if not parsed.plausible:
        session.view, session.pending_age = View.AGE_CONFIRM, parsed.years
        return ""
    session.view, session.pending_age = None, None
    session.answers = msgspec.structs.replace(session.answers, age=parsed.years)
    return ""


async def location_shared(update: Update, context: BotContext) -> None:
    """The nearest catalog place to her location; the coordinates are not kept."""
    message = update.effective_message
    assert message is not None and message.location is not None
    session = context.session
    if session is None:
        await start(update, context)
        return
    t = context.t
    hint = ""
    if session.answers.missing() is not Step.PLACE:
        hint = t._(_TAP_AGAIN)
    else:
        nearest = context.services.gazetteer.nearest(
            message.location.latitude, message.location.longitude
        )
        if nearest is None:
            hint = t._("Please tap your city or region.")
        else:
            session.answers = msgspec.structs.replace(
                session.answers, region=nearest.region, place=nearest.place
            )
            catalog = context.services.catalog
            name = location_name(catalog, nearest.place, nearest.region, t)
            await _leave_location_view(context, session, name)
    session.screen = None
    await _show_current(update, context, hint)


async def not_understood(update: Update, context: BotContext) -> None:
    """Stickers, photos, voice, files, unknown commands: a kind hint and the question."""
    session = context.session
    if session is None:
        await start(update, context)
        return
    session.screen = None
    await _show_current(
        update, context, context.t._("Sorry, I can only read text and buttons here.")
    )


# --- the end of a quiet conversation ---


async def end_idle_conversations(context: BotContext) -> int:
    """End every conversation idle longer than allowed: one gentle, silent line, then
    everything kept about it is dropped (and the WAL emptied). Works the same after a
    restart, since it reads the stored conversations; returns how many were ended."""
    services = context.services
    quiet = await quiet_conversations(services)
    for item in quiet:
        if item.language is None:
            continue
        text = translator(item.language)._(
            "We paused because it was quiet for a while; your answers are deleted. "
            "Tap /start to begin again."
        )
        # Silent: a message that buzzes long after she put the phone away could give her
        # away. She may also have blocked the bot: that must not stop the others.
        try:
            message = await context.bot.send_message(
                item.user_id, esc(text), reply_markup=remove_reply_keyboard(),
                disable_notification=True,
            )  # fmt: skip
            await remember_sent(services, item.user_id, [message.message_id])
        except TelegramError:
            continue
    await end_conversations(services, [item.user_id for item in quiet])
    return len(quiet)
