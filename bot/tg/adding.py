"""/add: a new center from the phone, by a short guided dialog.

Names in Kazakh and Russian, a summary in each, state or not, the place, what it helps with,
and at least one public source (with the year the newest was published) or "phoned". The
id comes from the place and the Russian name and is unique; the entry is validated like a
data file and is live at once. Phones, hours and the rest are added afterwards with /edit,
each stamped with how it was learned.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from telegram import InlineKeyboardButton, Message, Update
from telegram.error import BadRequest

from bot.catalog.changes import ChangeError, NewCenter, Where, source_year
from bot.core.codes import Need, OrgType
from bot.core.limits import MAX_NAME_CHARS, MAX_SOURCE_URL_CHARS, MAX_SOURCES, MAX_SUMMARY_CHARS
from bot.core.model import UNKNOWN_YEAR, Localized, SourceYear
from bot.core.web import is_url
from bot.i18n import N_, Translator
from bot.render import NEED_SHORT, esc, fill
from bot.tg.adminkit import MENU, error_text, short, stamp
from bot.tg.awaiting import Waiting, stop_waiting, value_button, wait_for
from bot.tg.context import BotContext
from bot.tg.send import button, keyboard, say
from bot.usecases.editing import add_center, id_for_new_center, locator

PHONED = "phoned"
_LIMITS = {"name": MAX_NAME_CHARS, "summary": MAX_SUMMARY_CHARS}


class Question(StrEnum):
    """The dialog's questions, in order."""

    NAME_KK = "name_kk"
    NAME_RU = "name_ru"
    SUMMARY_KK = "summary_kk"
    SUMMARY_RU = "summary_ru"
    ORG_TYPE = "org_type"
    PLACE = "place"
    NEEDS = "needs"
    SOURCES = "sources"
    SOURCE_YEAR = "source_year"
    CONFIRM = "confirm"


_ORDER = tuple(Question)
QUESTIONS: dict[Question, str] = {
    Question.NAME_KK: N_("Its name in Kazakh?"),
    Question.NAME_RU: N_("Its name in Russian?"),
    Question.SUMMARY_KK: N_("In Kazakh, one or two plain sentences: who it helps and how?"),
    Question.SUMMARY_RU: N_("In Russian, one or two plain sentences: who it helps and how?"),
    Question.ORG_TYPE: N_("Is it a state organisation?"),
    Question.PLACE: N_("Where does it work? A city, a region, or “national”."),
    Question.NEEDS: N_("What does it help with? Tap all that fit, then “Done”, or type codes."),
    Question.SOURCES: N_(
        "Where do these facts come from? Send the public page(s) (https://…), or tap "
        "“I phoned them” if you learned them by phone."
    ),
    Question.SOURCE_YEAR: N_(
        "In which year was the newest of these pages published? Write the year, for example "
        "2024, or tap “Unknown”."
    ),
    Question.CONFIRM: N_("Create this entry?"),
}


