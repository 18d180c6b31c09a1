"""Admins keep the catalog true from Telegram: export, upload, verify, close, reopen, stats.

Only ids in ADMIN_IDS reach these handlers; for anyone else the commands do not exist.
Every change is validated like the data files and stored in one transaction with its
history (see `bot.usecases.editing`), then the running bot switches to it. Logs name no one.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.catalog.changes import Field
from bot.catalog.edits import (
    MAX_UPLOAD_BYTES,
    EditError,
    export_zip,
    read_upload,
)
from bot.catalog.files import Problem
from bot.core.codes import Checked, Need, Status
from bot.core.model import Catalog
from bot.i18n import N_, Translator
from bot.render import NEED_SHORT, esc, fill, verification_line
from bot.tg import adminkit, live
from bot.tg.context import BotContext
from bot.tg.send import say
from bot.tg.staff import referral_lines
from bot.usecases.editing import import_catalog
from bot.usecases.stats import searches_of_last_days

_LOGGER = logging.getLogger(__name__)
# Telegram messages hold 4096 characters; long lists are cut, with a count of the rest.
_MAX_PROBLEM_LINES = 25
_MAX_PROBLEM_CHARS = 140
_MAX_NOTES_CHARS = 1500
_STATS_DAYS = 30
EDIT_ERRORS = {
    "too_large": N_("the file is larger than 2 MB, or its size is unknown"),
    "not_zip": N_("this is not a zip file"),
    "empty_zip": N_("the zip holds no catalog files"),
    "wrong_kind": N_("send a .zip of the data folder or one center's .toml file"),
}


def _args(context: BotContext) -> list[str]:
    return list(context.args or [])


async def _save(update: Update, context: BotContext, catalog: Catalog, action: str) -> None:
    """Store the new catalog (see `bot.usecases.editing.import_catalog`)."""
    await import_catalog(
        context.services, catalog, adminkit.who(context), update_id=context.turn.update_id
    )
    _LOGGER.info("Catalog changed by an admin: %s", action)


async def export(update: Update, context: BotContext) -> None:
    """Send the catalog as a zip in the data files' format."""
    chat = update.effective_chat
    assert chat is not None
    # Files are written and zipped in a thread: with a big catalog that takes a while.
    content = await asyncio.to_thread(export_zip, await context.services.full_catalog())
    message = await context.bot.send_document(
        chat.id, document=content, filename=f"ana-komek-catalog-{date.today().isoformat()}.zip"
    )
    context.turn.message_ids.append(message.message_id)  # /clear deletes it too
    raise ApplicationHandlerStop


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _problem_text(problems: list[Problem], t: Translator) -> str:
    lines = [t._("Nothing changed. Problems in the file:")]
    lines += [
        f"• {esc(_shorten(str(p), _MAX_PROBLEM_CHARS))}" for p in problems[:_MAX_PROBLEM_LINES]
    ]
    if len(problems) > _MAX_PROBLEM_LINES:
        more = len(problems) - _MAX_PROBLEM_LINES
        lines.append(fill(t.ngettext("…and {count} more.", "…and {count} more.", more), count=more))
    return "\n".join(lines)


async def upload(update: Update, context: BotContext) -> None:
    """Import an uploaded .zip (the whole catalog) or .toml (one center), all or nothing."""
    t = context.t
    message = update.effective_message
    assert message is not None and message.document is not None
    document = message.document
    size = document.file_size or 0
    filename = document.file_name or ""
    try:
        if size > MAX_UPLOAD_BYTES:  # known before downloading: don't fetch what we refuse
            raise EditError("too_large")
        file = await document.get_file()
        # Telegram states the size on getFile too; a file of unknown size is not fetched,
        # since it could be anything up to 20 MB.
        if file.file_size is None or file.file_size > MAX_UPLOAD_BYTES:
            raise EditError("too_large")
        content = bytes(await file.download_as_bytearray())
        current = await context.services.full_catalog()
        catalog, problems = await asyncio.to_thread(read_upload, filename, content, current)
    except EditError as exc:
        reason = t._(EDIT_ERRORS[exc.code])
        await say(context, fill(t._("Nothing changed: {reason}."), reason=reason))
        raise ApplicationHandlerStop from None
    if problems:
        await say(context, _problem_text(problems, t))
        raise ApplicationHandlerStop
    await _save(update, context, catalog, f"import {filename}")
    await say(
        context,
        fill(
            t._("Imported: {centers} centers, {hotlines} lines, {places} places."),
            centers=len(catalog.centers),
            hotlines=len(catalog.hotlines),
            places=len(catalog.places),
        ),
    )
    raise ApplicationHandlerStop


