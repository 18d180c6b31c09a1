"""Admins change the catalog field by field from their phone: /edit and /set.

`/edit ID` shows the entry with a button per field; a tap asks for the new value with an
example, and the admin's next message is the value (/cancel stops). `/set ID FIELD VALUE`
does the same in one line. Every value is validated like the data files
(`bot.catalog.changes`); a bad one gets one clear line and changes nothing. A change is one
transaction (the entry, its history row, the catalog's revision), live at once for every
mother; /undo (`bot.tg.history`) reverts it.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardButton, Update

from bot.catalog.changes import Field, field_named, field_of_code, value_text
from bot.core.model import UNKNOWN_YEAR, Center
from bot.i18n import N_, Translator
from bot.render import esc, fill, verification_line
from bot.tg.adminkit import (
    FIELD_LABELS,
    admin_tap,
    change,
    command_words,
    known_center,
    label,
    short,
    tap_data,
)
from bot.tg.awaiting import Waiting, stop_waiting, value_button, wait_for
from bot.tg.context import BotContext
from bot.tg.send import button, keyboard, say

EDIT = "ce"  # ce:<field code>:<center id>: ask for a field's new value

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
    Field.NEWEST_SOURCE: N_("2024 (the year the newest source was published), unknown, or -"),
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
    Field.NEWEST_SOURCE: ((N_("Unknown"), UNKNOWN_YEAR),),
}

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
