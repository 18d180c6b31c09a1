"""The live line in Telegram: a mother writes here, an on-duty consultant answers here, and
neither sees the other's account.

Her side: 💬 under the results and the numbers, or /talk, opens a case; while it is open,
everything she sends goes to the consultant holding it (or waits until someone takes it: its
message id is kept with the case in SQLite, never its text, so a restart loses none).
Consultants (STAFF_IDS and ADMIN_IDS): /duty, «Take» on a request, replies routed by the
message they answer, /card, /transfer, /end with a one-tap outcome, /block.

What she sends reaches the consultant as a new message by the bot (text, or media re-sent
by its file id): no request toward a consultant's chat carries her id, name or username.
The one exception: what she wrote while waiting, when a restart emptied the memory, is
copied by message id from her chat (copyMessage names the chat it copies from to Telegram;
the copy carries no link to it, so the consultant sees nothing of her).
What a consultant sends reaches her by copyMessage (nothing shows "forwarded from") or, for
text, as a new message, so that every message opens with two neutral lines. No text is
stored or logged; only case numbers, message ids and counts.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import date, timedelta
from typing import Any

from telegram import InlineKeyboardButton, Message, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, filters

from bot.core.codes import Language, Need
from bot.core.live import CHOSEN_OUTCOMES, Outcome
from bot.i18n import N_, Translator, translator
from bot.render import NEED_LABELS, center_card_alone, esc, fill
from bot.services import Services
from bot.tg import awaiting
from bot.tg.context import BotContext
from bot.tg.screens import LANGUAGE_LABELS, answers_line
from bot.tg.send import ack, button, keyboard, say, tapped_message
from bot.usecases import live

_LOGGER = logging.getLogger(__name__)
PREFIX = "lv"
TALK = f"{PREFIX}:talk"
# How often the timers (not taken yet, quiet too long) look at the open cases.
TICK_SECONDS = 15.0
# Her messages written before anyone took the case, at most this many: their ids in SQLite
# (they survive a restart), the messages themselves in memory while the process lives.
MAX_PENDING = 30
_PENDING_KEY = "live_pending"
_SHARED_KEY = "live_shared"
# Kinds that take a caption (the neutral head goes there); the others go as they are.
_CAPTIONED = ("photo", "video", "animation", "audio", "document", "voice")
# The telephone lines she is pointed to while nobody answers here.
_LINES = "111 / 150"

OUTCOME_LABELS = {
    Outcome.INFO: N_("Information given"),
    Outcome.REFERRED: N_("Referred to a center"),
    Outcome.EMERGENCY: N_("Emergency"),
    Outcome.NO_ANSWER: N_("No answer"),
    Outcome.ENDED_BY_HER: N_("She ended it"),
    Outcome.IDLE: N_("Quiet too long"),
    Outcome.BLOCKED: N_("Sender blocked"),
}


# --- filters: which messages belong to the live line (memory only, no waiting) ---


class HerCaseOpen(filters.MessageFilter):
    """Her messages while she has an open case."""

    def __init__(self, services: Services) -> None:
        super().__init__(name="HerCaseOpen")
        self.services = services

    def filter(self, message: Message) -> bool:
        return self.services.live.case_of(message.chat.id) is not None


class HoldsCases(filters.MessageFilter):
    """A consultant's messages while they hold at least one case."""

    def __init__(self, services: Services) -> None:
        super().__init__(name="HoldsCases")
        self.services = services

    def filter(self, message: Message) -> bool:
        user = message.from_user
        return user is not None and bool(self.services.live.cases_of(user.id))


def is_staff(context: BotContext) -> bool:
    """True for STAFF_IDS and ADMIN_IDS (admins are on the line too)."""
    settings = context.services.settings
    user = context.turn.user_id
    return user is not None and user in (settings.staff_ids | settings.admin_ids)


def line_open(services: Services) -> bool:
    """Whether anyone could answer at all (the 💬 button is shown only then)."""
    return bool(services.settings.staff_ids | services.settings.admin_ids)


def talk_button(t: Translator) -> InlineKeyboardButton:
    """💬 Talk to a person: under the results and under the numbers."""
    return button(t._("💬 Talk to a person"), TALK)


# --- texts: two neutral lines first, always ---


def _her_head(t: Translator, name: str | None = None) -> str:
    """Her messages open with the bot's name and who writes (or what this is)."""
    first = esc(t._("Ana Komek"))
    if name:
        return first + "\n💬 " + esc(name)
    return first + "\n" + esc(t._("Conversation with a consultant"))


def _case_head(t: Translator, number: int, second: str) -> str:
    """A consultant's messages open with the case number and what this is."""
    return fill(t._("Ana Komek · case №{number}"), number=number) + "\n" + second


