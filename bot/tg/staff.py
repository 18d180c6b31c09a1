"""Hotline and crisis-center staff: links that skip questions, QR posters, a quick lookup,
sharing a card, and counts of where conversations started.

Staff (STAFF_IDS, and admins) are on a call or at a desk with a woman in front of them. Only
what they choose is kept, and only while the /link dialog lasts (in memory); a /find query
is never stored or logged. Inline mode (`@bot шымкент баспана`) is open to anyone: it shows
public catalog facts only.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Update,
)
from telegram.constants import ParseMode
from telegram.ext import ApplicationHandlerStop

from bot.core.codes import Language, Need
from bot.core.deeplink import StartLink, parse_source
from bot.core.findquery import FindQuery, guess_language, parse_find
from bot.core.matching import Match, Query
from bot.core.model import Center, Geography
from bot.i18n import Translator, translator
from bot.render import (
    MAX_MESSAGE,
    center_card,
    condition_text,
    esc,
    fill,
    location_name,
    reason_text,
    verification_line,
)
from bot.staff.poster import poster, poster_lines, qr_png
from bot.tg import live
from bot.tg.context import BotContext
from bot.tg.screens import BIG_CITIES, LANGUAGE_LABELS, SHARE_PREFIX
from bot.tg.send import ack, button, keyboard, say, search
from bot.usecases import live as live_usecases
from bot.usecases.referrals import OTHER_SOURCE, link_made
from bot.usecases.stats import STAFF_LINK_DAYS, staff_link_totals

_DRAFT_MINUTES = 30
_FIND_RESULTS = 8
_INLINE_RESULTS = 10
# Inline lookups have no age: a young adult's, which no age limit in the catalog excludes
# by mistake for the kind of help asked (cards say the limits).
_INLINE_AGE = 18
# Sources listed by name in /stats; the rest are counted in one line.
_TOP_SOURCES = 20


@dataclass
class LinkDraft:
    """A /link dialog in progress: what the staffer chose so far."""

    lang: Language | None = None
    place: str | None = None
    place_chosen: bool = False
    started: float = 0.0


def _drafts(context: BotContext) -> dict[int, LinkDraft]:
    drafts: dict[int, LinkDraft] = context.bot_data.setdefault("link_drafts", {})
    cutoff = time.time() - _DRAFT_MINUTES * 60
    for user_id in [u for u, d in drafts.items() if d.started < cutoff]:
        del drafts[user_id]  # a dialog left half-way is forgotten
    return drafts


# --- /link: language, place, source → link, QR, poster ---


def _language_keyboard() -> InlineKeyboardMarkup:
    return keyboard([[button(LANGUAGE_LABELS[lang], f"link:{lang}") for lang in Language]])


def _place_keyboard(catalog: Geography, t: Translator) -> InlineKeyboardMarkup:
    cities = [catalog.place(pid) for pid in BIG_CITIES]
    buttons = [button(p.name.get(t.lang), f"link:p:{p.id}") for p in cities if p is not None]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    regions = sorted(catalog.regions, key=lambda r: r.name.get(t.lang))
    region_buttons = [button(r.name.get(t.lang), f"link:r:{r.id}") for r in regions]
    rows += [region_buttons[i : i + 2] for i in range(0, len(region_buttons), 2)]
    rows.append([button(t._("Any place (she chooses)"), "link:p:-")])
    return keyboard(rows)


async def link_command(update: Update, context: BotContext) -> None:
    """/link: ask the language of the woman the link is for."""
    user = update.effective_user
    assert user is not None
    _drafts(context)[user.id] = LinkDraft(started=time.time())
    t = context.t
    text = esc(t._("A link that opens the bot ready for her. Which language does she speak?"))
    await say(context, text, _language_keyboard())
    raise ApplicationHandlerStop


async def link_tapped(update: Update, context: BotContext) -> None:
    """A step of the /link dialog."""
    query = update.callback_query
    user = update.effective_user
    assert query is not None and query.data is not None and user is not None
    if not live.is_staff(context):
        return  # for anyone else an old button like any other (the conversation answers)
    await ack(update)
    draft = _drafts(context).get(user.id)
    t = context.t
    if draft is None:
        await say(context, esc(t._("This dialog has ended. Send /link to start again.")))
        raise ApplicationHandlerStop
    catalog = context.services.catalog
    value = query.data.removeprefix("link:")
    if value in tuple(Language):
        draft.lang = Language(value)
        text = esc(t._("Where is she? The link will skip the place question."))
        await say(context, text, _place_keyboard(catalog, t))
    elif value.startswith("r:") and catalog.region(value[2:]) is not None:
        places = sorted(
            (p for p in catalog.places if p.region == value[2:]), key=lambda p: p.name.get(t.lang)
        )
        buttons = [button(p.name.get(t.lang), f"link:p:{p.id}") for p in places]
        rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
        await say(context, esc(t._("Choose the town:")), keyboard(rows))
    elif value.startswith("p:") and (value == "p:-" or catalog.place(value[2:]) is not None):
        draft.place = None if value == "p:-" else value[2:]
        draft.place_chosen = True
        await _ask_source(context, t, draft)
    elif value == "s:-" and draft.place_chosen:
        await _send_link(context, t, draft, None)
    raise ApplicationHandlerStop


async def _ask_source(context: BotContext, t: Translator, draft: LinkDraft) -> None:
    if draft.place is None:  # the grammar has no source without a place
        await _send_link(context, t, draft, None)
        return
    text = esc(
        t._(
            "Where will the link be handed out? Type a short name of Latin letters and digits, "
            "for example h111 or roddom5, so you can count how many conversations start from "
            "it. It is printed in the link: choose a neutral one."
        )
    )
    await say(context, text, keyboard([[button(t._("No name"), "link:s:-")]]))


async def source_typed(update: Update, context: BotContext) -> None:
    """Typed text in a staffer's /link dialog: the town (as in the mother's flow) or the name
    of where the link is handed out."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    draft = _drafts(context).get(user.id)
    if draft is None or draft.lang is None:
        return  # not in a /link dialog: the text goes on to the conversation
    t = context.t
    text = message.text or ""
    if not draft.place_chosen:
        location = context.services.gazetteer.resolve(text[:100])
        if location is None or location.place is None:
            await say(context, esc(t._("I could not find this town. Tap it or type its name.")))
        else:
            draft.place, draft.place_chosen = location.place, True
            await _ask_source(context, t, draft)
        raise ApplicationHandlerStop
    source = parse_source(text)
    if source is None:
        await say(context, esc(t._("Only Latin letters and digits, up to 16, e.g. roddom5.")))
    else:
        await _send_link(context, t, draft, source)
    raise ApplicationHandlerStop


