"""Admins change the catalog field by field from their phone: /edit, /set, /history, /undo.

`/edit ID` shows the entry with a button per field; a tap asks for the new value with an
example, and the admin's next message is the value (/cancel stops). `/set ID FIELD VALUE`
does the same in one line. Every value is validated like the data files
(`bot.catalog.changes`); a bad one gets one clear line and changes nothing. A change is one
transaction (the entry, its history row, the catalog's revision), live at once for every
mother, and /undo reverts the last one (recorded too).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from telegram import InlineKeyboardButton, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ApplicationHandlerStop

from bot.catalog import history
from bot.catalog.changes import (
    ChangeError,
    Err,
    Field,
    Locate,
    Stamp,
    Where,
    admin_who,
    apply_change,
    field_named,
    field_of_code,
    value_text,
)
from bot.catalog.history import Revisions, Step, Then
from bot.core.codes import Checked, Coverage
from bot.core.model import Center, Localized
from bot.i18n import N_, Translator, translator
from bot.render import MAX_MESSAGE, esc, fill, verification_line
from bot.services import Services
from bot.tg.awaiting import Waiting, stop_waiting, value_button, wait_for
from bot.tg.context import BotContext
from bot.tg.menu import remember_admin
from bot.tg.send import ack, button, keyboard, say
from bot.usecases.once import applied_before

_LOGGER = logging.getLogger(__name__)
# Kazakhstan has kept one time zone, UTC+5, since March 2024.
KZ_TIME = timezone(timedelta(hours=5))
EDIT = "ce"  # ce:<field code>:<center id>: ask for a field's new value
MENU = "cm"  # cm:<center id>: the entry with its field buttons
UNDO = "cu"  # cu:<center id>: undo the entry's last change
HISTORY = "hi"  # hi:<page>:<center id>: a page of an entry's history
_PAGE_CHARS = MAX_MESSAGE - 600
_SHOWN_CHARS = 80
_ECHO_CHARS = 60
_RECORD_DIGITS = 12
_HISTORY_CHARS = 200
_NATIONAL_WORDS = frozenset({"national", "kazakhstan", "казахстан", "қазақстан", "kz"})

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
}
_OTHER_LABELS = {history.CREATED: N_("New entry"), history.UPLOADED: N_("Data file upload")}
EXAMPLES: dict[Field, str] = {
    Field.PHONE: N_(
        "+77011234567, or with kind and hours: +77011234567 whatsapp Mon–Fri 9:00–18:00. "
        "-+77011234567 removes that number."
    ),
    Field.PHONES: N_("+77011234567, +77172000000 (all numbers at once; - removes them all)"),
    Field.HOURS: N_("Mon–Fri 9:00–18:00, or 24/7"),
    Field.FREE_PLACES: N_("3 (today's number)"),
    Field.STATUS: N_("active, or: temporarily_closed Repairs until spring | Ремонт до весны"),
    Field.NEEDS: N_("legal, medical (the whole list), or +legal -medical (add, remove)"),
    Field.SHELTER: N_("yes, no or -"),
    Field.MOTHER_AGE_MIN: N_("18, or 16-18 when sources disagree, or -"),
    Field.MOTHER_AGE_MAX: N_("30, or 30-34 when sources disagree, or -"),
    Field.CHILD_AGE_MIN: N_("0, or -"),
    Field.CHILD_AGE_MAX: N_("18, or 12-18 when sources disagree, or -"),
    Field.ACCEPTS_PREGNANT: N_("yes, no or -"),
    Field.EXCLUSIONS: N_("mental_illness, substance_use (the whole list), or -"),
    Field.REQUIREMENTS: N_("police_complaint, commission_approval, documents, or -"),
    Field.STAY_MIN: N_("P10D or 10d (days), 6m (months), 1y (year), 2h (hours), or -"),
    Field.STAY_MAX: N_("P6M or 6m, 1y, 10d, or -"),
    Field.STAY_MAX_EXCEPTIONAL: N_("P9M or 9m, or -"),
    Field.NAME_KK: "«Ана үйі» қоғамдық қоры",  # a name: the same in every language
    Field.NAME_RU: "ОФ «Ана үйі»",
    Field.SUMMARY_KK: N_("One or two plain sentences: who it helps and how."),
    Field.SUMMARY_RU: N_("One or two plain sentences: who it helps and how."),
    Field.ADDRESS_KK: N_("Абай даңғылы, 1 (only an address the center itself publishes)"),
    Field.ADDRESS_RU: N_("пр. Абая, 1 (only an address the center itself publishes)"),
    Field.ADDRESS_PUBLIC: N_("yes only when the center itself publishes its address"),
    Field.WEBSITE: N_("https://example.kz, or -"),
    Field.PLACE: N_("almaty, Шымкент, a region, or national"),
    Field.ORG_TYPE: N_("state or non_state"),
    Field.SOURCE: N_("https://… (a public page that says it); -https://… removes one"),
    Field.NOTES: N_("What to check next time, disagreements between sources; or -"),
    Field.VERIFIED: N_("phoned (you phoned the center today) or desk (public sources)"),
}
# Buttons for fields with a few possible values (they answer like a typed value).
_YES_NO = ((N_("Yes"), "yes"), (N_("No"), "no"), (N_("Unknown"), "-"))
CHOICES: dict[Field, tuple[tuple[str, str], ...]] = {
    Field.STATUS: (
        (N_("Active"), "active"),
        (N_("Closed for now"), "temporarily_closed"),
        (N_("Closed"), "closed"),
    ),
    Field.SHELTER: _YES_NO,
    Field.ACCEPTS_PREGNANT: _YES_NO,
    Field.ADDRESS_PUBLIC: ((N_("Yes"), "yes"), (N_("No"), "no")),
    Field.ORG_TYPE: ((N_("State"), "state"), (N_("Not state"), "non_state")),
    Field.VERIFIED: ((N_("I phoned them today"), "phoned"), (N_("Public sources"), "desk")),
}
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
# What a status other than active says when an admin gives no reason.
CLOSED_REASON = N_("Marked as closed on {date}.")


# --- shared by every admin tool ---


def is_admin(context: BotContext) -> bool:
    """True for an id in ADMIN_IDS (taps are checked here; commands by their filter)."""
    return context.turn.user_id in context.services.settings.admin_ids


def who(context: BotContext) -> str:
    """This admin, as history and entries name them."""
    user = context.turn.user_id
    assert user is not None
    return admin_who(user)


def closed_reason(day: date) -> Localized:
    """The neutral reason kept with a status set without one, in both languages."""
    text = {
        lang: translator(lang)._(CLOSED_REASON).format(date=day.strftime("%d.%m.%Y"))
        for lang in ("kk", "ru")
    }
    return Localized(kk=text["kk"], ru=text["ru"])


def stamp(context: BotContext, how: Checked = Checked.PHONED, day: date | None = None) -> Stamp:
    """Who changes the catalog now, and how the facts were learned."""
    today = day or date.today()
    return Stamp(today=today, who=who(context), how=how, closed_reason=closed_reason(today))


def locator(services: Services) -> Locate:
    """Reads a place as an admin types it: an id, a name in any spelling, or national."""
    catalog, gazetteer = services.catalog, services.gazetteer

    def locate(text: str) -> Where | None:
        key = text.strip().lower()
        if key in _NATIONAL_WORDS:
            return Where(Coverage.NATIONAL)
        place = catalog.place(key)
        if place is not None:
            return Where(Coverage.CITY, place.region, place.id)
        region = catalog.region(key)
        location = gazetteer.region_location(region.id) if region else gazetteer.resolve(text)
        if location is None:
            return None
        if location.place is not None:
            return Where(Coverage.CITY, location.region, location.place)
        return Where(Coverage.REGION, location.region)

    return locate


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


async def adopt(
    services: Services, revisions: Revisions, center_id: str, center: Center | None
) -> None:
    """Switch every search to the changed catalog at once: in memory when nobody else changed
    the catalog in between, else by reading it again."""
    if revisions.before != services.catalog_revision:
        await services.reload_catalog()
        return
    directory = services.catalog
    # Re-sorting a big directory takes a while: in a thread, like the indexes.
    changed = (
        await asyncio.to_thread(directory.without, center_id)
        if center is None
        else await asyncio.to_thread(directory.with_center, center)
    )
    await services.use_catalog(changed)
    services.catalog_revision = revisions.after


async def save_steps(
    context: BotContext,
    center_id: str,
    steps: Sequence[Step],
    author: str,
    then: Then | None = None,
) -> None:
    """Store a change with its history in one transaction and make it live."""
    services = context.services
    revisions = await history.save(
        await services.database(), center_id, steps, author, then, update_id=update_id(context)
    )
    await adopt(services, revisions, center_id, steps[-1].after)
    _LOGGER.info("An entry was changed from Telegram (%d field(s))", len(steps))


def change_step(before: Center, after: Center, field: Field) -> Step:
    """A history step for one field."""
    return Step(field.value, value_text(before, field), value_text(after, field), before, after)


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
        changed = apply_change(center, field, raw, stamp(context, how), locator(context.services))
    except ChangeError as error:
        await say(context, error_text(error, t))
        return None
    await save_steps(context, center.id, [change_step(center, changed, field)], who(context))
    await say(
        context,
        saved_text(center, changed, field, t),
        keyboard(after_change_keyboard(center.id, t)),
    )
    return changed


AdminHandler = Callable[[Update, BotContext], Coroutine[Any, Any, None]]


def update_id(context: BotContext) -> int | None:
    """The id of the update being handled: a change records it, so it is applied once."""
    return context.turn.update_id


async def already_done(update: Update, context: BotContext) -> None:
    """An admin's update whose change is stored already (handled again after a restart):
    say so in one line, and do nothing again."""
    if not (is_admin(context) and context.turn.private):
        return
    if not await applied_before(context.services, update_id(context)):
        return
    await ack(update)
    await say(
        context,
        esc(context.t._("Already done: this was carried out before the bot restarted.")),
    )
    raise ApplicationHandlerStop


def admin_command(handler: AdminHandler) -> AdminHandler:
    """An admin command: note the admin's language, run, and let nothing else answer."""

    async def run(update: Update, context: BotContext) -> None:
        await remember_admin(context)
        await handler(update, context)
        raise ApplicationHandlerStop

    run.__name__ = run.__qualname__ = handler.__name__
    run.__doc__ = handler.__doc__
    return run


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


