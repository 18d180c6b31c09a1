"""What every admin tool shares: who may use it, how a change is stamped, stored and shown.

Every admin command is wrapped by `bot.tg.commands.admin_command` and every admin button by
`admin_tap`;
`change` applies one typed value through the service layer (`bot.usecases.editing`) and
says what happened.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import date, datetime, timedelta, timezone
from typing import Any

from telegram import InlineKeyboardButton, Update
from telegram.ext import ApplicationHandlerStop

from bot.catalog import history
from bot.catalog.changes import (
    ChangeError,
    Err,
    Field,
    Stamp,
    admin_who,
    field_named,
    value_text,
)
from bot.core.codes import Checked
from bot.core.model import Center
from bot.i18n import N_, Translator
from bot.render import esc, fill, verification_line
from bot.tg.context import BotContext
from bot.tg.send import ack, button, keyboard, say
from bot.usecases.editing import admin_stamp, edit_field
from bot.usecases.once import applied_before

# Kazakhstan has kept one time zone, UTC+5, since March 2024.
KZ_TIME = timezone(timedelta(hours=5))
MENU = "cm"  # cm:<center id>: the entry with its field buttons (see `bot.tg.editing`)
UNDO = "cu"  # cu:<center id>: undo the entry's last change (see `bot.tg.history`)
_SHOWN_CHARS = 80
_ECHO_CHARS = 60
_RECORD_DIGITS = 12

FIELD_LABELS: dict[Field, str] = {
    Field.PHONE: N_("Add a phone"),
    Field.PHONES: N_("Phones"),
    Field.HOURS: N_("Opening hours"),
    Field.FREE_PLACES: N_("Free places"),
    Field.STATUS: N_("Status"),
    Field.NEEDS: N_("What it helps with"),
    Field.SHELTER: N_("Gives a place to live"),
    Field.MOTHER_AGE_MIN: N_("Mother's age from"),
    Field.MOTHER_AGE_MAX: N_("Mother's age up to"),
    Field.CHILD_AGE_MIN: N_("Child's age from, months"),
    Field.CHILD_AGE_MAX: N_("Child's age up to, months"),
    Field.ACCEPTS_PREGNANT: N_("Takes pregnant women"),
    Field.EXCLUSIONS: N_("Does not accept"),
    Field.REQUIREMENTS: N_("Asks for first"),
    Field.STAY_MIN: N_("Shortest stay"),
    Field.STAY_MAX: N_("Longest stay"),
    Field.STAY_MAX_EXCEPTIONAL: N_("Longest stay, exceptional cases"),
    Field.NAME_KK: N_("Name in Kazakh"),
    Field.NAME_RU: N_("Name in Russian"),
    Field.SUMMARY_KK: N_("Summary in Kazakh"),
    Field.SUMMARY_RU: N_("Summary in Russian"),
    Field.ADDRESS_KK: N_("Address in Kazakh"),
    Field.ADDRESS_RU: N_("Address in Russian"),
    Field.ADDRESS_PUBLIC: N_("Address is public"),
    Field.WEBSITE: N_("Website"),
    Field.PLACE: N_("Place"),
    Field.ORG_TYPE: N_("State or not"),
    Field.SOURCE: N_("Add a source"),
    Field.NOTES: N_("Notes for admins"),
    Field.VERIFIED: N_("How it was checked"),
    Field.NEWEST_SOURCE: N_("Year of the newest source"),
}
_OTHER_LABELS = {history.CREATED: N_("New entry"), history.UPLOADED: N_("Data file upload")}
ERRORS: dict[Err, str] = {
    Err.PHONE: N_("«{value}» is not a phone number in the form +7XXXXXXXXXX."),
    Err.NOT_FOUND: N_("the entry has no «{value}»."),
    Err.NUMBER: N_("write a whole number from {low} to {high}, or - when unknown."),
    Err.CODE: N_("«{value}» is not one of: {known}."),
    Err.YES_NO: N_("write yes, no, or - when unknown."),
    Err.DURATION: N_("write a duration such as P6M or 6m, 1y, 10d, 2h, or - when unknown."),
    Err.URL: N_("«{value}» is not an http(s) address."),
    Err.TOO_LONG: N_("that is too long: at most {limit} characters."),
    Err.TOO_MANY: N_("that is too many: at most {limit} phone numbers."),
    Err.TOO_MANY_SOURCES: N_("that is too many: at most {limit} sources."),
    Err.STAY: N_("a stay must be from 1 day to 3 years (the shortest stay: from 1 hour)."),
    Err.EMPTY: N_("this field cannot be empty."),
    Err.PLACE: N_("there is no place or region «{value}»."),
    Err.NOT_ALLOWED: N_("only a center itself can confirm its entry (see /invite)."),
    Err.RULE: N_("the data files' rules refuse it: {problem}"),
    Err.SAME: N_("the entry already says this."),
}


def is_admin(context: BotContext) -> bool:
    """True for an id in ADMIN_IDS (taps are checked here; commands by their filter)."""
    return context.turn.user_id in context.services.settings.admin_ids


def stamp(context: BotContext, how: Checked = Checked.PHONED, day: date | None = None) -> Stamp:
    """Who changes the catalog now (this admin), and how the facts were learned."""
    user = context.turn.user_id
    assert user is not None
    return admin_stamp(user, how, day)


def who(context: BotContext) -> str:
    """This admin, as history and entries name them."""
    user = context.turn.user_id
    assert user is not None
    return admin_who(user)


def label(name: str, t: Translator) -> str:
    """A field's name in the admin's language (also "new entry", "file upload")."""
    field = field_named(name)
    if field is not None and field.value == name:
        return t._(FIELD_LABELS[field])
    return t._(_OTHER_LABELS[name]) if name in _OTHER_LABELS else name


def change_line(field: str, old: str, new: str) -> str:
    """ "Phones: — → +77011234567" (the same in every language)."""
    return fill("{field}: {old} → {new}", field=field, old=old, new=new)


def error_text(error: ChangeError, t: Translator) -> str:
    """ "Nothing changed: <why>." in the admin's language."""
    # What she typed is echoed cut: the answer stays one short line whatever was sent.
    values = {k: short(v, _ECHO_CHARS) if k == "value" else v for k, v in error.values.items()}
    reason = fill(t._(ERRORS[error.code]), **values)
    return t._("Nothing changed: {reason}").format(reason=reason)


