"""Self-tests of the fake Bot API's group chats, inline mode and inline keyboard buttons, driven
through a tiny PTB app and PTB's Bot over real HTTP."""

from __future__ import annotations

import datetime as dtm
import html
from collections.abc import AsyncIterator
from typing import Any

import pytest
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InlineQueryResultVenue,
    InputTextMessageContent,
    LoginUrl,
    ReplyParameters,
    SwitchInlineQueryChosenChat,
    Update,
)
from telegram.error import BadRequest, Forbidden, RetryAfter
from telegram.ext import ChosenInlineResultHandler, ContextTypes, InlineQueryHandler

from tests.fake_telegram import BOT_USERNAME, FloodLimits, TelegramHarness
from tests.test_fake_telegram import AnyApp, build_app
from tests.test_fake_telegram_network import bot_for, chatting, raw_call

Ctx = ContextTypes.DEFAULT_TYPE


async def inline(update: Update, context: Ctx) -> None:
    """An inline query: a shareable card with a button, and a venue."""
    query = update.inline_query
    assert query
    card = InlineQueryResultArticle(
        id="card-1",
        title="Center",
        description="Abay 1",
        input_message_content=InputTextMessageContent(
            f"<b>Center</b> for {html.escape(query.query)}", parse_mode="HTML"
        ),
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="yes")]]),
    )
    venue = InlineQueryResultVenue(
        id="venue-1", latitude=43.2, longitude=76.9, title="Center", address="Abay 1"
    )
    await query.answer(
        [card, venue],
        cache_time=0,
        is_personal=True,
        button=InlineQueryResultsButton("Open the bot", start_parameter="from_inline"),
    )


async def chosen(update: Update, context: Ctx) -> None:
    """Inline feedback: remember what was chosen."""
    result = update.chosen_inline_result
    assert result
    context.bot_data.setdefault("chosen", []).append((result.result_id, result.inline_message_id))


def build_inline_app(tg: TelegramHarness) -> AnyApp:
    """The tiny test bot plus inline mode."""
    app = build_app(tg)
    app.add_handler(InlineQueryHandler(inline))
    app.add_handler(ChosenInlineResultHandler(chosen))
    return app


@pytest.fixture
async def tg() -> AsyncIterator[TelegramHarness]:
    """A harness running the tiny test bot with inline handlers."""
    async with TelegramHarness() as harness:
        await harness.start(build_inline_app(harness))
        yield harness
        assert harness.server.unknown_methods == []


@pytest.fixture
async def offline() -> AsyncIterator[TelegramHarness]:
    """A fake server with no application: the tests call the API themselves."""
    async with TelegramHarness() as harness:
        yield harness


def running_bot(tg: TelegramHarness) -> Bot:
    """The running application's Bot."""
    assert tg.app
    bot: Bot = tg.app.bot
    return bot


def running_bot_data(tg: TelegramHarness) -> dict[str, Any]:
    """bot_data of the running application (the chosen_inline_result handler writes there)."""
    assert tg.app
    bot_data: dict[str, Any] = tg.app.bot_data
    return bot_data


# ---- group chats -------------------------------------------------------------------------------


async def test_group_commands_buttons_and_privacy_mode(tg: TelegramHarness) -> None:
    group = tg.group(-100123, "Mothers of Almaty")
    aigerim, dana = tg.user(1001, "Aigerim"), tg.user(1002, "Dana")
    await aigerim.send_in_group(group, "/start")
    greeting = group.last_bot_message()
    assert greeting.plain_text == "Hello, Aigerim!"
    assert greeting.reply_to is group.messages[0]  # PTB quotes in groups
    await dana.tap_in_group(group, "No")
    assert greeting.plain_text == "You chose no"
    assert [(a.user_id, a.text) for a in tg.server.callback_answers] == [(dana.id, "Saved no")]
    # Privacy mode: no chatter, no commands for other bots; replies to the bot do arrive.
    await dana.send_in_group(group, "just chatting")
    await dana.send_in_group(group, "/start@other_bot")
    assert group.bot_messages() == [greeting]
    await dana.send_in_group(group, "a reply", reply_to=greeting)
    assert group.last_bot_message().plain_text == "You said: a reply"
    tg.server.bot_user["can_read_all_group_messages"] = True
    await dana.send_in_group(group, "chatter")
    assert group.last_bot_message().plain_text == "You said: chatter"
    assert aigerim.chat == dana.chat == []  # nothing landed in their private chats


