"""PTB persistence in the bot's SQLite database (no pickle file beside it).

Only user data (her language and answers) and conversation states are stored. The
application flushes after every update (see `bot.tg.processor`), so a crash loses nothing
but the update in flight.
"""

from __future__ import annotations

from typing import Any

from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import ConversationDict, ConversationKey

from bot.services import Services
from bot.storage import state_repo

UserData = dict[str, Any]


class SqlitePersistence(BasePersistence[UserData, dict[str, Any], dict[str, Any]]):
    """Write-through persistence of user data and conversations."""

    def __init__(self, services: Services) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False, chat_data=False, user_data=True, callback_data=False
            ),
            update_interval=60,
        )
        self.services = services

    @property
    def _idle_seconds(self) -> float:
        return self.services.settings.conversation_timeout_minutes * 60.0

    async def get_user_data(self) -> dict[int, UserData]:
        return await state_repo.load_user_data(await self.services.database())

    async def get_chat_data(self) -> dict[int, dict[str, Any]]:
        return {}

    async def get_bot_data(self) -> dict[str, Any]:
        return {}

    async def get_callback_data(self) -> None:
        return None

    async def get_conversations(self, name: str) -> ConversationDict:
        db = await self.services.database()
        stored = await state_repo.load_conversations(db, name, self._idle_seconds)
        return dict(stored.items())

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        db = await self.services.database()
        await state_repo.save_conversation(db, name, tuple(int(k) for k in key), new_state)

    async def update_user_data(self, user_id: int, data: UserData) -> None:
        await state_repo.save_user_data(await self.services.database(), user_id, data)

    async def update_chat_data(self, chat_id: int, data: dict[str, Any]) -> None:
        return None

    async def update_bot_data(self, data: dict[str, Any]) -> None:
        return None

    async def update_callback_data(self, data: Any) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        return None

    async def drop_user_data(self, user_id: int) -> None:
        await state_repo.delete_user_data(await self.services.database(), user_id)

    async def refresh_user_data(self, user_id: int, user_data: UserData) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[str, Any]) -> None:
        return None

    async def refresh_bot_data(self, bot_data: dict[str, Any]) -> None:
        return None

    async def flush(self) -> None:
        return None