def short(text: str, limit: int = _SHOWN_CHARS) -> str:
    """A value cut to fit a line."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def when(stamp_seconds: float) -> str:
    """A moment in Kazakhstan's time, as a line of history says it."""
    return datetime.fromtimestamp(stamp_seconds, KZ_TIME).strftime("%d.%m.%Y %H:%M")


async def known_center(context: BotContext, center_id: str | None) -> Center | None:
    """The center with this id, or None after one line saying there is none."""
    center = await context.services.full_center(center_id) if center_id else None
    if center is None:
        await say(context, esc(context.t._("No center with this id. /export lists them all.")))
    return center


def saved_text(before: Center, after: Center, field: Field, t: Translator) -> str:
    """ "Saved. Phones: — → +77011234567" and what the card now says about checking."""
    line = fill(
        t._("Saved. {field}: {old} → {new}"),
        field=label(field.value, t),
        old=short(value_text(before, field)),
        new=short(value_text(after, field)),
    )
    return f"{line}\n<i>{verification_line(after, t)}</i>"


def after_change_keyboard(center_id: str, t: Translator) -> list[list[InlineKeyboardButton]]:
    """Under a saved change: edit more, or undo it."""
    return [
        [
            button(t._("✏️ Edit more"), f"{MENU}:{center_id}"),
            button(t._("↩️ Undo"), f"{UNDO}:{center_id}"),
        ]
    ]


async def change(
    context: BotContext, center: Center, field: Field, raw: str, how: Checked = Checked.PHONED
) -> Center | None:
    """Apply one typed value, store it and say so; None (after one line) if refused."""
    t = context.t
    try:
        changed = await edit_field(
            context.services,
            center,
            field,
            raw,
            stamp(context, how),
            update_id=context.turn.update_id,
        )
    except ChangeError as error:
        await say(context, error_text(error, t))
        return None
    await say(
        context,
        saved_text(center, changed, field, t),
        keyboard(after_change_keyboard(center.id, t)),
    )
    return changed


AdminHandler = Callable[[Update, BotContext], Coroutine[Any, Any, None]]


async def already_done(update: Update, context: BotContext) -> None:
    """An admin's update whose change is stored already (handled again after a restart):
    say so in one line, and do nothing again."""
    if not (is_admin(context) and context.turn.private):
        return
    if not await applied_before(context.services, context.turn.update_id):
        return
    await ack(update)
    await say(
        context,
        esc(context.t._("Already done: this was carried out before the bot restarted.")),
    )
    raise ApplicationHandlerStop


def admin_tap(handler: AdminHandler) -> AdminHandler:
    """An admin's button: for anyone else it is an unknown old button (the conversation's)."""

    async def run(update: Update, context: BotContext) -> None:
        if not is_admin(context):
            return
        await ack(update)
        await handler(update, context)
        raise ApplicationHandlerStop

    run.__name__ = run.__qualname__ = handler.__name__
    run.__doc__ = handler.__doc__
    return run


def command_words(update: Update, parts: int) -> list[str]:
    """The command's text split into at most `parts` pieces, the last one whole."""
    message = update.effective_message
    text = (message.text or "") if message else ""
    return text.split(maxsplit=parts - 1)


def record_number(text: str) -> int | None:
    """A report's or proposal's number as typed ("12", "#12"); None when it is not a number
    any row can have (SQLite's integers end at 19 digits: more would raise OverflowError)."""
    digits = text.lstrip("#")
    if digits.isascii() and digits.isdigit() and len(digits) <= _RECORD_DIGITS:
        return int(digits)
    return None


def tap_data(update: Update) -> list[str]:
    """A tap's data, split at ':' (the center id is always the last part)."""
    query = update.callback_query
    return (query.data or "").split(":") if query else []
