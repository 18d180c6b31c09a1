"""What the bot remembers about its admins (never about a mother): the language they use, so
that their command menu and the weekly list reach them in it."""

from __future__ import annotations

from bot.storage.db import Database


async def admin_languages(db: Database) -> dict[int, str]:
    """Each admin's language, as last seen."""
    async with db.conn.execute("SELECT user_id, lang FROM admin_prefs") as cursor:
        return {row[0]: row[1] for row in await cursor.fetchall()}


async def set_admin_language(db: Database, user_id: int, lang: str) -> None:
    """Remember an admin's language."""
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO admin_prefs (user_id, lang) VALUES (?, ?)"
            " ON CONFLICT(user_id) DO UPDATE SET lang = excluded.lang",
            (user_id, lang),
        )