async def _known_center(update: Update, context: BotContext, args: list[str]) -> str | None:
    t = context.t
    if not args or context.services.catalog.center(args[0]) is None:
        await say(context, t._("No center with this id. /export lists them all."))
        return None
    return args[0]


async def show_center(update: Update, context: BotContext) -> None:
    """A center as admins need it: status, checked when and by whom, sources, notes."""
    t = context.t
    center_id = await _known_center(update, context, _args(context))
    if center_id is not None:
        center = await context.services.full_center(center_id)
        assert center is not None
        prov = center.provenance
        lines = [
            f"<b>{esc(center.name.get(t.lang))}</b> ({esc(center.id)})",
            fill(t._("Status: {status}"), status=center.status),
            f"<i>{verification_line(center, t)}</i>",
            fill(
                t._("Checked on {date} by {who}"),
                date=t.date(prov.verified_at),
                who=prov.verified_by,
            ),
            t._("Sources:"),
            *[f"• {esc(url)}" for url in prov.source_urls],
        ]
        if prov.notes:
            lines += [t._("Notes:"), esc(_shorten(prov.notes, _MAX_NOTES_CHARS))]
        await say(context, "\n".join(lines))
    raise ApplicationHandlerStop


async def verify_center(update: Update, context: BotContext) -> None:
    """/verify ID [phoned|desk]: checked today, by phone or in public sources (the default:
    a bare /verify never claims a call that was not made)."""
    t = context.t
    args = _args(context)
    center_id = await _known_center(update, context, args)
    if center_id is not None:
        how = args[1].lower() if len(args) > 1 else Checked.DESK.value
        if how not in (Checked.DESK, Checked.PHONED):
            await say(context, esc(t._("Write /verify ID phoned after a call, or /verify ID.")))
            raise ApplicationHandlerStop
        center = await context.services.full_center(center_id)
        assert center is not None
        await adminkit.change(context, center, Field.VERIFIED, how)
    raise ApplicationHandlerStop


async def close_center(update: Update, context: BotContext) -> None:
    """Close a center for now; "kk text | ru text" gives the reason in both languages."""
    t = context.t
    args = _args(context)
    center_id = await _known_center(update, context, args)
    if center_id is not None:
        reason = " ".join(args[1:]).strip()
        if not reason:
            await say(context, t._("Write the reason after the id: /close ID reason."))
            raise ApplicationHandlerStop
        center = await context.services.full_center(center_id)
        assert center is not None
        value = f"{Status.TEMPORARILY_CLOSED} {reason}"
        if await adminkit.change(context, center, Field.STATUS, value) is not None:
            await say(
                context,
                fill(t._("Closed for now: {id}. Mothers no longer see it."), id=center_id),
            )
    raise ApplicationHandlerStop


async def reopen_center(update: Update, context: BotContext) -> None:
    """Show a closed center to mothers again."""
    t = context.t
    center_id = await _known_center(update, context, _args(context))
    if center_id is not None:
        center = await context.services.full_center(center_id)
        assert center is not None
        if await adminkit.change(context, center, Field.STATUS, Status.ACTIVE) is not None:
            await say(context, fill(t._("Open again: {id}."), id=center_id))
    raise ApplicationHandlerStop


async def stats(update: Update, context: BotContext) -> None:
    """Searches of the last 30 days per region and need; no user is ever counted by name."""
    t = context.t
    catalog = context.services.catalog
    counts = await searches_of_last_days(context.services, _STATS_DAYS)
    lines = [
        fill(
            t._("Searches in the last {days} days: {total}. Nothing near her: {nothing}."),
            days=_STATS_DAYS,
            total=counts.total,
            nothing=counts.nothing_local,
        )
    ]
    for region_id, number in sorted(counts.by_region.items(), key=lambda item: -item[1]):
        region = catalog.region(region_id)
        lines.append(f"• {esc(region.name.get(t.lang) if region else region_id)}: {number}")
    if counts.by_need:
        lines.append(t._("By need:"))
        for need, number in sorted(counts.by_need.items(), key=lambda item: -item[1]):
            label = t._(NEED_SHORT[Need(need)]) if need in tuple(Need) else need
            lines.append(f"• {esc(label)}: {number}")
    lines += ["", *await referral_lines(context, t), "", *await live.outcome_lines(context, t)]
    await say(context, "\n".join(lines))
    raise ApplicationHandlerStop
