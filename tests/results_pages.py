"""A search from /start to every page of results, as her phone shows it.

Since issue 8 the bot asks no language question when her Telegram app is in Kazakh or
Russian, and the results are one living message that "Show more" edits in place; this
helper reads every page of it (tests/journey.py's steps are used unchanged).
"""

from __future__ import annotations

from bot.services import Services
from tests.fake_telegram import ChatMessage, TelegramUser
from tests.journey import LANGUAGE_BUTTONS, answer_all, tr

MAX_PAGES = 30


async def start(mother: TelegramUser, lang: str) -> None:
    """/start, and her language when the bot asks for it (an app in another language)."""
    await mother.send("/start")
    if LANGUAGE_BUTTONS[lang] in mother.last_bot_message().buttons:
        await mother.tap(LANGUAGE_BUTTONS[lang])


def more_button(message: ChatMessage, lang: str) -> str | None:
    """The "Show N more" button under a results page, if there is one."""
    t = tr(lang)
    for text in message.buttons:
        for count in range(1, 200):
            if text == t.ngettext("Show {count} more", "Show {count} more", count).format(
                count=count
            ):
                return text
    return None


async def search(
    mother: TelegramUser, lang: str, *, age: str, child: str, city: str, needs: list[str]
) -> tuple[list[ChatMessage], list[str]]:
    """Start over, answer every question, then read every results page.

    Returns the bot's messages from this search (as they look now) and the text of each
    results page in order.
    """
    mark = mother.mark()
    await start(mother, lang)
    await answer_all(mother, lang, age=age, child=child, city=city, needs=needs)
    results = mother.last_bot_message()
    pages = [results.plain_text]
    for _ in range(MAX_PAGES):
        button = more_button(results, lang)
        if button is None:
            break
        await mother.tap_in(results, button)
        results = mother.last_bot_message()
        pages.append(results.plain_text)
    else:  # pragma: no cover - a page that never ends
        raise AssertionError(f"more than {MAX_PAGES} pages of results")
    return mother.since(mark), pages


async def search_taraz(
    mother: TelegramUser, lang: str, services: Services, age: str = "20"
) -> tuple[list[ChatMessage], list[str]]:
    """`search` for a pregnant mother of `age` who needs legal help in Taraz."""
    taraz = services.catalog.place("taraz")
    assert taraz is not None
    return await search(
        mother, lang, age=age, child="I am pregnant", city=taraz.name.get(lang), needs=["legal"]
    )