# --- /edit ---


def edit_menu(center: Center, t: Translator) -> tuple[str, list[list[InlineKeyboardButton]]]:
    """The entry as admins edit it: each field's value, and a button per field."""
    lines = [
        f"<b>{esc(center.name.get(t.lang))}</b> ({esc(center.id)})",
        f"<i>{verification_line(center, t)}</i>",
        "",
    ]
    for field in Field:
        if field in (Field.PHONE, Field.SOURCE):
            continue
        lines.append(f"{esc(label(field.value, t))}: {esc(short(value_text(center, field)))}")
    lines += ["", fill(t._("Tap what to change. /history {id} lists the changes."), id=center.id)]
    buttons = [button(t._(FIELD_LABELS[f]), f"{EDIT}:{f.code}:{center.id}") for f in Field]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    return "\n".join(lines), rows


async def edit_command(update: Update, context: BotContext) -> None:
    """/edit ID: the entry with a button per field."""
    words = command_words(update, 3)
    center = await known_center(context, words[1] if len(words) > 1 else None)
    if center is not None:
        text, rows = edit_menu(center, context.t)
        await say(context, text, keyboard(rows))


@dataclass(kw_only=True)
class NewValue(Waiting):
    """An admin tapped a field (or sent /set without a value): the next text is the value."""

    center_id: str
    field: Field

    async def on_text(self, update: Update, context: BotContext, text: str) -> None:
        center = await context.services.full_center(self.center_id)
        if center is None:
            stop_waiting(context)
            await known_center(context, None)
            return
        if await change(context, center, self.field, text) is not None:
            stop_waiting(context)
        else:  # refused: she may try again at once
            wait_for(context, NewValue(center_id=self.center_id, field=self.field))
            await say(context, esc(context.t._("Send another value, or /cancel.")))

    async def on_cancel(self, update: Update, context: BotContext) -> None:
        await say(context, esc(context.t._("Cancelled. Nothing changed.")))


