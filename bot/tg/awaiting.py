"""What someone's next message answers when it is not her conversation's question: an admin's
new value for a field, the next answer of /add, a coordinator's correction, the words of a
report.

One small object per user, in memory only (`Services.waiting`), with a deadline; it is gone
after the deadline, with /cancel, /start, /clear, /forget and when her conversation ends.
The handlers here run before the conversation and only for someone who is awaited, so for
everyone else nothing changes. Buttons `aw:<value>` answer like a typed value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram import Message, Update
from telegram.ext import ApplicationHandlerStop, CallbackQueryHandler, filters

from bot.core import clock
from bot.services import Services
from bot.tg.context import BotContext
from bot.tg.send import ack, button

# Button data prefix: "aw:<value>" answers what is awaited with <value>.
VALUE = "aw"
DEFAULT_SECONDS = 15 * 60


@dataclass(kw_only=True)
class Waiting:
    """What a user's next text answers; subclasses say what to do with it."""

    until: float = 0.0

    def __post_init__(self) -> None:
        if not self.until:
            self.until = clock.now() + self.seconds()

    def seconds(self) -> float:
        """How long the bot waits for the answer."""
        return DEFAULT_SECONDS

    async def on_text(self, update: Update, context: BotContext, text: str) -> None:
        """Her typed answer."""
        raise NotImplementedError

    async def on_value(self, update: Update, context: BotContext, value: str) -> None:
        """A tap on an `aw:<value>` button: by default the same as typing the value."""
        await self.on_text(update, context, value)

    async def on_cancel(self, update: Update, context: BotContext) -> None:
        """/cancel: the wait is already over; say so."""
        raise NotImplementedError


def awaited(services: Services, user_id: int | None) -> Waiting | None:
    """What this user's next message answers, if anything (an old wait is dropped)."""
    if user_id is None:
        return None
    waiting = services.waiting.get(user_id)
    if isinstance(waiting, Waiting) and waiting.until > clock.now():
        return waiting
    services.waiting.pop(user_id, None)
    return None


def current(context: BotContext) -> Waiting | None:
    """What this update's sender is awaited for (private chats only)."""
    if not context.turn.private:
        return None
    return awaited(context.services, context.turn.user_id)


def wait_for(context: BotContext, waiting: Waiting) -> None:
    """Her next text answers `waiting` (replacing anything awaited before)."""
    user = context.turn.user_id
    assert user is not None
    context.services.waiting[user] = waiting


def stop_waiting(context: BotContext) -> None:
    """Nothing is awaited from her any more."""
    if context.turn.user_id is not None:
        context.services.waiting.pop(context.turn.user_id, None)


def value_button(text: str, value: str) -> Any:
    """A button that answers what is awaited with `value`."""
    return button(text, f"{VALUE}:{value}")


class Awaited(filters.MessageFilter):
    """Messages of someone the bot awaits an answer from."""

    def __init__(self, services: Services) -> None:
        super().__init__(name="Awaited")
        self.services = services

    def filter(self, message: Message) -> bool:
        user = message.from_user
        return user is not None and awaited(self.services, user.id) is not None


async def on_text(update: Update, context: BotContext) -> None:
    """A typed answer to what is awaited."""
    waiting = current(context)
    message = update.effective_message
    if waiting is None or message is None:
        return  # the wait ran out just now: the conversation takes the message
    await waiting.on_text(update, context, (message.text or "").strip())
    raise ApplicationHandlerStop


async def on_cancel(update: Update, context: BotContext) -> None:
    """/cancel while something is awaited: stop waiting, nothing changes."""
    waiting = current(context)
    if waiting is None:
        return
    stop_waiting(context)
    await waiting.on_cancel(update, context)
    raise ApplicationHandlerStop


async def on_value(update: Update, context: BotContext) -> None:
    """A tap on an `aw:<value>` button; an old one falls to the conversation's old-button
    handling."""
    query = update.callback_query
    waiting = current(context)
    if waiting is None or query is None or query.data is None:
        return
    await ack(update)
    await waiting.on_value(update, context, query.data.partition(":")[2])
    raise ApplicationHandlerStop


def value_handler() -> CallbackQueryHandler[BotContext, None]:
    """The handler of `aw:<value>` taps."""
    return CallbackQueryHandler(on_value, pattern=f"^{VALUE}:")


def drop_expired(services: Services) -> int:
    """Forget every wait past its deadline (the purge job); returns how many went."""
    gone = [user for user in list(services.waiting) if awaited(services, user) is None]
    return len(gone)