def link_dialog_waits_for_text(context: BotContext, user_id: int) -> bool:
    """Whether this staffer's /link dialog waits for typed text (the town or the source)."""
    draft = _drafts(context).get(user_id)
    return draft is not None and draft.lang is not None


async def consultant_text(update: Update, context: BotContext) -> None:
    """A message from a consultant who holds open cases. A /link dialog they have just
    started, waiting for typed text, takes their plain text: that is what they are answering
    (and its words, e.g. a source name, must not reach a mother). A Telegram reply to a
    message of a case still answers that case, and so does anything that is not text."""
    user, message = context.turn.user_id, update.effective_message
    if (
        user is not None
        and message is not None
        and message.text is not None
        and link_dialog_waits_for_text(context, user)
    ):
        replied = message.reply_to_message
        to_case = replied is not None and await live_usecases.is_case_message(
            context.services, user, replied.message_id
        )
        if not to_case:
            await source_typed(update, context)
            return
    await live.from_consultant(update, context)


async def _send_link(
    context: BotContext, t: Translator, draft: LinkDraft, source: str | None
) -> None:
    user_id = context.turn.user_id
    if user_id is not None:
        _drafts(context).pop(user_id, None)
    lang = draft.lang or context.language
    link = StartLink(lang=lang, place=draft.place, source=source).link(context.bot.username)
    if source is not None:
        await link_made(context.services, source)
    await say(context, fill(t._("The link: {link}"), link=link))
    name = context.bot.first_name or "Ana Komek"
    scan = [translator(lang)._("Scan the code or open the link.") for lang in Language]
    caption = "\n".join(esc(line) for line in [*poster_lines(name, link)[:3], *scan, link])
    chat_id = context.turn.chat_id
    assert chat_id is not None
    # Rendering is CPU work: off the event loop, so other mothers are not kept waiting.
    qr, a4, a5 = await asyncio.gather(
        asyncio.to_thread(qr_png, link),
        asyncio.to_thread(poster, link, name, "A4", "pdf"),
        asyncio.to_thread(poster, link, name, "A5", "pdf"),
    )
    for content, filename, text in (
        (qr, "ana-komek-qr.png", caption),
        (a4, "ana-komek-poster-a4.pdf", esc(t._("Poster to print, A4"))),
        (a5, "ana-komek-poster-a5.pdf", esc(t._("Poster to print, A5"))),
    ):
        message = await context.bot.send_document(
            chat_id, document=content, filename=filename, caption=text, parse_mode=ParseMode.HTML
        )
        context.turn.message_ids.append(message.message_id)


