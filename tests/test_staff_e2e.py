"""Hotline staff: a link that skips questions (with its QR code and posters), a one-line
lookup, inline sharing, and counts per link — in both languages, refused to anyone else
exactly as an unknown command is."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image

from bot.tg.screens import SHARE_PREFIX
from tests.conftest import STAFF_ID, RunningBot
from tests.fake_telegram import BOT_USERNAME, ChatMessage, TelegramUser
from tests.journey import answer_all, tr


def documents(user: TelegramUser) -> list[ChatMessage]:
    return [m for m in user.bot_messages() if m.kind == "document"]


def file_bytes(bot: RunningBot, message: ChatMessage) -> bytes:
    assert message.media is not None
    file_id = message.media["document"]["file_id"]
    return bot.harness.server.files[file_id].content


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_link_gives_the_link_a_qr_code_that_reads_as_it_and_posters(
    bot: RunningBot, lang: str
) -> None:
    t = tr(lang)
    staffer = bot.user(STAFF_ID, "Operator", lang)
    await staffer.send("/link")
    await staffer.tap("Қазақша")
    shymkent = bot.services.catalog.place("shymkent")
    assert shymkent is not None
    await staffer.tap(shymkent.name.get(lang))
    await staffer.send("roddom5")
    link = f"https://t.me/{BOT_USERNAME}?start=kk_shymkent_roddom5"
    texts = [m.plain_text for m in staffer.bot_messages() if m.kind == "text"]
    assert t._("The link: {link}").format(link=link) in texts
    qr, a4, a5 = documents(staffer)
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(file_bytes(bot, qr))))
    assert [code.text for code in decoded] == [link]
    assert link in qr.plain_text  # the caption, for whoever prints it
    for poster in (a4, a5):
        assert file_bytes(bot, poster).startswith(b"%PDF")
    # The dialog is over: her next text is not taken as a source name.
    await staffer.send("roddom6")
    assert len(documents(staffer)) == 3


async def test_a_source_name_that_is_not_latin_is_asked_again(bot: RunningBot) -> None:
    staffer = bot.user(STAFF_ID, "Operator", "ru")
    await staffer.send("/link")
    await staffer.tap("Русский")
    await staffer.tap("Алматы")
    await staffer.send("роддом №5")
    assert tr("ru")._("Only Latin letters and digits, up to 16, e.g. roddom5.") in (
        staffer.last_bot_message().plain_text
    )
    assert documents(staffer) == []


@pytest.mark.parametrize(
    ("words", "lang"),
    [("19 жүкті Шымкент баспана", "kk"), ("19 беременна Шымкент жильё", "ru")],
)
async def test_find_answers_in_the_language_of_the_words(
    bot: RunningBot, words: str, lang: str
) -> None:
    t = tr(lang)
    staffer = bot.user(STAFF_ID, "Operator", "ru")
    await staffer.send(f"/find {words}")
    reply = staffer.last_bot_message().plain_text
    shymkent = bot.services.catalog.place("shymkent")
    assert shymkent is not None
    assert reply.startswith(t._("Lookup for {where}:").format(where=shymkent.name.get(lang)))
    assert "\n1. " in reply and "✅" in reply  # at least one compact card
    # Nothing about the woman is kept: no conversation was started for the staffer.
    assert STAFF_ID not in bot.services.sessions


async def test_find_without_a_place_explains_how(bot: RunningBot) -> None:
    staffer = bot.user(STAFF_ID, "Operator", "ru")
    await staffer.send("/find 19 что-то")
    reply = staffer.last_bot_message().plain_text
    assert tr("ru")._("Not understood: {words}").format(words="что-то") in reply


@pytest.mark.parametrize("command", ["/find 19 жүкті Шымкент баспана", "/link", "/stats"])
async def test_staff_commands_are_unknown_commands_to_anyone_else(
    bot: RunningBot, command: str
) -> None:
    asker, control = bot.user(7001, "Mother", "ru"), bot.user(7002, "Mother", "ru")
    await asker.send(command)
    await control.send("/nosuchcommand")
    assert [(m.plain_text, m.buttons) for m in asker.bot_messages()] == [
        (m.plain_text, m.buttons) for m in control.bot_messages()
    ]


@pytest.mark.parametrize(("words", "lang"), [("шымкент баспана", "kk"), ("шымкент жильё", "ru")])
async def test_inline_query_shares_cards_of_that_place(
    bot: RunningBot, words: str, lang: str
) -> None:
    bot.harness.server.set_inline(True)
    staffer = bot.user(STAFF_ID, "Operator", "ru")
    query_id = await staffer.inline_query(words)
    results = staffer.inline_results(query_id)
    opener, *cards = results
    assert opener["id"] == "open"
    assert f"?start={lang}_shymkent" in str(opener["reply_markup"])
    shymkent_centers = {c.id for c in bot.services.catalog.centers if c.place == "shymkent"}
    assert cards and {card["id"] for card in cards} & shymkent_centers
    # The woman gets the card itself, in the language of the words.
    woman = bot.user(7003, "Woman", "ru")
    sent = await staffer.choose_inline_result(query_id, cards[0]["id"], into_chat_with=woman)
    center = bot.services.catalog.center(cards[0]["id"])
    assert center is not None and center.name.get(lang) in sent.plain_text


async def test_share_button_under_results_opens_inline_mode_with_that_card(
    bot: RunningBot,
) -> None:
    bot.harness.server.set_inline(True)
    t = tr("ru")
    mother = bot.user(7004, "Mother", "ru")
    await mother.send("/start")
    results = await answer_all(
        mother, "ru", age="17", child="Under 6 months", city="Алматы", needs=["shelter"]
    )
    await mother.tap_in(results, t._("📤 Share {number}").format(number=1))
    kind, query = mother.inline_switches[-1]
    assert kind == "switch_inline_query" and query.startswith(SHARE_PREFIX)
    center_id = query.removeprefix(SHARE_PREFIX)
    query_id = await mother.inline_query(query)
    cards = [r for r in mother.inline_results(query_id) if r["id"] != "open"]
    assert [card["id"] for card in cards] == [center_id]


async def test_stats_count_conversations_per_link(bot: RunningBot) -> None:
    staffer = bot.user(STAFF_ID, "Operator", "ru")
    await staffer.send("/link")
    await staffer.tap("Русский")
    await staffer.send("Шымкент")
    await staffer.send("roddom5")  # a source made with /link: counted by name
    mother = bot.user(7005, "Mother", "en")
    await mother.send("/start ru_shymkent_roddom5")
    other = bot.user(7006, "Mother", "en")
    await other.send("/start ru_shymkent_madeup7")  # typed by anyone: counted as other
    await staffer.send("/stats")
    text = staffer.last_bot_message().plain_text
    assert "roddom5: 1 / 0" in text and "madeup7" not in text
    assert tr("ru")._("other links") + ": 1 / 0" in text


async def test_the_town_can_be_typed_in_the_link_dialog(bot: RunningBot) -> None:
    t = tr("ru")
    staffer = bot.user(STAFF_ID, "Operator", "ru")
    await staffer.send("/link")
    await staffer.tap("Русский")
    await staffer.send("Атлантида")
    assert t._("I could not find this town. Tap it or type its name.") in (
        staffer.last_bot_message().plain_text
    )
    await staffer.send("Чимкент")  # the old spelling, as staff often type it
    await staffer.send("h111")
    link = f"https://t.me/{BOT_USERNAME}?start=ru_shymkent_h111"
    texts = [m.plain_text for m in staffer.bot_messages() if m.kind == "text"]
    assert t._("The link: {link}").format(link=link) in texts