def intro_text(t: Translator) -> str:
    return "\n".join(
        [
            _her_head(t),
            "",
            esc(
                t._(
                    "A consultant will answer you here, in this chat. You do not have to give "
                    "your name. What you write is not kept after the conversation ends."
                )
            ),
            esc(t._("If you are in danger right now, call 112 or 102.")),
            "",
            esc(t._("You can write now: text, a voice message, a photo or a file.")),
        ]
    )


def _her_buttons(t: Translator, share: bool) -> Any:
    rows = []
    if share:
        rows.append([button(t._("📋 Show my answers to the consultant"), f"{PREFIX}:share")])
    rows.append([button(t._("✖️ End the conversation"), f"{PREFIX}:stop")])
    return keyboard(rows)


def _waiting_buttons(t: Translator) -> Any:
    return keyboard(
        [[button(t._("⏳ Keep waiting"), f"{PREFIX}:wait"),
          button(t._("✖️ Stop"), f"{PREFIX}:stop")]]
    )  # fmt: skip


def _notice(t: Translator, body: str) -> str:
    """A notice to her: the bot's name, a blank line (the lock screen shows nothing more),
    then `body` (HTML)."""
    return "\n".join([esc(t._("Ana Komek")), "", body])


def nobody_text(t: Translator) -> str:
    return _notice(t, fill(t._(
        "No consultant is online right now. Call {lines}: they will help you; or "
        "wait here and a consultant will answer when one comes online."
    ), lines=_LINES))  # fmt: skip


def not_taken_text(t: Translator) -> str:
    return _notice(t, fill(t._(
        "No consultant has answered yet. Call {lines}: they will help you; or keep "
        "waiting here."
    ), lines=_LINES))  # fmt: skip


def ended_text(t: Translator) -> str:
    return _notice(t, esc(t._(
        "The conversation with the consultant has ended; nothing of it is kept. "
        "/talk to write again, /sos for the numbers."
    )))  # fmt: skip


def ended_quiet_text(t: Translator) -> str:
    return _notice(t, esc(t._(
        "The conversation with the consultant ended because it was quiet for a while. "
        "/talk to write again."
    )))  # fmt: skip


async def _answers_text(context: BotContext, chat_id: int, t: Translator) -> str:
    """Her answers (age, child, place, needs), only when she agreed to share them."""
    session = await context.services.session(chat_id, keep=False)
    if session is None:
        return ""
    answers = session.answers
    parts = [answers_line(answers, context.services.catalog, t)]
    if answers.needs:
        parts.append(t.join([t._(NEED_LABELS[Need(n)]) for n in answers.needs]))
    return "\n".join(p for p in parts if p)


def offer_text(t: Translator, case: live.Case, answers: str = "") -> str:
    lang = LANGUAGE_LABELS.get(Language(case.lang), case.lang)
    lines = [_case_head(t, case.number, fill(t._("New request · {language}"), language=lang))]
    if answers:
        lines += ["", fill(t._("Her answers: {answers}"), answers=answers)]
    return "\n".join(lines)


def _take_buttons(t: Translator, number: int) -> Any:
    return keyboard([[button(t._("✋ Take"), f"{PREFIX}:take:{number}")]])


def _consultant_help(t: Translator) -> str:
    return esc(
        t._(
            "Reply to any message of this case to answer her; with one open case you can "
            "simply write. /card ID sends her a center, /transfer hands the case over, /end "
            "closes it, /block blocks the sender."
        )
    )


# --- memory: what she wrote before a consultant took her case, and her consent ---


def _pending(context: BotContext) -> dict[int, dict[int, Message]]:
    """Case number → her waiting messages by id, in memory (a restart empties it: then they
    are copied by id from her chat)."""
    store: dict[int, dict[int, Message]] = context.bot_data.setdefault(_PENDING_KEY, {})
    return store


def _shared(context: BotContext) -> set[int]:
    store: set[int] = context.bot_data.setdefault(_SHARED_KEY, set())
    return store


def _forget_case(context: BotContext, number: int) -> None:
    _pending(context).pop(number, None)
    _shared(context).discard(number)


# --- relaying ---


def _caption(head: str, plain_head_length: int, caption: str | None) -> str:
    """Head plus her (or their) caption, within Telegram's 1024 characters."""
    room = 1024 - plain_head_length - 2
    words = (caption or "")[: max(0, room)]
    return f"{head}\n\n{esc(words)}" if words else head