@dataclass(kw_only=True)
class NewCenterDraft(Waiting):
    """What /add has gathered so far."""

    question: Question = Question.NAME_KK
    answers: dict[str, str] = field(default_factory=dict)
    where: Where | None = None
    needs: list[Need] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    phoned: bool = False
    newest_source: SourceYear = None

    def seconds(self) -> float:
        return 30 * 60

    def new_center(self) -> NewCenter:
        a = self.answers
        assert self.where is not None
        return NewCenter(
            name=Localized(kk=a["name_kk"], ru=a["name_ru"]),
            summary=Localized(kk=a["summary_kk"], ru=a["summary_ru"]),
            org_type=OrgType(a["org_type"]),
            where=self.where,
            needs=tuple(n for n in Need if n in self.needs),
            sources=tuple(self.sources),
            newest_source=None if self.phoned else self.newest_source,
        )

    async def on_text(self, update: Update, context: BotContext, text: str) -> None:
        problem = self._take(context, text)
        if problem:
            await say(context, problem)
        await self.ask(context)

    async def on_value(self, update: Update, context: BotContext, value: str) -> None:
        if self.question is Question.NEEDS and value.startswith("n:"):
            code = value[2:]
            if code in tuple(Need):
                need = Need(code)
                self.needs = (
                    [n for n in self.needs if n != need]
                    if need in self.needs
                    else [*self.needs, need]
                )
                await self._refresh_needs(update, context)
            return
        if self.question is Question.CONFIRM and value == "create":
            await self._create(context)
            return
        if value == "cancel":
            stop_waiting(context)
            await self.on_cancel(update, context)
            return
        await self.on_text(update, context, value)

    async def on_cancel(self, update: Update, context: BotContext) -> None:
        await say(context, esc(context.t._("Cancelled. Nothing changed.")))

    def _take(self, context: BotContext, text: str) -> str:
        """Take an answer to the current question; a line saying what is wrong, or ""."""
        t = context.t
        q = self.question
        if q in (Question.NAME_KK, Question.NAME_RU, Question.SUMMARY_KK, Question.SUMMARY_RU):
            limit = _LIMITS[q.value.rsplit("_", 1)[0]]
            if not text:
                return esc(t._("Please write it in a message."))
            if len(text) > limit:
                return fill(t._("That is too long: at most {limit} characters."), limit=limit)
            self.answers[q.value] = text
        elif q is Question.ORG_TYPE:
            if text not in tuple(OrgType):
                return esc(t._("Please tap one of the buttons."))
            self.answers[q.value] = text
        elif q is Question.PLACE:
            self.where = locator(context.services)(text)
            if self.where is None:
                return fill(t._("There is no place or region «{value}»."), value=short(text))
        elif q is Question.NEEDS:
            if text != "done":
                codes = [w for w in re.split(r"[\s,;]+", text.lower()) if w]
                unknown = [c for c in codes if c not in tuple(Need)]
                if unknown or not codes:
                    return fill(
                        t._("«{value}» is not one of: {known}."),
                        value=short(", ".join(unknown)),
                        known=", ".join(Need),
                    )
                self.needs = [Need(c) for c in codes]
            if not self.needs:
                return esc(t._("Choose at least one."))
        elif q is Question.SOURCES:
            if text == PHONED:
                self.sources, self.phoned = [], True
            else:
                urls = [w for w in re.split(r"[\s,;]+", text) if w]
                bad = [u for u in urls if not is_url(u)]
                if bad or not urls:
                    return fill(
                        t._("«{value}» is not an http(s) address."),
                        value=short(bad[0] if bad else text),
                    )
                if any(len(url) > MAX_SOURCE_URL_CHARS for url in urls):
                    return fill(
                        t._("That is too long: at most {limit} characters."),
                        limit=MAX_SOURCE_URL_CHARS,
                    )
                if len(set(urls)) > MAX_SOURCES:
                    return fill(
                        t._("That is too many: at most {limit} sources."), limit=MAX_SOURCES
                    )
                self.sources, self.phoned = list(dict.fromkeys(urls)), False
        elif q is Question.SOURCE_YEAR:
            try:
                # "-" is no answer here: a page she just read is dated, or "unknown".
                self.newest_source = source_year(text, date.today()) or UNKNOWN_YEAR
            except ChangeError as error:
                return error_text(error, t)
        elif q is Question.CONFIRM:
            return esc(t._("Please tap one of the buttons."))
        self.question = _ORDER[_ORDER.index(q) + 1]
        if self.question is Question.SOURCE_YEAR and self.phoned:
            # A phone call dates itself (today); there is no page to date.
            self.question = Question.CONFIRM
        return ""

    def _needs_rows(self, t: Translator) -> list[list[InlineKeyboardButton]]:
        rows = [
            [value_button(("✅ " if n in self.needs else "") + t._(NEED_SHORT[n]), f"n:{n}")]
            for n in Need
        ]
        return [*rows, [value_button(t._("Done ➡️"), "done")]]

    async def _refresh_needs(self, update: Update, context: BotContext) -> None:
        query = update.callback_query
        if query is not None and isinstance(query.message, Message):
            try:
                await query.message.edit_reply_markup(keyboard(self._needs_rows(context.t)))
                return
            except BadRequest:
                pass
        await self.ask(context)

    async def ask(self, context: BotContext) -> None:
        """The current question, with its buttons."""
        t = context.t
        q = self.question
        number = _ORDER.index(q) + 1
        head = fill(t._("New center, step {number} of {total}:"), number=number, total=len(_ORDER))
        lines = [head, esc(t._(QUESTIONS[q]))]
        rows: list[list[InlineKeyboardButton]] = []
        if q is Question.ORG_TYPE:
            rows = [
                [
                    value_button(t._("State"), OrgType.STATE),
                    value_button(t._("Not state"), OrgType.NON_STATE),
                ]
            ]
        elif q is Question.NEEDS:
            rows = self._needs_rows(t)
        elif q is Question.SOURCES:
            rows = [[value_button(t._("I phoned them"), PHONED)]]
        elif q is Question.SOURCE_YEAR:
            rows = [[value_button(t._("Unknown"), UNKNOWN_YEAR)]]
        elif q is Question.CONFIRM:
            lines = [head, *self._summary(context), "", esc(t._(QUESTIONS[q]))]
            rows = [
                [value_button(t._("✅ Create"), "create"), value_button(t._("✖️ Cancel"), "cancel")]
            ]
        lines.append(esc(t._("/cancel stops; nothing is saved until the last step.")))
        wait_for(context, self)
        await say(context, "\n".join(lines), keyboard(rows) if rows else None)

    def _summary(self, context: BotContext) -> list[str]:
        t = context.t
        new = self.new_center()
        center_id = id_for_new_center(context.services, new)
        where = new.where.place or new.where.region or t._("all of Kazakhstan")
        source = t._("phoned by you today") if self.phoned else ", ".join(new.sources)
        dated = [] if self.phoned else [self._year_line(t, new.newest_source)]
        return [
            fill(t._("Id: {id}"), id=center_id),
            f"<b>{esc(new.name.kk)}</b> / <b>{esc(new.name.ru)}</b>",
            esc(short(new.summary.get(t.lang), 300)),
            fill(t._("Where: {where}"), where=where),
            fill(
                t._("Helps with: {needs}."), needs=t.join([t._(NEED_SHORT[n]) for n in new.needs])
            ),
            fill(t._("Source: {source}"), source=source),
            *dated,
        ]

    @staticmethod
    def _year_line(t: Translator, year: SourceYear) -> str:
        shown = str(year) if isinstance(year, int) else t._("Unknown")
        return fill(t._("The newest source was published: {year}"), year=shown)

    async def _create(self, context: BotContext) -> None:
        t = context.t
        try:
            center = await add_center(
                context.services,
                self.new_center(),
                stamp(context),
                t.lang,
                update_id=context.turn.update_id,
            )
        except ChangeError as error:
            await say(context, error_text(error, t))
            return
        stop_waiting(context)
        await say(
            context,
            fill(t._("Created {id}. Mothers can find it now. Add phones and hours:"), id=center.id),
            keyboard([[button(t._("✏️ Edit"), f"{MENU}:{center.id}")]]),
        )


async def add_command(update: Update, context: BotContext) -> None:
    """/add: start the dialog."""
    await NewCenterDraft().ask(context)
