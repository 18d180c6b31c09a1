"""/stale: which entries to phone first, and the weekly reminder of the top five.

An entry is stale when nobody has confirmed it by phone, and the center has not confirmed
it, for N days (default 180); which ones, in which order, is `bot.usecases.stale`'s part.
"""

from __future__ import annotations

from datetime import time

from telegram import Update

from bot.core.codes import Checked
from bot.core.model import Center, CenterHead
from bot.i18n import Translator
from bot.render import MAX_MESSAGE, esc, fill
from bot.tg.adminkit import KZ_TIME, command_words
from bot.tg.context import BotContext
from bot.tg.menu import tell_admins
from bot.tg.send import say
from bot.usecases.stale import SHOWN_DAYS, Stale, entries_to_confirm, weekly_entries_to_confirm

DEFAULT_DAYS = 180
WEEKLY_TOP = 5
# The weekly list goes out on Monday morning, Kazakhstan time (PTB counts Sunday as 0).
WEEKLY_AT = time(9, 0, tzinfo=KZ_TIME)
WEEKLY_DAY = 1
_MAX_DAYS = 3650


def _checked(center: Center | CenterHead, t: Translator) -> str:
    prov = center.provenance
    day = prov.verified_at.strftime("%d.%m.%Y")
    match prov.verified_how:
        case Checked.DESK:
            return fill(t._("public sources only ({date})"), date=day)
        case Checked.PHONED:
            return fill(t._("phoned on {date}"), date=day)
        case Checked.CENTER:
            return fill(t._("the center confirmed on {date}"), date=day)


def stale_line(number: int, item: Stale, t: Translator) -> str:
    """ "1. Name (id) · public sources only (29.11.2026) · shown 12 times in 30 days"."""
    center = item.center
    shown = fill(
        t.ngettext(
            "shown {count} time in {days} days",
            "shown {count} times in {days} days",
            item.shown,
        ),
        count=item.shown,
        days=SHOWN_DAYS,
    )
    name = f"{number}. <b>{esc(center.name.get(t.lang))}</b> ({esc(center.id)})"
    return f"{name}\n{_checked(center, t)} · {shown}"


def stale_text(items: list[Stale], days: int, t: Translator, limit: int | None = None) -> str:
    """The list as one message: as many entries as fit (or `limit`), then how many more."""
    head = fill(
        t.ngettext(
            "Not confirmed by phone or by the center for {days} day: {count}.",
            "Not confirmed by phone or by the center for {days} days: {count}.",
            days,
        ),
        days=days,
        count=len(items),
    )
    if not items:
        return head + "\n" + esc(t._("Every entry is confirmed. Thank you!"))
    blocks = [head, esc(t._("Call these first:"))]
    used = sum(len(b) for b in blocks) + 200
    shown = 0
    for number, item in enumerate(items[:limit] if limit else items, start=1):
        line = stale_line(number, item, t)
        if used + len(line) + 2 > MAX_MESSAGE:
            break
        blocks.append(line)
        used += len(line) + 2
        shown += 1
    rest = len(items) - shown
    if rest:
        blocks.append(
            fill(t.ngettext("…and {count} more.", "…and {count} more.", rest), count=rest)
        )
    blocks.append(esc(t._("/edit ID to change an entry, /verify ID phoned after a call.")))
    return "\n\n".join(blocks)


async def stale_command(update: Update, context: BotContext) -> None:
    """/stale [days]: entries to confirm, most urgent first."""
    t = context.t
    words = command_words(update, 3)
    days = DEFAULT_DAYS
    if len(words) > 1:
        if not words[1].isdigit() or not 1 <= int(words[1]) <= _MAX_DAYS:
            await say(context, esc(t._("Write the number of days, e.g. /stale 90.")))
            return
        days = int(words[1])
    await say(context, stale_text(await entries_to_confirm(context.services, days), days, t))


async def weekly_stale(context: BotContext) -> None:
    """Each admin gets the five entries to confirm first, in their language."""
    items = await weekly_entries_to_confirm(context.services, DEFAULT_DAYS)

    def text_for(t: Translator) -> str:
        heading = esc(t._("This week's entries to confirm:"))
        return f"{heading}\n\n{stale_text(items, DEFAULT_DAYS, t, limit=WEEKLY_TOP)}"

    await tell_admins(context, text_for, "the weekly list")