async def _to_consultant(
    context: BotContext, message: Message, case: live.Case, consultant: int, t: Translator
) -> int | None:
    """Her message, as a new message in the consultant's chat; its id (None: a kind that
    cannot be passed on). Media go by file id: nothing in the request names her chat."""
    bot = context.bot
    plain_head = t._("Ana Komek · case №{number}").format(number=case.number)
    plain_head += "\n" + t._("💬 She writes:")
    head = _case_head(t, case.number, esc(t._("💬 She writes:")))
    caption = _caption(head, len(plain_head), message.caption)
    label = keyboard([[button(fill(t._("Case №{number}"), number=case.number),
                              f"{PREFIX}:n:{case.number}")]])  # fmt: skip
    html = ParseMode.HTML
    captioned = next((kind for kind in _CAPTIONED if getattr(message, kind, None)), None)
    sent: Message
    if message.text is not None:
        sent = await bot.send_message(consultant, f"{head}\n\n{esc(message.text)}", parse_mode=html)
    elif captioned is not None:
        # photo, video, animation, audio, document, voice: each goes by its own send_<kind>
        # with her caption; a photo is a list of sizes (the largest last).
        media = getattr(message, captioned)
        file_id = (media[-1] if captioned == "photo" else media).file_id
        send = getattr(bot, f"send_{captioned}")
        sent = await send(consultant, file_id, caption=caption, parse_mode=html)
    elif message.video_note is not None:
        sent = await bot.send_video_note(consultant, message.video_note.file_id,
                                         reply_markup=label)  # fmt: skip
    elif message.sticker is not None:
        sent = await bot.send_sticker(consultant, message.sticker.file_id, reply_markup=label)
    elif message.venue is not None:
        venue = message.venue
        sent = await bot.send_venue(
            consultant, venue.location.latitude, venue.location.longitude, venue.title,
            venue.address, reply_markup=label,
        )  # fmt: skip
    elif message.location is not None:
        sent = await bot.send_location(consultant, message.location.latitude,
                                       message.location.longitude, reply_markup=label)  # fmt: skip
    elif message.contact is not None:
        contact = message.contact
        sent = await bot.send_contact(consultant, contact.phone_number, contact.first_name,
                                      contact.last_name, reply_markup=label)  # fmt: skip
    else:
        return None
    return sent.message_id


async def _to_her(
    context: BotContext, message: Message, chat_id: int, name: str, t: Translator
) -> int | None:
    """A consultant's message in her chat: copied (no "forwarded from"), with two neutral
    lines first; its id (None: a kind that cannot be passed on)."""
    bot = context.bot
    head = _her_head(t, name)
    plain_head = t._("Ana Komek") + "\n💬 " + name
    if message.text is not None:
        sent = await bot.send_message(chat_id, f"{head}\n\n{esc(message.text)}",
                                      parse_mode=ParseMode.HTML)  # fmt: skip
        return sent.message_id
    if message.effective_attachment is None or message.game or message.invoice or message.poll:
        return None
    kind = next((k for k in _CAPTIONED if getattr(message, k, None)), None)
    if kind is not None:
        copied = await bot.copy_message(
            chat_id, message.chat.id, message.message_id,
            caption=_caption(head, len(plain_head), message.caption), parse_mode=ParseMode.HTML,
        )  # fmt: skip
    else:
        copied = await bot.copy_message(chat_id, message.chat.id, message.message_id)
    return copied.message_id


async def _send_quietly(context: BotContext, chat_id: int, text: str, markup: Any = None) -> int:
    """A message outside this update's chat; 0 when it could not be sent (blocked bot)."""
    try:
        sent = await context.bot.send_message(chat_id, text, parse_mode=ParseMode.HTML,
                                              reply_markup=markup)  # fmt: skip
    except TelegramError as exc:
        _LOGGER.warning("A live-line message could not be sent: %s", type(exc).__name__)
        return 0
    return sent.message_id


async def _in_place(update: Update, context: BotContext, text: str) -> None:
    """The tapped message becomes `text` (its buttons go); a new message if it cannot."""
    tapped = tapped_message(update)
    if tapped is not None:
        with contextlib.suppress(TelegramError):
            await tapped.edit_text(text, parse_mode=ParseMode.HTML)
            return
    await say(context, text)


async def _edit_quietly(context: BotContext, chat_id: int, message_id: int, text: str) -> None:
    with contextlib.suppress(TelegramError):
        await context.bot.edit_message_text(text, chat_id, message_id, parse_mode=ParseMode.HTML)


# --- her side ---


async def talk(update: Update, context: BotContext) -> None:
    """/talk or 💬: open a case; she can write at once."""
    await ack(update)
    chat, user = context.turn.chat_id, context.turn.user_id
    if not context.turn.private or chat is None or user is None:
        return
    t = context.t
    answers = context.answers
    request = await live.request(
        context.services, chat, user, str(context.language), answers.region or ""
    )
    if request.result is live.Opened.BLOCKED:
        await say(context, nobody_text(t))
        raise ApplicationHandlerStop
    if request.result is live.Opened.ALREADY:
        connected = esc(t._("You are connected: write here."))
        await say(context, "\n".join([_her_head(t), "", connected]))
        raise ApplicationHandlerStop
    case = request.case
    assert case is not None
    has_answers = answers.age is not None or answers.region is not None
    await say(context, intro_text(t), _her_buttons(t, has_answers))
    if not request.on_duty:
        await say(context, nobody_text(t), _waiting_buttons(t))
        raise ApplicationHandlerStop
    await _offer(context, case, request.on_duty)
    raise ApplicationHandlerStop