async def ask_value(context: BotContext, center: Center, field: Field) -> None:
    """Ask for a field's new value, with its current value and an example."""
    t = context.t
    lines = [
        fill("«{name}»: {field}", name=center.name.get(t.lang), field=label(field.value, t)),
        fill(t._("Now: {value}"), value=short(value_text(center, field), 500)),
        fill(t._("Send the new value. Example: {example}"), example=t._(EXAMPLES[field])),
        esc(t._("- clears it (unknown stays empty); /cancel stops.")),
    ]
    choices = [value_button(t._(text), value) for text, value in CHOICES.get(field, ())]
    wait_for(context, NewValue(center_id=center.id, field=field))
    await say(context, "\n".join(lines), keyboard([choices]) if choices else None)


@admin_tap
async def field_tapped(update: Update, context: BotContext) -> None:
    """ce:<field code>:<center id>: ask for the value."""
    parts = tap_data(update)
    field = field_of_code(parts[1]) if len(parts) == 3 else None
    center = await known_center(context, parts[-1] if len(parts) == 3 else None)
    if center is not None and field is not None:
        await ask_value(context, center, field)


@admin_tap
async def menu_tapped(update: Update, context: BotContext) -> None:
    """cm:<center id>: the entry's field buttons again."""
    center = await known_center(context, tap_data(update)[-1])
    if center is not None:
        text, rows = edit_menu(center, context.t)
        await say(context, text, keyboard(rows))