async def test_group_chat_objects_and_errors(tg: TelegramHarness) -> None:
    bot = running_bot(tg)
    assert not (await bot.get_me()).can_join_groups
    group = tg.group(-100123, "Mothers of Almaty")
    basic = tg.group(-42, "Neighbours")
    assert (await bot.get_me()).can_join_groups
    sent = await bot.send_message(group.id, "hi")
    assert (sent.chat.type, sent.chat.title) == ("supergroup", "Mothers of Almaty")
    assert (await bot.send_message(basic.id, "hi")).chat.type == "group"
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(-100999, "nobody here")
    group.blocked = True
    with pytest.raises(Forbidden, match="kicked from the supergroup chat"):
        await bot.send_message(group.id, "removed")
    with pytest.raises(ValueError, match="negative"):
        tg.group(5, "not a group")


async def test_group_flood_limit_is_per_minute(tg: TelegramHarness) -> None:
    group = tg.group(-100123, "Mothers of Almaty")
    tg.server.limits = FloodLimits()
    bot = running_bot(tg)
    for n in range(3):
        await bot.send_message(group.id, f"burst {n}")
    with pytest.raises(RetryAfter) as refused:
        await bot.send_message(group.id, "one too many")
    assert refused.value.retry_after == dtm.timedelta(seconds=3)  # 20 a minute
    assert [e.chat_id for e in tg.server.flood_errors] == [group.id]


async def test_replies_to_missing_messages_fail_like_telegram(tg: TelegramHarness) -> None:
    user = tg.user(1003, "Asel")
    said = await user.send("hello")
    bot = running_bot(tg)
    reply = await bot.send_message(user.id, "quoted", reply_parameters=ReplyParameters(1))
    assert reply.reply_to_message and reply.reply_to_message.text == "hello"
    assert user.last_bot_message().reply_to is said
    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await bot.send_message(user.id, "x", reply_parameters=ReplyParameters(999))
    anyway = ReplyParameters(999, allow_sending_without_reply=True)
    assert (await bot.send_message(user.id, "x", reply_parameters=anyway)).reply_to_message is None


# ---- inline mode -------------------------------------------------------------------------------


async def test_inline_results_are_shown_and_sent_into_another_chat(tg: TelegramHarness) -> None:
    aigerim, dana = tg.user(1001, "Aigerim"), tg.user(1002, "Dana")
    with pytest.raises(AssertionError, match="Inline mode is off"):
        await aigerim.inline_query("Almaty")
    tg.server.set_inline(True)
    assert (await running_bot(tg).get_me()).supports_inline_queries
    query_id = await aigerim.inline_query("Almaty & <Astana>")
    card, venue = aigerim.inline_results(query_id)
    assert (card["title"], card["text"], card["buttons"]) == (
        "Center",
        "Center for Almaty & <Astana>",
        ["Yes"],
    )
    assert (venue["type"], venue["text"], venue["buttons"]) == ("venue", "Center\nAbay 1", [])
    answer = tg.server.inline_answers[query_id]
    assert (answer.is_personal, answer.cache_time, answer.query.query) == (
        True,
        0,
        "Almaty & <Astana>",
    )
    assert answer.button == {"text": "Open the bot", "start_parameter": "from_inline"}

    shared = await aigerim.choose_inline_result(query_id, "card-1", into_chat_with=dana)
    assert dana.chat_with(aigerim) == [shared]
    assert dana.bot_messages() == [] and aigerim.chat == []  # the bot is not in that chat
    api = shared.to_api()
    assert (api["from"]["id"], api["via_bot"]["username"]) == (aigerim.id, BOT_USERNAME)
    assert shared.entities == [{"type": "bold", "offset": 0, "length": 6}]
    await dana.tap_in(shared, "Yes")  # the bot edits it by inline_message_id
    assert shared.plain_text == "You chose yes"
    assert dana.answers()[-1].text == "Saved yes"
    assert tg.server.calls_to("editMessageText")[-1]["inline_message_id"] == (
        shared.inline_message_id
    )
    assert "chosen" not in running_bot_data(tg)  # inline feedback is off