async def _offer(
    context: BotContext, case: live.Case, consultants: list[live.Consultant], answers: str = ""
) -> None:
    """The request, to every consultant on duty, with «Take»."""
    sent: list[tuple[int, int]] = []
    for consultant in consultants:
        ct = translator(consultant.lang)
        shared = await _answers_text(context, case.chat_id, ct) if answers else ""
        text = offer_text(ct, case, shared)
        message_id = await _send_quietly(
            context, consultant.user_id, text, _take_buttons(ct, case.number)
        )
        if message_id:
            sent.append((consultant.user_id, message_id))
    await live.record_offers(context.services, case.number, sent)


async def from_her(update: Update, context: BotContext) -> None:
    """Anything she sends while her case is open goes to the consultant (or waits)."""
    message = update.message
    chat = context.turn.chat_id
    if message is None or chat is None:
        return
    services = context.services
    case = await live.case_of_chat(services, chat)
    if case is None:
        return  # it ended a moment ago: the conversation takes her message
    t = context.t
    if case.consultant is None:
        if await live.hold_waiting(services, case.number, message.message_id, MAX_PENDING):
            _pending(context).setdefault(case.number, {})[message.message_id] = message
        raise ApplicationHandlerStop
    consultant = await live.consultant(services, case.consultant)
    ct = translator(consultant.lang if consultant else services.settings.default_language)
    try:
        sent = await _to_consultant(context, message, case, case.consultant, ct)
    except TelegramError as exc:  # after the rate limiter's retries: she must know
        _LOGGER.warning("A live-line message was not passed on: %s", type(exc).__name__)
        await say(context, "\n".join([_her_head(t), "", esc(t._(
            "Your message did not go through. Please send it again in a moment."
        ))]))  # fmt: skip
        raise ApplicationHandlerStop from None
    if sent is None:
        await say(context, "\n".join([_her_head(t), "", esc(t._(
            "This kind of message cannot be passed on. Please write, or send a voice message."
        ))]))  # fmt: skip
        raise ApplicationHandlerStop
    await live.delivered(
        services, case.number, consultant_id=case.consultant, consultant_messages=[sent]
    )
    raise ApplicationHandlerStop


async def her_tap(update: Update, context: BotContext) -> None:
    """Her buttons: keep waiting, stop, share her answers. Without an open case they are
    old buttons (the conversation explains)."""
    query = update.callback_query
    chat = context.turn.chat_id
    if query is None or chat is None:
        return
    case = await live.case_of_chat(context.services, chat)
    if case is None:
        return
    t = context.t
    action = (query.data or "").split(":")[1]
    if action == "wait":
        await live.wait_again(context.services, case.number)
        await ack(update, t._("We are waiting for a consultant."))
        tapped = tapped_message(update)
        if tapped is not None:
            with contextlib.suppress(TelegramError):
                await tapped.edit_reply_markup(None)
    elif action == "stop":
        await ack(update)
        await end_from_her_side(context)
        await say(context, ended_text(t))
    elif action == "share":
        await ack(update, t._("The consultant will see your answers."))
        await _share(context, case)
    raise ApplicationHandlerStop


async def _share(context: BotContext, case: live.Case) -> None:
    """She agreed to show her answers: to the consultant holding the case, or on the
    request messages while it waits."""
    services = context.services
    if case.consultant is None:
        _shared(context).add(case.number)
        for consultant_id, message_id in await live.offers(services, case.number):
            consultant = await live.consultant(services, consultant_id)
            ct = translator(consultant.lang if consultant else services.settings.default_language)
            text = offer_text(ct, case, await _answers_text(context, case.chat_id, ct))
            with contextlib.suppress(TelegramError):
                await context.bot.edit_message_text(
                    text, consultant_id, message_id, parse_mode=ParseMode.HTML,
                    reply_markup=_take_buttons(ct, case.number),
                )  # fmt: skip
        return
    consultant = await live.consultant(services, case.consultant)
    ct = translator(consultant.lang if consultant else services.settings.default_language)
    text = "\n".join([_case_head(ct, case.number, esc(ct._("💬 She shares her answers:"))), "",
                      esc(await _answers_text(context, case.chat_id, ct))])  # fmt: skip
    sent = await _send_quietly(context, case.consultant, text)
    if sent:
        await live.delivered(
            services, case.number, consultant_id=case.consultant, consultant_messages=[sent]
        )


