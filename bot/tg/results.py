"""The answer: a summary line, a card per center (a few at a time), then the national lines
and what she can do next. Matching runs in memory on every show; it costs microseconds.
"""

from __future__ import annotations

import hashlib
import json

from telegram import InlineKeyboardMarkup, Update

from bot.core.geo import Location
from bot.core.matching import MatchResult, Query, match_centers
from bot.i18n import Translator
from bot.render import center_card, hotlines_block, location_name, summary_line
from bot.storage import state_repo
from bot.tg.common import (
    COUNTED,
    SHOWN,
    Context,
    ack,
    answers,
    button,
    edit_buttons,
    say,
    send_pin,
    services,
    set_step,
    sos_row,
    tr,
    user_data,
)
from bot.tg.states import RESULTS

PAGE_SIZE = 3


def _query(context: Context) -> Query | None:
    given = answers(context)
    try:
        location = services(context).gazetteer.region_location(given["region"])
        if given.get("place"):
            location = services(context).gazetteer.place_location(given["place"])
        return Query(
            mother_age=int(given["age"]),
            pregnant=bool(given["pregnant"]),
            child_months=given.get("child_months"),
            location=Location(location.region, location.place, location.lat, location.lon),
            needs=frozenset(given["needs"]),
        )
    except (KeyError, TypeError, ValueError):
        return None  # answers from an older catalog or dropped by a timeout


def _result(context: Context) -> tuple[MatchResult, Query] | None:
    query = _query(context)
    if query is None:
        return None
    return match_centers(services(context).catalog, query), query


async def _back_to_questions(update: Update, context: Context) -> int:
    """Her answers are gone (a timeout) or stale (the catalog changed): ask them again."""
    from bot.tg.questions import ask_next  # the questions import this module

    answers(context).clear()
    return await ask_next(update, context)


def footer_keyboard(t: Translator, remaining: int) -> InlineKeyboardMarkup:
    """What she can do after reading: more, change an answer, start over, language, wipe."""
    rows = []
    if remaining > 0:
        rows.append(
            [
                button(
                    t.ngettext("Show {count} more", "Show {count} more", remaining).format(
                        count=remaining
                    ),
                    "more",
                )
            ]
        )
    rows += [
        [button(t._("✏️ Change an answer"), "change"), button(t._("🔄 Start over"), "restart")],
        [button(t._("🌐 Language"), "language"), *sos_row(t)],
        [button(t._("🧹 Clear this chat"), "clear")],
    ]
    return InlineKeyboardMarkup(rows)


async def show_footer(update: Update, context: Context, result: MatchResult | None = None) -> int:
    """The national lines and the next steps, below the cards."""
    t = tr(update, context)
    if result is None:
        found = _result(context)
        if found is None:
            return await _back_to_questions(update, context)
        result = found[0]
    shown = int(user_data(context).get(SHOWN, 0))
    remaining = max(0, len(result.matches) - shown)
    text = "\n".join(
        [t._("Phone lines for all of Kazakhstan:"), hotlines_block(result.hotlines, t)]
    )
    set_step(context, "results")
    await say(update, context, text, footer_keyboard(t, remaining))
    return RESULTS


async def _send_page(update: Update, context: Context, result: MatchResult) -> None:
    t = tr(update, context)
    catalog = services(context).catalog
    shown = int(user_data(context).get(SHOWN, 0))
    page = result.matches[shown : shown + PAGE_SIZE]
    for index, match in enumerate(page, start=shown + 1):
        await say(update, context, center_card(match, catalog, t, index, len(result.matches)))
        center = match.center
        address = center.shown_address.get(t.lang)
        # A pin only where the center publishes its address: shelters often keep it secret.
        if address and center.lat is not None and center.lon is not None:
            # The address is the pin's title: a center's name may say "crisis" on a lock screen.
            where = location_name(catalog, center.place, center.region or "", t)
            await send_pin(update, context, center.lat, center.lon, address, where)
    user_data(context)[SHOWN] = shown + len(page)


async def show_results(update: Update, context: Context) -> int:
    """Run the search, count it (no user id), send the first cards and the footer."""
    t = tr(update, context)
    found = _result(context)
    if found is None:
        return await _back_to_questions(update, context)
    result, query = found
    catalog = services(context).catalog
    where = location_name(catalog, query.location.place, query.location.region, t)
    user_data(context)[SHOWN] = 0
    # Counted once per set of answers: showing the same results again in another language
    # is not another search.
    signature = hashlib.sha256(json.dumps(answers(context), sort_keys=True).encode()).hexdigest()
    if user_data(context).get(COUNTED) != signature[:16]:
        user_data(context)[COUNTED] = signature[:16]
        db = await services(context).database()
        await state_repo.count_search(
            db, query.location.region, sorted(query.needs), result.local_count == 0
        )
    await say(update, context, summary_line(result, catalog, where, t))
    await _send_page(update, context, result)
    return await show_footer(update, context, result)


async def show_more(update: Update, context: Context) -> int:
    """The next cards, then a fresh footer; the old footer loses its buttons."""
    await ack(update)
    await edit_buttons(update, None)
    found = _result(context)
    if found is None:
        return await _back_to_questions(update, context)
    await _send_page(update, context, found[0])
    return await show_footer(update, context, found[0])


async def change_menu(update: Update, context: Context) -> int:
    """Which answer to change."""
    t = tr(update, context)
    await ack(update)
    keyboard = InlineKeyboardMarkup(
        [
            [button(t._("My age"), "change:age"), button(t._("My child"), "change:child")],
            [button(t._("My place"), "change:place"), button(t._("What I need"), "change:needs")],
            sos_row(t),
        ]
    )
    await say(update, context, t._("What would you like to change?"), keyboard)
    return RESULTS


async def change_answer(update: Update, context: Context) -> int:
    """Forget one answer and ask it again; the results follow right after."""
    from bot.tg.questions import ask_needs, ask_next  # the questions import this module

    query = update.callback_query
    assert query is not None and query.data is not None
    await ack(update)
    field = query.data.split(":", 1)[1]
    if field == "needs":
        # The needs keyboard opens with her current choice ticked.
        user_data(context).pop("picked", None)
        return await ask_needs(update, context)
    given = answers(context)
    for key in {
        "age": ("age",),
        "child": ("pregnant", "child_months"),
        "place": ("region", "place"),
    }.get(field, ()):
        given.pop(key, None)
    return await ask_next(update, context)