async def test_inline_result_into_her_own_chat_and_feedback(tg: TelegramHarness) -> None:
    tg.server.set_inline(True, feedback=True)
    aigerim = tg.user(1001, "Aigerim")
    query_id = await aigerim.inline_query("Almaty")
    sent = await aigerim.choose_inline_result(query_id, "card-1")
    assert aigerim.chat[0] is sent and sent.via_bot
    assert aigerim.texts() == ["You said: Center for Almaty"]  # the bot got it as a message
    assert running_bot_data(tg)["chosen"] == [("card-1", sent.inline_message_id)]
    await aigerim.choose_inline_result(query_id, "venue-1")  # no keyboard: no inline id
    assert running_bot_data(tg)["chosen"][-1] == ("venue-1", None)
    assert aigerim.texts()[-1] == "Got 43.20,76.90"
    with pytest.raises(AssertionError, match="no result 'nope'"):
        await aigerim.choose_inline_result(query_id, "nope")


async def test_inline_messages_are_edited_by_inline_message_id(tg: TelegramHarness) -> None:
    tg.server.set_inline(True)
    aigerim, dana = tg.user(1001, "Aigerim"), tg.user(1002, "Dana")
    query_id = await aigerim.inline_query("Almaty")
    shared = await aigerim.choose_inline_result(query_id, "card-1", into_chat_with=dana)
    bot = running_bot(tg)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("No", callback_data="no")]])
    edited = await bot.edit_message_reply_markup(
        inline_message_id=shared.inline_message_id, reply_markup=markup
    )
    assert edited is True  # Telegram answers True, not a Message, for inline messages
    assert shared.buttons == ["No"]
    with pytest.raises(BadRequest, match="Message_id_invalid"):
        await bot.edit_message_text("x", inline_message_id="inline-404")


async def test_answer_inline_query_validates_like_telegram(offline: TelegramHarness) -> None:
    server = offline.server
    server.set_inline(True)
    user = offline.user(1001, "Aigerim")
    query_id = await user.inline_query("centers", wait=False)

    def article(result_id: str, text: str = "hi", **extra: Any) -> InlineQueryResultArticle:
        content = InputTextMessageContent(text, parse_mode="HTML")
        return InlineQueryResultArticle(result_id, "Title", content, **extra)

    async with bot_for(server) as bot:
        with pytest.raises(BadRequest, match="Query is too old"):
            await bot.answer_inline_query("404", [])
        with pytest.raises(BadRequest, match="Too many inline query results"):
            await bot.answer_inline_query(query_id, [article(str(n)) for n in range(51)])
        with pytest.raises(BadRequest, match="Result_id_duplicate"):
            await bot.answer_inline_query(query_id, [article("a"), article("a")])
        with pytest.raises(BadRequest, match="Result_id_invalid"):
            await bot.answer_inline_query(query_id, [article("x" * 65)])
        with pytest.raises(BadRequest, match="can't parse entities: unsupported start tag"):
            await bot.answer_inline_query(query_id, [article("a", "a<br>b")])
        with pytest.raises(BadRequest, match="Message_empty"):
            await bot.answer_inline_query(query_id, [article("a", "<b> </b>")])
        with pytest.raises(BadRequest, match="Button_data_invalid"):
            too_long = InlineKeyboardButton("x", callback_data="x" * 65)
            markup = InlineKeyboardMarkup([[too_long]])
            await bot.answer_inline_query(query_id, [article("a", reply_markup=markup)])
        with pytest.raises(BadRequest, match="Start_param_invalid"):
            button = InlineQueryResultsButton("Open", start_parameter="not valid!")
            await bot.answer_inline_query(query_id, [], button=button)
        with pytest.raises(BadRequest, match="Next_offset_invalid"):
            await bot.answer_inline_query(query_id, [], next_offset="9" * 65)
        no_title = {"type": "article", "id": "a", "input_message_content": {"message_text": "x"}}
        status, body = await raw_call(
            server, "answerInlineQuery", inline_query_id=query_id, results=[no_title]
        )
        assert (status, body["description"]) == (
            400,
            "Bad Request: Can't parse inline query result: Can't find field \"title\"",
        )
        assert server.inline_answers == {}  # nothing was shown for the refused answers

        assert await bot.answer_inline_query(query_id, [article("a", "<i>fine</i>")])
        assert user.inline_results(query_id)[0]["text"] == "fine"
        with pytest.raises(BadRequest, match="Query is too old"):
            await bot.answer_inline_query(query_id, [])  # only once

        late = await user.inline_query("centers", wait=False)
        server.advance(dtm.timedelta(seconds=11))
        with pytest.raises(BadRequest, match="Query is too old"):
            await bot.answer_inline_query(late, [])