async def end_from_her_side(context: BotContext) -> None:
    """She ends the live conversation (a button, /clear, /forget, a blocked bot): the case
    goes, the consultant is told in one line, and the WAL is emptied after this update."""
    chat = context.turn.chat_id
    if chat is None:
        return
    services = context.services
    number = services.live.case_of(chat)
    if number is None:
        return
    case = await live.case(services, number)
    offers = await live.offers(services, number)
    await live.end(services, number, Outcome.ENDED_BY_HER)
    context.turn.checkpoint = True
    _forget_case(context, number)
    if case is None:
        return
    await _tell_consultants_ended(context, case, offers, Outcome.ENDED_BY_HER)


async def _tell_consultants_ended(
    context: BotContext, case: live.Case, offers: list[tuple[int, int]], outcome: Outcome
) -> None:
    services = context.services
    if case.consultant is None:
        for consultant_id, message_id in offers:
            consultant = await live.consultant(services, consultant_id)
            ct = translator(consultant.lang if consultant else services.settings.default_language)
            text = _case_head(ct, case.number, esc(ct._("The request was withdrawn.")))
            await _edit_quietly(context, consultant_id, message_id, text)
        return
    consultant = await live.consultant(services, case.consultant)
    ct = translator(consultant.lang if consultant else services.settings.default_language)
    text = _case_head(ct, case.number, fill(ct._("Closed: {outcome}."),
                                             outcome=ct._(OUTCOME_LABELS[outcome])))  # fmt: skip
    await _send_quietly(context, case.consultant, text)


# --- the consultant's side ---


class NameWaiting(awaiting.Waiting):
    """/duty asks once how to introduce the consultant to her."""

    async def on_text(self, update: Update, context: BotContext, text: str) -> None:
        t = context.t
        name = live.clean_name(text)
        user = context.turn.user_id
        if name is None or user is None:
            awaiting.wait_for(context, NameWaiting())
            await say(context, esc(t._("Please write a first name, up to 32 characters.")))
            return
        awaiting.stop_waiting(context)
        await live.set_name(context.services, user, name, str(context.language))
        await _go_on_duty(context, user, name)

    async def on_cancel(self, update: Update, context: BotContext) -> None:
        await say(context, esc(context.t._("Stopped.")))


async def duty(update: Update, context: BotContext) -> None:
    """/duty: on duty or off (the first time: how she will see your name)."""
    user = context.turn.user_id
    if user is None or not is_staff(context):
        return
    t = context.t
    services = context.services
    me = await live.consultant(services, user)
    if me is None or not me.name:
        awaiting.wait_for(context, NameWaiting())
        await say(context, "\n".join([esc(t._("Ana Komek · live line")), "", esc(t._(
            "How should we introduce you? She sees only this name, never your account."
        ))]))  # fmt: skip
        raise ApplicationHandlerStop
    if me.on_duty:
        await live.set_duty(services, user, False, str(context.language))
        lines = [esc(t._("Ana Komek · live line")), esc(t._("You are off duty."))]
        held = services.live.cases_of(user)
        if held:
            lines += ["", fill(t.ngettext(
                "You still hold {count} conversation: /transfer or /end it.",
                "You still hold {count} conversations: /transfer or /end them.", len(held),
            ), count=len(held))]  # fmt: skip
        await say(context, "\n".join(lines))
        raise ApplicationHandlerStop
    await _go_on_duty(context, user, me.name)
    raise ApplicationHandlerStop


async def _go_on_duty(context: BotContext, user: int, name: str) -> None:
    t = context.t
    services = context.services
    everyone = await live.set_duty(services, user, True, str(context.language))
    others = [c.name for c in everyone if c.user_id != user]
    lines = [esc(t._("Ana Komek · live line")),
             fill(t._("You are on duty as {name}."), name=name), ""]  # fmt: skip
    if others:
        lines.append(fill(t._("Also on duty: {names}."), names=t.join(others)))
    else:
        lines.append(esc(t._("Nobody else is on duty.")))
    lines += ["", _consultant_help(t)]
    await say(context, "\n".join(lines))
    me = next((c for c in everyone if c.user_id == user), None)
    if me is None:
        return
    for case in await live.waiting(services):  # requests made while nobody was on duty
        await _offer(context, case, [me], "shared" if case.number in _shared(context) else "")


