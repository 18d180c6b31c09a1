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
from bot.core.codes import Language
from bot.core.deeplink import parse_start_payload
from bot.core.matching import MatchResult, Query
from bot.core.model import Center
from bot.core.session import Session, View
from bot.i18n import translator
from bot.render import esc, location_name
from bot.tg import live
from bot.tg.awaiting import stop_waiting
from bot.tg.context import BotContext, app_language
from bot.tg.invites import open_invite
from bot.tg.questions import QUESTIONS, TAP_AGAIN, leave_location_view
from bot.tg.screens import (
    cards_needed,
    greeting,
    language_screen,
    results_screen,
)
from bot.tg.send import Screen, ack, remove_reply_keyboard, say, show
from bot.usecases.conversations import end_conversations, quiet_conversations, remember_sent
from bot.usecases.search import count_once, search_with_cards

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
    step = session.answers.missing()
    screen = QUESTIONS[step].screen(session, catalog, t, "" if step is Step.RESULTS else esc(hint))
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
    # The language switch is on every screen; any other button answers only the step she is
    # at (one of an earlier step is old).
    if step is not Step.LANGUAGE and step is not session.answers.missing():
        await stale_button(update, context)
        return
    if not await QUESTIONS[step].tapped(update, context, session, value):
        await ack(update, context.t._(TAP_AGAIN))
        return
    await ack(update)
    await _show_current(update, context)


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
    hint = await QUESTIONS[session.answers.missing()].typed(context, session, text)
    session.screen = None  # her message is below the old screen: the answer comes below it
    await _show_current(update, context, hint)


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
        hint = t._(TAP_AGAIN)
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
            await leave_location_view(context, session, name)
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
