"""Reports from anyone: «⚠️ Report a mistake» under the results, and the admins' queue.

She taps the button, then the card (by the number it has on her screen), then what is wrong;
for "something else" she may add a few words. Stored: the center, the reason, her words and
the day, nothing about her. She gets one neutral line of thanks and her results again. The
admins are told the center and the reason, never who. /reports lists the open ones; /resolve
deletes one with her words (and empties the WAL). Her words are never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import date

from telegram import InlineKeyboardButton, Update

from bot.core.answers import Step
from bot.core.codes import ReportReason
from bot.core.model import Center
from bot.core.session import Session
from bot.i18n import N_, Translator
from bot.render import MAX_MESSAGE, esc, fill
from bot.tg.adminkit import command_words, record_number, short
from bot.tg.awaiting import Waiting, stop_waiting, value_button, wait_for
from bot.tg.context import BotContext
from bot.tg.conversation import page_of, show_current, show_results, stale_button
from bot.tg.menu import tell_admins
from bot.tg.screens import REPORT, answers_line, bottom_row, results_page
from bot.tg.send import Screen, ack, button, keyboard, say, show
from bot.usecases.reports import open_reports, record_report, resolve_report

_LOGGER = logging.getLogger(__name__)
REASON_BUTTONS: dict[ReportReason, str] = {
    ReportReason.NO_ANSWER: N_("📵 The number does not answer"),
    ReportReason.CLOSED: N_("🚪 It is closed"),
    ReportReason.REFUSED: N_("🙅 They did not take me"),
    ReportReason.OTHER: N_("✍️ Something else"),
}
# How admins read the reason.
REASON_TEXT: dict[ReportReason, str] = {
    ReportReason.NO_ANSWER: N_("the number does not answer"),
    ReportReason.CLOSED: N_("it is closed"),
    ReportReason.REFUSED: N_("they did not take her"),
    ReportReason.OTHER: N_("something else"),
}
# At most this many reports per person and hour are stored; more are thanked for and dropped
# (a flood must not bury the real ones). Counted in memory, under a hash with a key that lives
# only as long as the process.
MAX_PER_HOUR = 5
_KEY = secrets.token_bytes(16)
_recent: dict[str, list[float]] = {}


def _flooding(user_id: int) -> bool:
    key = hmac.new(_KEY, str(user_id).encode(), hashlib.sha256).hexdigest()
    now = time.time()
    times = [t for t in _recent.get(key, []) if now - t < 3600]
    for other in [k for k, v in _recent.items() if not v or now - v[-1] >= 3600]:
        del _recent[other]  # memory stays bounded
    times.append(now)
    _recent[key] = times
    return len(times) > MAX_PER_HOUR


def center_tag(center_id: str) -> str:
    """Six hex digits naming a center in button data: a button made for one search is not
    taken for another card that now has the same number."""
    return hashlib.sha256(center_id.encode()).hexdigest()[:6]


@dataclass(frozen=True)
class Card:
    """A card on her current results page: the number she sees and its center."""

    number: int
    center: Center


async def _cards(context: BotContext, session: Session) -> list[Card] | None:
    """The cards of the results page she is on, or None when she is not at her results."""
    services = context.services
    if session.answers.missing() is not Step.RESULTS:
        return None
    query = session.answers.to_query(services.gazetteer)
    if query is None:
        return None
    result, centers = await page_of(context, session, query)
    shown = results_page(session, result, centers, services.catalog, context.t)
    return [Card(i + 1, centers[result.matches[i].center.id]) for i in shown]


def _head(context: BotContext, session: Session) -> list[str]:
    """The two neutral lines every screen of hers starts with."""
    t = context.t
    return [esc(t._("Ana Komek")), answers_line(session.answers, context.services.catalog, t), ""]


def which_screen(context: BotContext, session: Session, cards: list[Card]) -> Screen:
    """Which card is wrong?"""
    t = context.t
    rows = [
        [
            button(
                f"{c.number}. {short(c.center.name.get(t.lang), 40)}",
                f"{REPORT}:c:{c.number}:{center_tag(c.center.id)}",
            )
        ]
        for c in cards
    ]
    rows += [[button(t._("⬅️ Back"), f"{REPORT}:back")], bottom_row(t)]
    text = [*_head(context, session), esc(t._("Which card has a mistake? Tap its number."))]
    return Screen("\n".join(text), keyboard(rows))


def reason_screen(context: BotContext, session: Session, card: Card) -> Screen:
    """What is wrong with this card?"""
    t = context.t
    tag = f"{card.number}:{center_tag(card.center.id)}"
    rows = [
        [button(t._(text), f"{REPORT}:r:{tag}:{reason}")] for reason, text in REASON_BUTTONS.items()
    ]
    rows += [[button(t._("⬅️ Back"), REPORT)], bottom_row(t)]
    name = f"{card.number}. {card.center.name.get(t.lang)}"
    text = [*_head(context, session), fill(t._("What is wrong on the card {name}?"), name=name)]
    return Screen("\n".join(text), keyboard(rows))


def words_screen(context: BotContext, session: Session) -> Screen:
    """For "something else": a few words, or send without them."""
    t = context.t
    rows: list[list[InlineKeyboardButton]] = [
        [value_button(t._("Send without words"), "send")],
        [button(t._("⬅️ Back"), f"{REPORT}:back")],
        bottom_row(t),
    ]
    text = [
        *_head(context, session),
        esc(t._("Write in a few words what is wrong, or tap “Send without words”.")),
        esc(t._("Please do not write your name or phone number.")),
    ]
    return Screen("\n".join(text), keyboard(rows))


@dataclass(kw_only=True)
class ReportWords(Waiting):
    """She chose "something else": her next text is the report's words."""

    center_id: str
    reason: ReportReason

    def seconds(self) -> float:
        return 10 * 60

    async def on_text(self, update: Update, context: BotContext, text: str) -> None:
        message = update.effective_message
        if message is not None:
            context.turn.message_ids.append(message.message_id)  # /clear deletes it too
        stop_waiting(context)
        await file_report(update, context, self.center_id, self.reason, text)

    async def on_value(self, update: Update, context: BotContext, value: str) -> None:
        if value == "send":
            stop_waiting(context)
            await file_report(update, context, self.center_id, self.reason, "")

    async def on_cancel(self, update: Update, context: BotContext) -> None:
        await say(context, esc(context.t._("Not sent.")))
        await show_current(update, context)