async def consultant_tap(update: Update, context: BotContext) -> None:
    """«Take», outcomes, transfers, blocks, labels. From anyone but staff: an old button."""
    query = update.callback_query
    user = context.turn.user_id
    if query is None or user is None or not is_staff(context):
        return
    parts = (query.data or "").split(":")
    action, number = parts[1], int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else 0
    t = context.t
    match action:
        case "take":
            await _take(update, context, user, number)
        case "n":
            await ack(update, fill(t._("Case №{number}: reply to this message to answer."),
                                   number=number))  # fmt: skip
        case "end" if len(parts) > 3 and parts[3] in tuple(Outcome):
            await _end(update, context, user, number, Outcome(parts[3]))
        case "tr" if len(parts) > 3 and parts[3].isdigit():
            await _transfer(update, context, user, number, int(parts[3]))
        case "blk":
            await _block(update, context, user, number)
        case _:
            return
    raise ApplicationHandlerStop


async def _take(update: Update, context: BotContext, user: int, number: int) -> None:
    t = context.t
    services = context.services
    taken = await live.take(services, number, user)
    if taken.case is None:
        await ack(update, t._("This request has ended."))
        return
    if not taken.won:
        name = taken.by.name if taken.by else ""
        await ack(update, fill(t._("Already taken: {name}"), name=name).replace("&amp;", "&"))
        return
    await ack(update)
    case = taken.case
    me = taken.by
    name = me.name if me else ""
    for consultant_id, message_id in taken.offers:
        holder = await live.consultant(services, consultant_id)
        ct = translator(holder.lang if holder else services.settings.default_language)
        if consultant_id == user:
            text = "\n".join([_case_head(ct, number, esc(ct._("You took it."))), "",
                              _consultant_help(ct)])  # fmt: skip
        else:
            text = _case_head(ct, number, fill(ct._("Taken: {name}"), name=name))
        await _edit_quietly(context, consultant_id, message_id, text)
    # She learns who answers her, by the name the consultant chose.
    her_t = translator(case.lang)
    hello = "\n".join([_her_head(her_t, name), "", esc(her_t._(
        "A consultant has joined and reads your messages. Write here."
    ))])  # fmt: skip
    her_ids = [i for i in [await _send_quietly(context, case.chat_id, hello)] if i]
    mine: list[int] = []
    if number in _shared(context):
        text = "\n".join([_case_head(t, number, esc(t._("💬 She shares her answers:"))), "",
                          esc(await _answers_text(context, case.chat_id, t))])  # fmt: skip
        mine.append(await _send_quietly(context, user, text))
    mine += await _pass_on_waiting(context, case, user, t)
    await live.delivered(services, number, consultant_id=user,
                         consultant_messages=[i for i in mine if i],
                         her_chat=case.chat_id, her_messages=her_ids)  # fmt: skip


async def _pass_on_waiting(
    context: BotContext, case: live.Case, consultant: int, t: Translator
) -> list[int]:
    """What she wrote before the case was taken, to the consultant who took it, in her order;
    the ids of what they got. A message still in memory goes as any other (two neutral lines
    first); one known only by its id (the bot restarted meanwhile) is copied from her chat,
    silently, after one neutral line that says what follows: copyMessage shows no origin,
    and nothing in the consultant's chat names her."""
    number = case.number
    in_memory = _pending(context).pop(number, {})
    ids = await live.waiting_messages(context.services, number)
    sent: list[int] = []
    if any(i not in in_memory for i in ids):
        head = _case_head(t, number, esc(t._("💬 She wrote while waiting:")))
        sent.append(await _send_quietly(context, consultant, head))
    for message_id in ids:
        try:
            message = in_memory.get(message_id)
            if message is not None:
                passed = await _to_consultant(context, message, case, consultant, t)
            else:
                copied = await context.bot.copy_message(
                    consultant, case.chat_id, message_id, disable_notification=True
                )
                passed = copied.message_id
        except TelegramError as exc:
            _LOGGER.warning("A held live-line message was not passed on: %s", type(exc).__name__)
            continue
        if passed:
            sent.append(passed)
    await live.drop_waiting(context.services, number)
    return [i for i in sent if i]


async def _which(update: Update, context: BotContext) -> live.Case | None:
    """The case a consultant's message or command is about; says why when there is none."""
    message = update.effective_message
    user = context.turn.user_id
    if message is None or user is None:
        return None
    replied = message.reply_to_message.message_id if message.reply_to_message else None
    routed = await live.route(context.services, user, replied)
    t = context.t
    match routed.route:
        case live.Route.FOUND:
            return routed.case
        case live.Route.WHICH:
            numbers = sorted(context.services.live.cases_of(user))
            text = fill(t._("You hold several cases ({numbers}): reply to a message of the one "
                            "you mean."), numbers=", ".join(f"№{n}" for n in numbers))  # fmt: skip
        case live.Route.NOT_HELD:
            text = esc(t._("This case has ended or is held by another consultant."))
        case _:
            text = esc(t._("You hold no open case."))
    await say(context, "\n".join([esc(t._("Ana Komek · live line")), text]))
    return None