# --- /set ---


def fields_line(t: Translator) -> str:
    """Every field name /set takes."""
    return fill(t._("Fields: {fields}."), fields=", ".join(f.value for f in Field))


async def set_command(update: Update, context: BotContext) -> None:
    """/set ID FIELD VALUE: one field in one line (without a value, the value is asked)."""
    t = context.t
    words = command_words(update, 4)
    if len(words) < 3:
        await say(
            context,
            esc(t._("Write: /set ID FIELD VALUE, e.g. /set ID phone +77011234567"))
            + "\n"
            + fields_line(t),
        )
        return
    center = await known_center(context, words[1])
    if center is None:
        return
    field = field_named(words[2])
    if field is None:
        await say(
            context,
            fill(t._("Nothing changed: there is no field «{name}»."), name=words[2])
            + "\n"
            + fields_line(t),
        )
        return
    if len(words) < 4:
        await ask_value(context, center, field)
        return
    stop_waiting(context)
    await change(context, center, field, words[3])


# --- /history ---


def history_lines(changes: list[history.Change], t: Translator) -> list[str]:
    """One block per change: when and who, then what changed."""
    blocks = []
    for item in changes:
        what = change_line(
            label(item.field, t), short(item.old, _HISTORY_CHARS), short(item.new, _HISTORY_CHARS)
        )
        if item.kind == "undo":
            what = "↩️ " + t._("Undo of {what}").format(what=what)
        elif item.undone:
            what += " " + esc(t._("(undone)"))
        blocks.append(f"<b>{esc(when(item.at))}</b> · {esc(item.who)}\n{what}")
    return blocks


def history_pages(changes: list[history.Change], t: Translator) -> list[str]:
    """The blocks grouped into pages that fit one message."""
    result: list[str] = []
    page: list[str] = []
    used = 0
    for block in history_lines(changes, t):
        if page and used + len(block) + 2 > _PAGE_CHARS:
            result.append("\n\n".join(page))
            page, used = [], 0
        page.append(block)
        used += len(block) + 2
    if page:
        result.append("\n\n".join(page))
    return result


