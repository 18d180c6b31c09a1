"""Print a mother's journey as her phone shows it: `python -m tests.transcript kk|ru`.

Runs the real bot against the fake Bot API (no Telegram needed); the README's transcripts
come from here. A tap edits the screen she tapped on in place, so the transcript shows, after
each of her actions, every message that appeared and every message that changed.
"""

from __future__ import annotations

import asyncio
import functools
import sys
from collections.abc import Awaitable, Callable

from tests.fake_telegram import ChatMessage, TelegramUser
from tests.journey import DONE, bot_on_fake_telegram, need_button, tr


def show(message: ChatMessage, edited: bool = False) -> str:
    """One message as the phone shows it, with its buttons."""
    who = "🤖" if message.from_bot else "👩"
    body = message.plain_text or f"[{message.kind}]"
    if edited:
        body = f"(✏️ edited)\n{body}"
    buttons = " ".join(f"[{b}]" for b in message.buttons)
    if message.from_bot and message.chat.reply_keyboard_message_id == message.message_id:
        keyboard = message.chat.reply_keyboard or {}
        keys = [b if isinstance(b, str) else b["text"] for r in keyboard["keyboard"] for b in r]
        buttons = " ".join(f"⌨️[{k}]" for k in keys)
    return f"{who} {body}" + (f"\n   {buttons}" if buttons else "")


class Recorder:
    """Does things on her phone and writes down what changed on it each time."""

    def __init__(self, mother: TelegramUser) -> None:
        self.mother = mother
        self.lines: list[str] = []

    def _seen(self) -> dict[int, tuple[str, list[str]]]:
        return {m.message_id: (m.plain_text, m.buttons) for m in self.mother.chat}

    async def do(self, what: str, action: Callable[[], Awaitable[object]]) -> None:
        before = self._seen()
        if what:
            self.lines.append(f"👉 {what}")
        await action()
        for message in self.mother.chat:
            old = before.get(message.message_id)
            if old is None:
                self.lines.append(show(message))
            elif old != (message.plain_text, message.buttons):
                self.lines.append(show(message, edited=True))

    def text(self) -> str:
        return "\n\n".join(self.lines)


async def journey(lang: str) -> str:
    """A 17-year-old in Almaty with a newborn who needs a place to live: the language comes
    from her Telegram app, so she answers four questions and taps "Done" (one age typed)."""
    t = tr(lang)
    async with bot_on_fake_telegram() as (harness, app):
        mother = harness.user(1, "Aigerim", lang)
        almaty = app.bot_data["services"].catalog.place("almaty").name.get(lang)
        record = Recorder(mother)
        await record.do("", lambda: mother.send("/start"))
        await record.do("", lambda: mother.send("17"))
        child = t._("Under 6 months")
        await record.do(f"taps [{child}]", lambda: mother.tap(child))
        await record.do(f"taps [{almaty}]", lambda: mother.tap(almaty))
        for need in ("shelter", "keep_baby"):
            label = need_button(lang, need)
            await record.do(f"taps [{label}]", functools.partial(mother.tap, label))
        await record.do(f"taps [{t._(DONE)}]", lambda: mother.tap(t._(DONE)))
        return record.text()


def main() -> None:
    lang = sys.argv[1] if len(sys.argv) > 1 else "ru"
    print(asyncio.run(journey(lang)))


if __name__ == "__main__":
    main()