async def from_consultant(update: Update, context: BotContext) -> None:
    """A consultant's message: to the mother of the case it answers."""
    message = update.message
    user = context.turn.user_id
    if message is None or user is None:
        return
    case = await _which(update, context)
    if case is None:
        raise ApplicationHandlerStop
    services = context.services
    me = await live.consultant(services, user)
    her_t = translator(case.lang)
    try:
        sent = await _to_her(context, message, case.chat_id, me.name if me else "", her_t)
    except TelegramError as exc:
        _LOGGER.warning("A live-line reply was not delivered: %s", type(exc).__name__)
        await say(context, "\n".join([_case_head(context.t, case.number, esc(context.t._(
            "Not delivered: she may have blocked the bot."
        )))]))  # fmt: skip
        raise ApplicationHandlerStop from None
    if sent is None:
        await say(context, _case_head(context.t, case.number, esc(context.t._(
            "This kind of message cannot be passed on."
        ))))  # fmt: skip
        raise ApplicationHandlerStop
    await live.delivered(services, case.number, her_chat=case.chat_id, her_messages=[sent])
    raise ApplicationHandlerStop


async def card(update: Update, context: BotContext) -> None:
    """/card ID: a center's card from the catalog, sent to her."""
    if not is_staff(context):
        return
    t = context.t
    center_id = context.args[0] if context.args else ""
    case = await _which(update, context)
    if case is None:
        raise ApplicationHandlerStop
    center = await context.services.full_center(center_id) if center_id else None
    if center is None:
        await say(context, _case_head(t, case.number, fill(
            t._("No center with the id “{id}”: /card and the id of a catalog entry."), id=center_id
        )))  # fmt: skip
        raise ApplicationHandlerStop
    me = await live.consultant(context.services, context.turn.user_id or 0)
    her_t = translator(case.lang)
    text = "\n".join([_her_head(her_t, me.name if me else ""), "",
                      center_card_alone(center, her_t)])  # fmt: skip
    sent = await _send_quietly(context, case.chat_id, text)
    if sent:
        await live.delivered(context.services, case.number, her_chat=case.chat_id,
                             her_messages=[sent])  # fmt: skip
        # The center's name may be alarming on a lock screen: it goes below the two lines.
        reply = esc(t._("Card sent:")) + "\n" + esc(center.name.get(t.lang))
    else:
        reply = esc(t._("Not delivered: she may have blocked the bot."))
    await say(context, _case_head(t, case.number, reply))
    raise ApplicationHandlerStop


async def end_command(update: Update, context: BotContext) -> None:
    """/end: how did it go? One tap closes the case with that outcome."""
    if not is_staff(context):
        return
    case = await _which(update, context)
    if case is None:
        raise ApplicationHandlerStop
    t = context.t
    rows = [[button(t._(OUTCOME_LABELS[o]), f"{PREFIX}:end:{case.number}:{o}")]
            for o in CHOSEN_OUTCOMES]  # fmt: skip
    await say(context, _case_head(t, case.number, esc(t._("How did it end? One tap closes it."))),
              keyboard(rows))  # fmt: skip
    raise ApplicationHandlerStop


async def _end(
    update: Update, context: BotContext, user: int, number: int, outcome: Outcome
) -> None:
    t = context.t
    services = context.services
    if number not in services.live.cases_of(user):
        await ack(update, t._("This case has ended or is held by another consultant."))
        return
    await ack(update)
    case = await live.case(services, number)
    if case is not None:
        sent = await _send_quietly(context, case.chat_id, ended_text(translator(case.lang)))
        if sent:  # remembered for /clear before the case and its link go
            await live.delivered(services, number, her_chat=case.chat_id, her_messages=[sent])
    await live.end(services, number, outcome)
    context.turn.checkpoint = True
    _forget_case(context, number)
    closed = fill(t._("Closed: {outcome}."), outcome=t._(OUTCOME_LABELS[outcome]))
    text = _case_head(t, number, closed)
    await _in_place(update, context, text)


async def transfer_command(update: Update, context: BotContext) -> None:
    """/transfer: to whom? (the others on duty)."""
    if not is_staff(context):
        return
    case = await _which(update, context)
    if case is None:
        raise ApplicationHandlerStop
    t = context.t
    user = context.turn.user_id
    others = [c for c in await live.on_duty(context.services) if c.user_id != user]
    if not others:
        await say(context, _case_head(t, case.number, esc(t._("Nobody else is on duty."))))
        raise ApplicationHandlerStop
    rows = [[button(c.name, f"{PREFIX}:tr:{case.number}:{c.user_id}")] for c in others]
    await say(context, _case_head(t, case.number, esc(t._("Hand the case to:"))), keyboard(rows))
    raise ApplicationHandlerStop