async def history_screen(
    context: BotContext, center: Center, page: int
) -> tuple[str, list[list[InlineKeyboardButton]]]:
    """One page of an entry's history and the buttons to the others."""
    t = context.t
    changes = await history.history(await context.services.database(), center.id)
    head = fill(t._("Changes of «{name}» ({id}):"), name=center.name.get(t.lang), id=center.id)
    pages = history_pages(changes, t)
    if not pages:
        return f"{head}\n{esc(t._('No changes recorded yet.'))}", []
    page = max(0, min(page, len(pages) - 1))
    nav = []
    if page > 0:
        nav.append(button(t._("⬅️ Newer"), f"{HISTORY}:{page - 1}:{center.id}"))
    if page + 1 < len(pages):
        nav.append(button(t._("Older ➡️"), f"{HISTORY}:{page + 1}:{center.id}"))
    counter = fill(t._("Page {page} of {pages}"), page=page + 1, pages=len(pages))
    return f"{head}\n\n{pages[page]}\n\n<i>{counter}</i>", [nav]


async def history_command(update: Update, context: BotContext) -> None:
    """/history ID: every change of an entry, newest first."""
    words = command_words(update, 3)
    center = await known_center(context, words[1] if len(words) > 1 else None)
    if center is not None:
        text, rows = await history_screen(context, center, 0)
        await say(context, text, keyboard(rows))


@admin_tap
async def history_tapped(update: Update, context: BotContext) -> None:
    """hi:<page>:<center id>: another page, in place."""
    parts = tap_data(update)
    center = await context.services.full_center(parts[-1]) if len(parts) == 3 else None
    if center is None or not parts[1].isdigit():
        return
    text, rows = await history_screen(context, center, int(parts[1]))
    query = update.callback_query
    if query is not None and isinstance(query.message, Message):
        try:
            await query.message.edit_text(
                text, parse_mode=ParseMode.HTML, reply_markup=keyboard(rows)
            )
            return
        except BadRequest:
            pass
    await say(context, text, keyboard(rows))


# --- /undo ---


async def undo(context: BotContext, center_id: str) -> None:
    """Revert the entry's last change; the undo is recorded too."""
    t = context.t
    services = context.services
    try:
        done = await history.undo_last(
            await services.database(), center_id, who(context), update_id=update_id(context)
        )
    except history.UndoError as error:
        if error.code == "nothing":
            await say(context, esc(t._("Nothing to undo for this entry.")))
        else:
            await say(
                context,
                esc(
                    t._(
                        "Not undone: the entry was changed outside the bot since (an import "
                        "from the command line), and undoing would lose that change. "
                        "Change it with /edit."
                    )
                ),
            )
        return
    await adopt(services, done.revisions, center_id, done.restored)
    item = done.change
    if done.restored is None:
        await say(context, fill(t._("Undone: the new entry {id} is removed."), id=center_id))
        return
    await say(
        context,
        fill(
            t._("Undone. {field}: {old} → {new}"),
            field=label(item.field, t),
            old=short(item.new),
            new=short(item.old),
        )
        + f"\n<i>{verification_line(done.restored, t)}</i>",
    )


async def undo_command(update: Update, context: BotContext) -> None:
    """/undo ID: revert the last change of an entry."""
    words = command_words(update, 3)
    center_id = words[1] if len(words) > 1 else ""
    if center_id and await _has_history_or_entry(context, center_id):
        await undo(context, center_id)
    else:
        await known_center(context, None)


async def _has_history_or_entry(context: BotContext, center_id: str) -> bool:
    """An entry that exists, or existed (a removed one can come back with /undo)."""
    if context.services.catalog.center(center_id) is not None:
        return True
    return bool(await history.history(await context.services.database(), center_id))


@admin_tap
async def undo_tapped(update: Update, context: BotContext) -> None:
    """cu:<center id>: undo from the button under a saved change."""
    await undo(context, tap_data(update)[-1])