async def file_report(
    update: Update, context: BotContext, center_id: str, reason: ReportReason, text: str
) -> None:
    """Store the report (nothing about her), thank her, tell the admins, show her results."""
    user = context.turn.user_id
    if user is not None and not _flooding(user):
        number = await record_report(context.services, center_id, reason, text)
        _LOGGER.info("A report about an entry was received")
        await _tell_admins(context, number, center_id, reason)
    await say(context, esc(context.t._("Thank you. We will check it.")))
    await show_current(update, context)


async def _tell_admins(
    context: BotContext, number: int, center_id: str, reason: ReportReason
) -> None:
    """The center and the reason, in each admin's language; never who, never her words."""
    center = context.services.catalog.center(center_id)

    def text_for(t: Translator) -> str:
        return fill(
            t._("⚠️ Report #{number}: «{name}» ({id}): {reason}. /reports lists them."),
            number=number,
            name=center.name.get(t.lang) if center else center_id,
            id=center_id,
            reason=t._(REASON_TEXT[reason]),
        )

    await tell_admins(context, text_for, "a report")


async def on_tap(update: Update, context: BotContext) -> None:
    """rp, rp:c:<n>:<tag>, rp:r:<n>:<tag>:<reason>, rp:back: the steps of a report."""
    query = update.callback_query
    session = context.session
    cards = await _cards(context, session) if session is not None else None
    if query is None or session is None or cards is None:
        await stale_button(update, context)
        return
    parts = (query.data or "").split(":")
    if parts == [REPORT] and cards:
        stop_waiting(context)
        await ack(update)
        await show(update, context, which_screen(context, session, cards))
        return
    if parts == [REPORT, "back"]:
        stop_waiting(context)
        await ack(update)
        await show_results(update, context)
        return
    card = _card_of(cards, parts)
    if card is None:
        await stale_button(update, context)
        return
    await ack(update)
    if parts[1] == "c":
        await show(update, context, reason_screen(context, session, card))
    elif parts[1] == "r" and len(parts) == 5 and parts[4] in tuple(ReportReason):
        reason = ReportReason(parts[4])
        if reason is ReportReason.OTHER:
            wait_for(context, ReportWords(center_id=card.center.id, reason=reason))
            await show(update, context, words_screen(context, session))
        else:
            await file_report(update, context, card.center.id, reason, "")
    else:
        await stale_button(update, context)


def _card_of(cards: list[Card], parts: list[str]) -> Card | None:
    """The card a tap names, if it is still on her page with the same center."""
    if len(parts) < 4 or parts[1] not in ("c", "r") or not parts[2].isdigit():
        return None
    for card in cards:
        if card.number == int(parts[2]) and center_tag(card.center.id) == parts[3]:
            return card
    return None


# --- the admins' queue ---


def _age(day: date, t: Translator) -> str:
    days = (date.today() - day).days
    if days <= 0:
        return t._("today")
    return fill(t.ngettext("{days} day ago", "{days} days ago", days), days=days)


async def reports_command(update: Update, context: BotContext) -> None:
    """/reports: the open reports, oldest first."""
    t = context.t
    reports = await open_reports(context.services)
    if not reports:
        await say(context, esc(t._("No open reports.")))
        return
    blocks = [fill(t._("Open reports: {count}. /resolve N when handled."), count=len(reports))]
    used = len(blocks[0]) + 100
    for number, report in enumerate(reports):
        center = context.services.catalog.center(report.center_id)
        name = center.name.get(t.lang) if center else report.center_id
        block = fill(
            t._("#{number} · {age} · «{name}» ({id}): {reason}"),
            number=report.id,
            age=_age(report.day, t),
            name=name,
            id=report.center_id,
            reason=t._(REASON_TEXT[report.reason]),
        )
        if report.text:
            block += "\n" + fill(t._("Her words: {text}"), text=short(report.text, 600))
        if used + len(block) + 2 > MAX_MESSAGE:
            rest = len(reports) - number
            blocks.append(
                fill(t.ngettext("…and {count} more.", "…and {count} more.", rest), count=rest)
            )
            break
        blocks.append(block)
        used += len(block) + 2
    await say(context, "\n\n".join(blocks))


async def resolve_command(update: Update, context: BotContext) -> None:
    """/resolve N: the report is handled; it goes, with her words."""
    t = context.t
    words = command_words(update, 3)
    typed = words[1].lstrip("#") if len(words) > 1 else ""
    number = record_number(typed)
    if number is None and typed.isdigit():  # a number no report has
        await say(context, fill(t._("There is no open report #{number}."), number=short(typed, 30)))
        return
    if number is None:
        await say(context, esc(t._("Write the report's number: /resolve 12.")))
        return
    if await resolve_report(context.services, number, update_id=context.turn.update_id):
        await say(context, fill(t._("Report #{number} is resolved and deleted."), number=number))
    else:
        await say(context, fill(t._("There is no open report #{number}."), number=number))
