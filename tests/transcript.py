"""Print a mother's journey as her phone shows it: `python -m tests.transcript kk|ru`.

Runs the real bot against the fake Bot API (no Telegram needed); the README's transcripts
come from here.
"""

from __future__ import annotations

import asyncio
import sys

from tests.journey import LANGUAGE_BUTTONS, bot_on_fake_telegram, need_button, tr


async def journey(lang: str) -> str:
    """A 17-year-old in Almaty with a newborn who needs a place to live."""
    t = tr(lang)
    async with bot_on_fake_telegram() as (harness, app):
        mother = harness.user(1, "Aigerim", lang)
        almaty = app.bot_data["services"].catalog.place("almaty").name.get(lang)
        await mother.send("/start")
        await mother.tap(LANGUAGE_BUTTONS[lang])
        await mother.send("17")
        await mother.tap(t._("Under 6 months"))
        await mother.tap(almaty)
        await mother.tap(need_button(lang, "shelter"))
        await mother.tap(need_button(lang, "keep_baby"))
        await mother.tap(t._("Done ➡️"))
        lines = []
        for message in mother.chat:
            who = "🤖" if message.from_bot else "👩"
            body = message.plain_text or f"[{message.kind}]"
            buttons = " ".join(f"[{b}]" for b in message.buttons)
            lines.append(f"{who} {body}" + (f"\n   {buttons}" if buttons else ""))
        return "\n\n".join(lines)


def main() -> None:
    lang = sys.argv[1] if len(sys.argv) > 1 else "ru"
    print(asyncio.run(journey(lang)))


if __name__ == "__main__":
    main()
