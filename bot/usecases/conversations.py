"""The ends of a mother's conversation kept by the bot: quiet ones ended (with everything
they kept), and the ids of her chat's messages for /clear."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.core import clock
from bot.core.codes import Language
from bot.core.session import Session
from bot.services import Services
from bot.storage import state


@dataclass(frozen=True)
class Quiet:
    """A conversation quiet for too long; `language` is None when it could not be read (she
    gets no goodbye line then, but it ends all the same)."""

    user_id: int
    language: Language | None


async def quiet_conversations(services: Services) -> list[Quiet]:
    """Every conversation idle longer than allowed, already gone from memory. Read from the
    database, so it works the same after a restart."""
    idle = await state.idle_sessions(await services.database(), services.idle_seconds)
    cutoff = clock.now() - services.idle_seconds
    quiet: list[Quiet] = []
    for user_id, data in idle:
        live = services.sessions.get(user_id)
        if live is not None and live.touched > cutoff:
            continue  # she wrote again a moment ago
        services.forget(user_id)
        try:
            session = Session.from_json(data)
        except ValueError:
            quiet.append(Quiet(user_id, None))
            continue
        default = Language(services.settings.default_language)
        quiet.append(Quiet(user_id, session.answers.language or default))
    return quiet


async def remember_sent(services: Services, chat_id: int, message_ids: Iterable[int]) -> None:
    """Keep the ids of messages sent outside an update, so /clear deletes them too."""
    await state.record_messages(await services.database(), chat_id, message_ids)


async def end_conversations(services: Services, user_ids: Sequence[int]) -> None:
    """Drop what these conversations kept (and leave no copy of it in the WAL)."""
    await state.end_sessions(await services.database(), user_ids)


async def messages_of_chat(services: Services, chat_id: int) -> list[int]:
    """Ids of this chat's messages still within Telegram's deletion window (for /clear)."""
    return await state.chat_message_ids(await services.database(), chat_id)
