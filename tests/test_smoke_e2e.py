from __future__ import annotations

from tests.conftest import RunningBot


async def test_start_offers_languages(bot: RunningBot) -> None:
    mother = bot.user(1001, language_code="ru")
    await mother.send("/start")
    last = mother.last_bot_message()
    assert last.buttons[:2] == ["Русский", "Қазақша"]
    await mother.tap("Русский")
    print([m.plain_text for m in mother.bot_messages()])
    await mother.tap("17")
    await mother.tap("Under 6 months")
    await mother.tap("Almaty")
    print(mother.buttons())