# --- /find: the same matching, one line, nothing stored ---


def find_query(found: FindQuery, default_age: int) -> Query | None:
    """The search a lookup asks for; None without a place or a need."""
    if found.location is None or not found.needs:
        return None
    return Query(
        mother_age=found.age if found.age is not None else default_age,
        pregnant=bool(found.pregnant),
        child_months=None if found.pregnant else found.child_months,
        location=found.location,
        needs=frozenset(found.needs),
    )


def compact_card(
    match: Match, center: Center, catalog: Geography, t: Translator, index: int
) -> str:
    """A center in a few lines: name, why it fits, what to check, how to reach it."""
    lines = [f"<b>{index}. {esc(center.name.get(t.lang))}</b>"]
    lines.append("✅ " + " ".join(reason_text(r, catalog, t) for r in match.reasons[:2]))
    lines += [f"⚠️ {condition_text(c, t)}" for c in match.conditions]
    lines += [f"📞 {esc(p.number)}" for p in center.phones] or [
        esc(t._("We do not know a direct number. Call 111 or 150: they will put you in touch."))
    ]
    lines.append(f"<i>{verification_line(center, t)}</i>")
    return "\n".join(lines)


async def find_command(update: Update, context: BotContext) -> None:
    """/find 19 жүкті Шымкент shelter pregnancy → compact cards."""
    text = " ".join(context.args or [])
    services = context.services
    found = parse_find(text, services.gazetteer)
    t = translator(found.language) if found.language else context.t
    query = find_query(found, default_age=_INLINE_AGE)
    if query is None:
        example = "/find 19 жүкті Шымкент shelter pregnancy"
        needs = ", ".join(str(n) for n in Need)
        lines = [
            esc(t._("Write the place and what she needs, and her age and child if you know.")),
            fill(t._("For example: {example}"), example=example),
            fill(t._("Needs: {needs}"), needs=needs),
        ]
        if found.unknown:
            words = ", ".join(found.unknown)
            lines.append(fill(t._("Not understood: {words}"), words=words))
        await say(context, "\n".join(lines))
        raise ApplicationHandlerStop
    result = await search(services.matcher, query)
    catalog = services.catalog
    where = location_name(catalog, query.location.place, query.location.region, t)
    lines = [fill(t._("Lookup for {where}:"), where=where)]
    if found.age is None:
        lines.append(esc(t._("Age not given: limits are shown on the cards.")))
    if found.unknown:
        lines.append(fill(t._("Not understood: {words}"), words=", ".join(found.unknown)))
    body = "\n".join(lines)
    listed = result.matches[:_FIND_RESULTS]
    centers = await services.full_centers(m.center.id for m in listed)
    for index, match in enumerate(listed, start=1):
        card = compact_card(match, centers[match.center.id], catalog, t, index)
        if len(body) + len(card) + 2 > MAX_MESSAGE:
            break
        body += "\n\n" + card
    if not result.matches:
        body += "\n\n" + esc(t._("Nothing fits: the national lines 111 and 150 can help."))
    await say(context, body)
    raise ApplicationHandlerStop


# --- inline mode: cards shared into any chat ---


def _neutral_pair(t: Translator) -> list[str]:
    """The two lines every shared message opens with: it lands on someone else's phone, whose
    lock screen shows them, so they say nothing about what the card is for."""
    about = t._("Support and advice for young mothers. Free and anonymous.")
    return [esc(t._("Ana Komek")), esc(about)]


