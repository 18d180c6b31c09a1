"""What the bot remembers about its admins (never about a mother): the language each writes
in, so that their command menu and the messages sent to them reach them in it."""

from __future__ import annotations

from bot.services import Services
from bot.storage.admins import admin_languages, set_admin_language


async def languages_of_admins(services: Services) -> dict[int, str]:
    """Every admin's language: as remembered, else the bot's default."""
    stored = await admin_languages(await services.database())
    default = services.settings.default_language
    return {admin: stored.get(admin, default) for admin in sorted(services.settings.admin_ids)}


async def note_admin_language(services: Services, admin: int, lang: str) -> bool:
    """Remember the language an admin writes in; True when it is new (their menu follows)."""
    if (await languages_of_admins(services)).get(admin) == lang:
        return False
    await set_admin_language(await services.database(), admin, lang)
    return True