# ---- inline keyboard buttons -----------------------------------------------------------------


async def test_url_and_switch_inline_buttons(offline: TelegramHarness) -> None:
    server = offline.server
    user = chatting(offline, 1001)
    chosen_chat = SwitchInlineQueryChosenChat(query="near me", allow_user_chats=True)
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("Map", url="https://2gis.kz/almaty")],
            [InlineKeyboardButton("Channel", url="tg://resolve?domain=ana_komek")],
            [InlineKeyboardButton("Share", switch_inline_query="centers")],
            [InlineKeyboardButton("Search here", switch_inline_query_current_chat="")],
            [InlineKeyboardButton("Send to…", switch_inline_query_chosen_chat=chosen_chat)],
            [InlineKeyboardButton("Log in", login_url=LoginUrl("https://ana.kz/login"))],
        ]
    )
    async with bot_for(server) as bot:
        await bot.send_message(user.id, "Links", reply_markup=keyboard)
        for url, reason in (
            ("ftp://files.kz/a", r"(?i)'ftp://files.kz/a' is invalid: unsupported url protocol"),
            ("http://localhost:8080", r"(?i)'http://localhost:8080' is invalid: wrong http url"),
        ):
            bad = InlineKeyboardMarkup([[InlineKeyboardButton("x", url=url)]])
            with pytest.raises(BadRequest, match=reason):
                await bot.send_message(user.id, "bad link", reply_markup=bad)
    text_only = {"inline_keyboard": [[{"text": "just text"}]]}
    status, body = await raw_call(
        server, "sendMessage", chat_id=user.id, text="x", reply_markup=text_only
    )
    assert (status, "Text buttons are unallowed" in body["description"]) == (400, True)

    for text in ("Map", "Channel", "Share", "Search here", "Send to…"):
        await user.tap(text, wait=False)
    assert user.opened_urls == ["https://2gis.kz/almaty", "tg://resolve?domain=ana_komek"]
    assert user.inline_switches == [
        ("switch_inline_query", "centers"),
        ("switch_inline_query_current_chat", ""),
        ("switch_inline_query_chosen_chat", "near me"),
    ]
    assert server.last_update_id == 0  # none of these taps reaches the bot
    with pytest.raises(AssertionError, match="cannot tap"):
        await user.tap("Log in", wait=False)


async def test_edit_message_caption(offline: TelegramHarness) -> None:
    user = chatting(offline, 1001)
    async with bot_for(offline.server) as bot:
        document = await bot.send_document(
            user.id, b"data", filename="a.txt", caption="<b>old</b>", parse_mode="HTML"
        )
        edited = await bot.edit_message_caption(
            user.id, document.message_id, caption="new <i>caption</i>", parse_mode="HTML"
        )
        assert isinstance(edited, type(document)) and edited.caption == "new caption"
        with pytest.raises(BadRequest, match="Message is not modified"):
            await bot.edit_message_caption(
                user.id, document.message_id, caption="new <i>caption</i>", parse_mode="HTML"
            )
        text = await bot.send_message(user.id, "plain")
        with pytest.raises(BadRequest, match="There is no caption in the message to edit"):
            await bot.edit_message_caption(user.id, text.message_id, caption="x")
    shown = user.chat[0]
    assert (shown.plain_text, shown.history) == ("new caption", ["old"])
    assert shown.entities == [{"type": "italic", "offset": 4, "length": 7}]