async def _transfer(
    update: Update, context: BotContext, user: int, number: int, target: int
) -> None:
    t = context.t
    services = context.services
    if number not in services.live.cases_of(user):
        await ack(update, t._("This case has ended or is held by another consultant."))
        return
    case = await live.case(services, number)
    new = await live.hand_over(services, number, target)
    if case is None or new is None:
        await ack(update, t._("That consultant is not on duty any more."))
        return
    await ack(update)
    me = await live.consultant(services, user)
    nt = translator(new.lang)
    text = "\n".join([_case_head(nt, number, fill(nt._("Handed to you by {name}."),
                                                  name=me.name if me else "")),
                      "", _consultant_help(nt)])  # fmt: skip
    theirs = await _send_quietly(context, target, text)
    her_t = translator(case.lang)
    hello = "\n".join([_her_head(her_t, new.name), "", esc(her_t._(
        "Another consultant continues the conversation with you."
    ))])  # fmt: skip
    hers = await _send_quietly(context, case.chat_id, hello)
    await live.delivered(services, number, consultant_id=target,
                         consultant_messages=[i for i in [theirs] if i],
                         her_chat=case.chat_id, her_messages=[i for i in [hers] if i])  # fmt: skip
    text = _case_head(t, number, fill(t._("Handed to {name}."), name=new.name))
    await _in_place(update, context, text)


async def block_command(update: Update, context: BotContext) -> None:
    """/block: asks once more, then blocks the sender of the case and closes it."""
    if not is_staff(context):
        return
    case = await _which(update, context)
    if case is None:
        raise ApplicationHandlerStop
    t = context.t
    await say(context, _case_head(t, case.number, esc(t._(
        "Block this sender from the live line? The case closes; only a keyed hash is kept."
    ))), keyboard([[button(t._("⛔ Block"), f"{PREFIX}:blk:{case.number}")]]))  # fmt: skip
    raise ApplicationHandlerStop


async def _block(update: Update, context: BotContext, user: int, number: int) -> None:
    t = context.t
    services = context.services
    if number not in services.live.cases_of(user):
        await ack(update, t._("This case has ended or is held by another consultant."))
        return
    await ack(update)
    case = await live.case(services, number)
    if case is not None:
        sent = await _send_quietly(context, case.chat_id, ended_text(translator(case.lang)))
        if sent:
            await live.delivered(services, number, her_chat=case.chat_id, her_messages=[sent])
    await live.block_and_end(services, number)
    context.turn.checkpoint = True
    _forget_case(context, number)
    await say(context, _case_head(t, number, fill(
        t._("Closed: {outcome}."), outcome=t._(OUTCOME_LABELS[Outcome.BLOCKED])
    )))  # fmt: skip


# --- statistics: counts only ---

STATS_DAYS = 30


async def outcome_lines(context: BotContext, t: Translator) -> list[str]:
    """Live-line cases of the last 30 days by day, region and outcome (never who)."""
    since = date.today() - timedelta(days=STATS_DAYS - 1)
    counts = await live.outcome_counts(context.services, since)
    lines = [fill(t._("Live line, last {days} days (day · region · outcome: cases):"),
                  days=STATS_DAYS)]  # fmt: skip
    catalog = context.services.catalog
    for row in counts:
        region = catalog.region(row.region) if row.region else None
        where = region.name.get(t.lang) if region else "—"
        outcome = (
            t._(OUTCOME_LABELS[Outcome(row.outcome)])
            if row.outcome in tuple(Outcome)
            else row.outcome
        )
        lines.append(esc(f"{row.day} · {where} · {outcome}: {row.cases}"))
    if not counts:
        lines.append(esc(t._("No live-line case closed yet.")))
    return lines


# --- timers: not taken in time, quiet too long (state in SQLite: they survive restarts) ---


async def timers(context: BotContext) -> None:
    """The job: tell her when nobody took her request in time; end quiet conversations."""
    services = context.services
    for case in await live.not_taken(services):
        t = translator(case.lang)
        sent = await _send_quietly(context, case.chat_id, not_taken_text(t), _waiting_buttons(t))
        if sent:
            await live.delivered(services, case.number, her_chat=case.chat_id, her_messages=[sent])
    for case in await live.idle(services):
        t = translator(case.lang)
        text = ended_quiet_text(t)
        sent = 0
        with contextlib.suppress(TelegramError):
            message = await context.bot.send_message(case.chat_id, text, disable_notification=True)
            sent = message.message_id
        if sent:
            await live.delivered(services, case.number, her_chat=case.chat_id, her_messages=[sent])
        offers = await live.offers(services, case.number)
        await live.end(services, case.number, Outcome.IDLE)
        _forget_case(context, case.number)
        await _tell_consultants_ended(context, case, offers, Outcome.IDLE)