def shared_card(match: Match, center: Center, catalog: Geography, t: Translator) -> str:
    """A card as a message of its own (📤 and inline mode): the neutral pair, then the card."""
    return "\n".join([*_neutral_pair(t), "", center_card(match, center, catalog, t, None)])


def _open_bot(t: Translator, link: str) -> InlineQueryResultArticle:
    text = "\n".join(_neutral_pair(t))
    return InlineQueryResultArticle(
        id="open",
        title=t._("Open Ana Komek"),
        description=t._("Support and advice for young mothers. Free and anonymous."),
        input_message_content=InputTextMessageContent(text, parse_mode=ParseMode.HTML),
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton(t._("Open the bot"), url=link)]]),
    )


def _card_result(
    match: Match, center: Center, catalog: Geography, t: Translator, link: str
) -> InlineQueryResultArticle:
    # Title and description are seen only by whoever shares, in their own inline list.
    return InlineQueryResultArticle(
        id=f"{center.id}"[:64],
        title=center.name.get(t.lang),
        description=center.summary.get(t.lang)[:120],
        input_message_content=InputTextMessageContent(
            shared_card(match, center, catalog, t), parse_mode=ParseMode.HTML
        ),
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton(t._("Open the bot"), url=link)]]),
    )


async def inline_query(update: Update, context: BotContext) -> None:
    """`@bot шымкент баспана` or a card's share button (`c:<id>`): cards and a start link."""
    inline = update.inline_query
    assert inline is not None
    services = context.services
    text = inline.query.strip()
    lang = guess_language(text) or context.language
    t = translator(lang)
    found = parse_find(text, services.gazetteer)
    shared = None
    if text.startswith(SHARE_PREFIX):
        shared = services.catalog.center(text.removeprefix(SHARE_PREFIX))
    if shared is not None and shared.region:
        location = services.gazetteer.region_location(shared.region)
        if shared.place:
            location = services.gazetteer.place_location(shared.place)
        found = FindQuery(location=location, needs=set(shared.needs))
    place = found.location.place if found.location is not None else None
    link = StartLink(lang=lang, place=place).link(context.bot.username)
    results: list[InlineQueryResultArticle] = [_open_bot(t, link)]
    if not found.needs and found.location is not None:
        found.needs = set(Need)  # a place alone: everything there
    query = find_query(found, default_age=_INLINE_AGE)
    if query is not None:
        matches = (await search(services.matcher, query)).matches
        if shared is not None:
            matches = tuple(m for m in matches if m.center.id == shared.id)
        catalog = services.catalog
        listed = matches[:_INLINE_RESULTS]
        centers = await services.full_centers(m.center.id for m in listed)
        results += [_card_result(m, centers[m.center.id], catalog, t, link) for m in listed]
    await inline.answer(results, cache_time=60, is_personal=True)


# --- /stats: where conversations started, counts only ---


async def referral_lines(context: BotContext, t: Translator) -> list[str]:
    """Per source: conversations started from a link and how many reached results; the top
    sources only, so /stats is one message whatever the data."""
    totals = await staff_link_totals(context.services, STAFF_LINK_DAYS)
    title = t._("Staff links, last {days} days (started / reached results):")
    lines = [fill(title, days=STAFF_LINK_DAYS)]
    for row in totals[:_TOP_SOURCES]:
        name = t._("other links") if row.source == OTHER_SOURCE else row.source
        lines.append(esc(f"• {name}: {row.started} / {row.reached_results}"))
    if len(totals) > _TOP_SOURCES:
        rest = len(totals) - _TOP_SOURCES
        lines.append(fill(t.ngettext("…and {count} more.", "…and {count} more.", rest), count=rest))
    if not totals:
        lines.append(esc(t._("No conversation started from a staff link yet.")))
    return lines


async def referral_stats(update: Update, context: BotContext) -> None:
    """/stats for staff: where conversations started, and how live-line cases ended; counts
    only."""
    t = context.t
    lines = [*await referral_lines(context, t), "", *await live.outcome_lines(context, t)]
    await say(context, "\n".join(lines))
    raise ApplicationHandlerStop
