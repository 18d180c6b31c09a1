"""Centers confirm their own entries: /invite, the coordinator's screens, /approve.

`/invite ID` gives an admin a one-time link (see `bot.usecases.invites`) for the center's
coordinator. Opening it shows the entry as mothers see it, with «All correct» and «Correct
it» (phones, hours, free places, status). Nothing the coordinator sends is published by
itself: it waits for an admin's /approve, and only then is the entry marked as confirmed by
the center, with the day the center said so. The link grants nothing else, works once, and
a used or expired one is an ordinary /start.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from dataclasses import field as default
from datetime import date

from telegram import InlineKeyboardButton, Message, Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from bot.catalog.changes import (
    CENTER_FIELDS,
    ChangeError,
    Err,
    Field,
    apply_change,
    field_of_code,
    value_text,
)
from bot.core.model import Center
from bot.i18n import N_, Translator
from bot.render import esc, fill, verification_line
from bot.tg.adminkit import (
    FIELD_LABELS,
    admin_tap,
    change_line,
    command_words,
    error_text,
    known_center,
    record_number,
    short,
    tap_data,
)
from bot.tg.awaiting import Waiting, current, stop_waiting, value_button, wait_for
from bot.tg.context import BotContext
from bot.tg.menu import tell_admins
from bot.tg.send import ack, button, keyboard, say
from bot.usecases.invites import (
    INVITE_DAYS,
    approve_proposal,
    center_stamp,
    new_invite,
    reject_proposal,
    send_proposal,
    use_invite_link,
    waiting_proposals,
)

_LOGGER = logging.getLogger(__name__)
INVITE = "iv"  # iv:ok, iv:fix, iv:f:<field code>, iv:send, iv:stop: the coordinator's taps
APPROVE = "ap"  # ap:y:<number>, ap:n:<number>: an admin approves or rejects
_MAX_LISTED = 10
# A proposal is shown whole before /approve; the field bounds keep it well inside a message.
_PREVIEW_CHARS = 1000
CENTER_EXAMPLES: dict[Field, str] = {
    Field.PHONES: N_("+77011234567, +77172000000 (every number mothers may call)"),
    Field.HOURS: N_("Mon–Fri 9:00–18:00, or 24/7"),
    Field.FREE_PLACES: N_("3 (how many mothers you can take in today)"),
}
_STATUS_CHOICES = (
    (N_("Working"), "active"),
    (N_("Closed for now"), "temporarily_closed"),
    (N_("Closed"), "closed"),
)


def entry_text(center: Center, t: Translator) -> list[str]:
    """The entry as its coordinator checks it."""
    lines = [f"<b>{esc(center.name.get(t.lang))}</b>", esc(center.summary.get(t.lang))]
    for shown in CENTER_FIELDS:
        label = t._(FIELD_LABELS[shown])
        lines.append(f"{esc(label)}: {esc(short(value_text(center, shown)))}")
    return lines


@dataclass(kw_only=True)
class Coordinator(Waiting):
    """Someone who opened a center's invite: may propose corrections to that entry only."""

    center_id: str
    changes: dict[str, str] = default(default_factory=dict)
    field: Field | None = None

    def seconds(self) -> float:
        return 60 * 60

    async def on_text(self, update: Update, context: BotContext, text: str) -> None:
        t = context.t
        center = await context.services.full_center(self.center_id)
        if center is None:
            stop_waiting(context)
            return
        if self.field is None:
            await say(context, esc(t._("Please use the buttons.")))
            await self.show_fields(context, center)
            return
        try:
            apply_change(center, self.field, text, center_stamp(date.today()))
        except ChangeError as error:
            if error.code is not Err.SAME:
                await say(context, error_text(error, t))
                await say(context, esc(t._("Send it again, or tap another field.")))
                return
        self.changes[self.field.value] = text
        self.field = None
        await self.show_fields(context, center)

    async def on_cancel(self, update: Update, context: BotContext) -> None:
        await say(context, esc(context.t._("Stopped. Nothing was sent.")))

    async def show_fields(self, context: BotContext, center: Center) -> None:
        """What can be corrected, with what she has typed so far."""
        t = context.t
        lines = [esc(t._("Tap what to correct and send the new value. Then tap “Send”."))]
        for name, value in self.changes.items():
            lines.append(
                fill(
                    t._("New: {field}: {value}"),
                    field=t._(FIELD_LABELS[Field(name)]),
                    value=short(value, _PREVIEW_CHARS),
                )
            )
        rows = [
            [
                button(
                    ("✔️ " if f.value in self.changes else "") + t._(FIELD_LABELS[f]),
                    f"{INVITE}:f:{f.code}",
                )
            ]
            for f in CENTER_FIELDS
        ]
        rows.append(
            [button(t._("📨 Send"), f"{INVITE}:send"), button(t._("✖️ Stop"), f"{INVITE}:stop")]
        )
        wait_for(context, self)
        await say(context, "\n".join(lines), keyboard(rows))


