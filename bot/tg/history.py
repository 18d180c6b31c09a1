"""An entry's changes, and taking the last one back: /history and /undo.

`/history ID` lists every change of an entry (when, who, field, old → new), a page at a time;
`/undo ID` reverts the last one, and the undo is recorded too.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.catalog.history import Change, UndoError
from bot.core.model import Center
from bot.i18n import Translator
from bot.render import MAX_MESSAGE, esc, fill, verification_line
from bot.tg.adminkit import (
    admin_tap,
    change_line,
    command_words,
    known_center,
    label,
    short,
    tap_data,
    when,
)
from bot.tg.context import BotContext
from bot.tg.send import button, keyboard, say
from bot.usecases.editing import center_history, entry_exists_or_existed, undo_last_change

HISTORY = "hi"  # hi:<page>:<center id>: a page of an entry's history
_PAGE_CHARS = MAX_MESSAGE - 600
_HISTORY_CHARS = 200


# --- /history ---


def history_lines(changes: list[Change], t: Translator) -> list[str]:
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


def history_pages(changes: list[Change], t: Translator) -> list[str]:
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
    changes = await center_history(context.services, center.id)
    head = fill(t._("Changes of «{name}» ({id}):"), name=center.name.get(t.lang), id=center.id)
    pages = history_pages(changes, t)
    if not pages:
        return head + "\n" + esc(t._("No changes recorded yet.")), []
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
    admin = context.turn.user_id
    assert admin is not None
    try:
        done = await undo_last_change(
            context.services, center_id, admin, update_id=context.turn.update_id
        )
    except UndoError as error:
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
    if center_id and await entry_exists_or_existed(context.services, center_id):
        await undo(context, center_id)
    else:
        await known_center(context, None)


@admin_tap
async def undo_tapped(update: Update, context: BotContext) -> None:
    """cu:<center id>: undo from the button under a saved change."""
    await undo(context, tap_data(update)[-1])