async def open_invite(update: Update, context: BotContext, payload: str) -> bool:
    """`/start c_…`: a valid link shows the coordinator the entry (and is used up); anything
    else is False, and the start goes on as a mother's."""
    center = await use_invite_link(context.services, payload)
    if center is None:
        return False
    t = context.t
    lines = [
        esc(t._("Hello! This is Ana Komek, a bot that helps young mothers find support.")),
        esc(t._("This is how mothers see your organisation:")),
        "",
        *entry_text(center, t),
        f"<i>{verification_line(center, t)}</i>",
        "",
        esc(t._("Is everything correct?")),
    ]
    rows = [
        [
            button(t._("✅ All correct"), f"{INVITE}:ok"),
            button(t._("✏️ Correct it"), f"{INVITE}:fix"),
        ]
    ]
    wait_for(context, Coordinator(center_id=center.id))
    await say(context, "\n".join(lines), keyboard(rows))
    _LOGGER.info("A center's invite link was opened")
    return True


async def on_tap(update: Update, context: BotContext) -> None:
    """The coordinator's taps; once the link's time is over they do nothing."""
    t = context.t
    waiting = current(context)
    center = (
        await context.services.full_center(waiting.center_id)
        if isinstance(waiting, Coordinator)
        else None
    )
    if not isinstance(waiting, Coordinator) or center is None:
        await ack(update, t._("This link's time is over. Ask for a new link."), alert=True)
        raise ApplicationHandlerStop
    await ack(update)
    parts = tap_data(update)
    action = parts[1] if len(parts) > 1 else ""
    if action == "fix":
        await waiting.show_fields(context, center)
    elif action == "f" and len(parts) == 3:
        chosen = field_of_code(parts[2])
        if chosen in CENTER_FIELDS:
            waiting.field = chosen
            wait_for(context, waiting)
            await _ask(context, center, chosen)
    elif action in ("ok", "send"):
        stop_waiting(context)
        changes = list(waiting.changes.items()) if action == "send" else []
        number = await send_proposal(context.services, center.id, changes)
        await say(
            context,
            esc(
                t._(
                    "Thank you! An admin will look at it soon; then the card will say that your "
                    "organisation confirmed it."
                )
            ),
        )
        await _tell_admins(context, number, center)
    elif action == "stop":
        stop_waiting(context)
        await waiting.on_cancel(update, context)
    raise ApplicationHandlerStop


async def _ask(context: BotContext, center: Center, chosen: Field) -> None:
    t = context.t
    lines = [
        fill(
            t._("{field} now: {value}"),
            field=t._(FIELD_LABELS[chosen]),
            value=short(value_text(center, chosen), 300),
        ),
    ]
    rows: list[list[InlineKeyboardButton]] = []
    if chosen is Field.STATUS:  # chosen with a button: there is nothing to type
        lines.append(esc(t._("Tap one of the buttons below.")))
        rows = [[value_button(t._(text), value)] for text, value in _STATUS_CHOICES]
    else:
        example = t._(CENTER_EXAMPLES[chosen])
        lines.append(fill(t._("Send the new value. Example: {example}"), example=example))
    await say(context, "\n".join(lines), keyboard(rows) if rows else None)


async def _tell_admins(context: BotContext, number: int, center: Center) -> None:
    def text_for(t: Translator) -> str:
        return fill(
            t._("📨 «{name}» ({id}) sent its entry: /approve"),
            name=center.name.get(t.lang),
            id=center.id,
        )

    await tell_admins(context, text_for, "a proposal")


# --- admins ---


async def invite_command(update: Update, context: BotContext) -> None:
    """/invite ID: a one-time link for that center's coordinator."""
    t = context.t
    words = command_words(update, 3)
    center = await known_center(context, words[1] if len(words) > 1 else None)
    if center is None:
        return
    user = context.turn.user_id
    assert user is not None
    payload = await new_invite(context.services, center.id, user, update_id=context.turn.update_id)
    link = f"https://t.me/{context.bot.username}?start={payload}"
    lines = [
        fill(
            t.ngettext(
                "A one-time link for «{name}» ({id}), valid for {days} day:",
                "A one-time link for «{name}» ({id}), valid for {days} days:",
                INVITE_DAYS,
            ),
            name=center.name.get(t.lang),
            id=center.id,
            days=INVITE_DAYS,
        ),
        esc(link),
        esc(
            t._(
                "Send it to the center's coordinator. It shows them their entry; what they send "
                "waits for /approve. It works once."
            )
        ),
    ]
    await say(context, "\n".join(lines))


def _proposal_text(
    number: int, center: Center, changes: tuple[tuple[str, str], ...], day: date, t: Translator
) -> str:
    lines = [
        fill(
            t._("#{number} · «{name}» ({id}) · sent {date}"),
            number=number,
            name=center.name.get(t.lang),
            id=center.id,
            date=day.strftime("%d.%m.%Y"),
        )
    ]
    if not changes:
        lines.append(esc(t._("The center says everything is correct.")))
    for name, value in changes:
        chosen = Field(name)
        now = short(value_text(center, chosen), _PREVIEW_CHARS)
        lines.append(
            change_line(t._(FIELD_LABELS[chosen]), now, _proposed(center, chosen, value, day))
        )
    return "\n".join(lines)


def _proposed(center: Center, chosen: Field, value: str, day: date) -> str:
    """The whole value the card would show after approval (the bounds keep it short), so an
    admin approves what she read; a value the entry can no longer take is shown as sent."""
    try:
        return value_text(apply_change(center, chosen, value, center_stamp(day)), chosen)
    except ChangeError:
        return short(value, _PREVIEW_CHARS)


async def approve_command(update: Update, context: BotContext) -> None:
    """/approve: what centers sent, each with Approve and Reject; /approve N approves one."""
    t = context.t
    words = command_words(update, 3)
    if len(words) > 1:
        typed = words[1].lstrip("#")
        number = record_number(typed)
        if number is not None:
            await approve(context, number)
        elif typed.isdigit():  # a number no proposal has
            await say(context, fill(t._("Nothing waits under #{number}."), number=short(typed, 30)))
        else:
            await say(context, esc(t._("Write the number: /approve 3, or /approve for the list.")))
        return
    waiting = await waiting_proposals(context.services)
    if not waiting:
        await say(context, esc(t._("Nothing waits for approval.")))
        return
    for item in waiting[:_MAX_LISTED]:
        center = await context.services.full_center(item.center_id)
        if center is None:
            continue
        rows = [
            [
                button(t._("✅ Approve"), f"{APPROVE}:y:{item.id}"),
                button(t._("✖️ Reject"), f"{APPROVE}:n:{item.id}"),
            ]
        ]
        await say(
            context, _proposal_text(item.id, center, item.changes, item.day, t), keyboard(rows)
        )
    if len(waiting) > _MAX_LISTED:
        rest = len(waiting) - _MAX_LISTED
        await say(
            context, fill(t.ngettext("…and {count} more.", "…and {count} more.", rest), count=rest)
        )


async def approve(context: BotContext, number: int) -> None:
    """Publish what a center sent: its values, and "confirmed by the center" on its day."""
    t = context.t
    user = context.turn.user_id
    assert user is not None
    approval = await approve_proposal(
        context.services, number, user, update_id=context.turn.update_id
    )
    if not approval.waited:
        await say(context, fill(t._("Nothing waits under #{number}."), number=number))
    elif approval.refused is not None:
        await say(context, error_text(approval.refused, t))
    elif approval.center is None:
        await known_center(context, None)
    else:
        await say(
            context,
            fill(t._("Approved #{number}. The card now says:"), number=number)
            + f"\n<i>{verification_line(approval.center, t)}</i>",
        )


@admin_tap
async def approve_tapped(update: Update, context: BotContext) -> None:
    """ap:y:<number> / ap:n:<number>."""
    parts = tap_data(update)
    number = record_number(parts[2]) if len(parts) == 3 else None
    if number is None:
        return
    query = update.callback_query
    if query is not None and isinstance(query.message, Message):
        with contextlib.suppress(TelegramError):
            await query.message.edit_reply_markup(None)
    if parts[1] == "y":
        await approve(context, number)
    elif await reject_proposal(context.services, number, update_id=context.turn.update_id):
        await say(context, fill(context.t._("Rejected #{number}; nothing changed."), number=number))
    else:
        await say(context, fill(context.t._("Nothing waits under #{number}."), number=number))
