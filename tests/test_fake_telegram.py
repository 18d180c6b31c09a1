"""Self-tests of the fake Bot API harness, driven through a tiny PTB app (not the project's bot)."""

from __future__ import annotations

import asyncio
import datetime as dtm
import html
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import BadRequest, EndPointNotFound, Forbidden
from telegram.ext import (
    Application,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.fake_telegram import BOT_ID, TelegramHarness, render_html

Ctx = ContextTypes.DEFAULT_TYPE
AnyApp = Application[Any, Any, Any, Any, Any, Any]


async def start(update: Update, context: Ctx) -> None:
    """/start [payload]: greet with an inline keyboard."""
    assert update.effective_user and update.effective_message
    payload = f" ({context.args[0]})" if context.args else ""
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("Yes", callback_data="yes")],
            [InlineKeyboardButton("No", callback_data="no")],
        ]
    )
    name = html.escape(update.effective_user.first_name)
    await update.effective_message.reply_html(
        f"Hello, <b>{name}</b>!{payload}", reply_markup=keyboard
    )


async def choose(update: Update, context: Ctx) -> None:
    """Inline tap: toast, then edit the message in place."""
    query = update.callback_query
    assert query
    await query.answer(f"Saved {query.data}")
    await query.edit_message_text(f"You chose <i>{query.data}</i>", parse_mode="HTML")


async def menu(update: Update, context: Ctx) -> None:
    """/menu: show a reply keyboard with a location button."""
    assert update.effective_message
    keyboard: list[list[str | KeyboardButton]] = [
        ["Help"],
        [KeyboardButton("📍 Send location", request_location=True)],
    ]
    await update.effective_message.reply_text(
        "Menu", reply_markup=ReplyKeyboardMarkup(keyboard, resize_keyboard=True)
    )


async def help_(update: Update, context: Ctx) -> None:
    """The "Help" reply button: answer and remove the keyboard."""
    assert update.effective_message
    await update.effective_message.reply_text("Help text", reply_markup=ReplyKeyboardRemove())


async def echo(update: Update, context: Ctx) -> None:
    """Any other text: echo it back with HTML."""
    assert update.effective_message and update.effective_message.text
    text = html.escape(update.effective_message.text)
    await update.effective_message.reply_html(f"You said: <i>{text}</i>")


async def location(update: Update, context: Ctx) -> None:
    """A location: answer with a venue and a text."""
    message = update.effective_message
    assert message and message.location
    lat, lon = message.location.latitude, message.location.longitude
    await message.reply_venue(latitude=lat, longitude=lon, title="Center", address="Abay 1")
    await message.reply_text(f"Got {lat:.2f},{lon:.2f}")


async def document(update: Update, context: Ctx) -> None:
    """A document: download it and report its size and first bytes."""
    message = update.effective_message
    assert message and message.document
    data = await (await message.document.get_file()).download_as_bytearray()
    await message.reply_text(f"Got {len(data)} bytes: {bytes(data[:5]).decode()}")


async def clean(update: Update, context: Ctx) -> None:
    """/clean: delete every message so far (ids that are gone are skipped by Telegram)."""
    message = update.effective_message
    assert message
    await context.bot.delete_messages(message.chat_id, list(range(1, message.message_id + 1)))


async def crash(update: Update, context: Ctx) -> None:
    """/crash: a handler bug."""
    raise RuntimeError("boom")


def build_app(tg: TelegramHarness, **builder_options: Any) -> AnyApp:
    """The tiny test bot, pointed at the fake server."""
    builder = tg.application_builder()
    for name, value in builder_options.items():
        getattr(builder, name)(value)
    app = builder.build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("menu", menu))
    app.add_handler(CommandHandler("clean", clean))
    app.add_handler(CommandHandler("crash", crash))
    app.add_handler(CallbackQueryHandler(choose))
    app.add_handler(MessageHandler(filters.Text(["Help"]), help_))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_handler(MessageHandler(filters.LOCATION, location))
    app.add_handler(MessageHandler(filters.Document.ALL, document))
    return app


@pytest.fixture
async def tg() -> AsyncIterator[TelegramHarness]:
    """A harness running the tiny test bot."""
    async with TelegramHarness() as harness:
        await harness.start(build_app(harness))
        yield harness
        assert harness.server.unknown_methods == []


async def test_start_command_with_entity_and_html(tg: TelegramHarness) -> None:
    aigerim = tg.user(1001, "Aigerim <3", "kk")
    await aigerim.send("/start")
    reply = aigerim.last_bot_message()
    assert reply.plain_text == "Hello, Aigerim <3!"
    assert reply.text == "Hello, <b>Aigerim &lt;3</b>!"
    assert reply.entities == [{"type": "bold", "offset": 7, "length": 10}]
    assert aigerim.buttons() == ["Yes", "No"]
    assert [m.from_bot for m in aigerim.chat] == [False, True]
    assert tg.server.calls_to("getMe")


async def test_deep_link_payload(tg: TelegramHarness) -> None:
    user = tg.user(1002, "Dana", "ru")
    await user.send("/start ref_42")
    assert user.last_bot_message().plain_text == "Hello, Dana! (ref_42)"


async def test_tap_inline_edits_in_place_and_toasts(tg: TelegramHarness) -> None:
    user = tg.user(1003, "Asel")
    await user.send("/start")
    greeting = user.last_bot_message()
    await user.tap("No")
    assert len(user.chat) == 2  # edited, not a new message
    assert greeting.plain_text == "You chose no"
    assert greeting.history == ["Hello, Asel!"]
    assert greeting.buttons == []  # editMessageText without reply_markup drops the keyboard
    assert [(a.text, a.show_alert) for a in user.answers()] == [("Saved no", False)]
    assert tg.server.unanswered_callbacks() == []


async def test_tap_older_message_and_missing_button(tg: TelegramHarness) -> None:
    user = tg.user(1004, "Zhanar")
    await user.send("/start")
    first = user.last_bot_message()
    await user.send("/start")
    await user.tap_in(first, "Yes")
    assert first.plain_text == "You chose yes"
    assert user.last_bot_message().buttons == ["Yes", "No"]
    with pytest.raises(AssertionError, match=r"No button 'Maybe'.*\['Yes', 'No'\]"):
        await user.tap("Maybe")


async def test_reply_keyboard_and_location_button(tg: TelegramHarness) -> None:
    user = tg.user(1005, "Gulnara", "kk")
    await user.send("/menu")
    assert user.reply_keyboard() == ["Help", "📍 Send location"]
    mark = user.mark()
    await user.tap("📍 Send location", location=(43.238, 76.946))
    assert user.chat[-3].location == {"latitude": 43.238, "longitude": 76.946}
    venue, text = user.since(mark)
    assert venue.kind == "venue"
    assert venue.plain_text == "Center\nAbay 1"
    assert text.plain_text == "Got 43.24,76.95"
    await user.tap("Help")
    assert user.last_bot_message().plain_text == "Help text"
    assert user.reply_keyboard() is None


async def test_echo_unescapes_html(tg: TelegramHarness) -> None:
    user = tg.user(1006, "Saule")
    await user.send("a < b & c")
    assert user.texts() == ["You said: a < b & c"]
    await user.send("42")  # must reach the bot as a string, not a JSON number
    assert user.texts()[-1] == "You said: 42"


async def test_edited_message_also_reaches_message_handlers(tg: TelegramHarness) -> None:
    user = tg.user(1014, "Inkar")
    sent = await user.send("typo")
    await user.send_edited(sent, "fixed")
    assert user.texts() == ["You said: typo", "You said: fixed"]
    assert sent.plain_text == "fixed" and sent.history == ["typo"]


async def test_document_roundtrip(tg: TelegramHarness) -> None:
    user = tg.user(1007, "Madina")
    await user.send_document("cert.pdf", b"%PDF-" + b"x" * 995, "application/pdf")
    assert user.last_bot_message().plain_text == "Got 1000 bytes: %PDF-"
    assert tg.app
    sent = await tg.app.bot.send_document(user.id, b"report", filename="r.txt", caption="<b>1</b>")
    assert sent.caption == "<b>1</b>"  # multipart upload; no parse_mode, so shown as typed
    assert sent.document
    assert await (await sent.document.get_file()).download_as_bytearray() == b"report"
    assert user.last_bot_message().kind == "document"


async def test_other_media_reach_the_bot(tg: TelegramHarness) -> None:
    user = tg.user(1008, "Aruzhan")
    await user.send_sticker()
    await user.send_photo(caption="look")
    await user.send_voice()
    assert [m.kind for m in user.chat] == ["sticker", "photo", "voice"]
    assert user.bot_messages() == []


async def test_copy_message_is_a_copy_without_origin_and_returns_only_its_id(
    tg: TelegramHarness,
) -> None:
    sender, receiver = tg.user(1020, "Sender"), tg.user(1021, "Receiver")
    await receiver.send("hi")  # opens the receiver's chat
    voice = await sender.send_voice()
    sticker = await sender.send_sticker("🙂")
    text = await sender.send("plain words")
    assert tg.app
    bot = tg.app.bot
    copied = await bot.copy_message(receiver.id, sender.id, voice.message_id, caption="<b>v</b>",
                                    parse_mode="HTML")  # fmt: skip
    assert set(copied.to_dict()) == {"message_id"}
    shown = receiver.last_bot_message()
    assert shown.kind == "voice" and shown.plain_text == "v" and shown.media == voice.media
    assert "forward_origin" not in shown.to_api()
    await bot.copy_message(receiver.id, sender.id, text.message_id)
    assert receiver.last_bot_message().plain_text == "plain words"
    await bot.copy_message(receiver.id, sender.id, sticker.message_id)
    assert receiver.last_bot_message().kind == "sticker"
    with pytest.raises(BadRequest, match="caption"):
        await bot.copy_message(receiver.id, sender.id, sticker.message_id, caption="no")
    with pytest.raises(BadRequest, match="caption is too long"):
        await bot.copy_message(receiver.id, sender.id, voice.message_id, caption="x" * 1025)
    with pytest.raises(BadRequest, match="not found"):
        await bot.copy_message(receiver.id, sender.id, 999)
    reply = await bot.send_voice(receiver.id, voice.media["voice"]["file_id"],  # type: ignore[index]
                                 reply_to_message_id=shown.message_id)  # fmt: skip
    assert reply.reply_to_message is not None
    assert reply.reply_to_message.message_id == shown.message_id


async def test_delete_messages_skips_missing(tg: TelegramHarness) -> None:
    user = tg.user(1009, "Kamila")
    await user.send("/start")
    await user.send("hi")
    assert len(user.chat) == 4
    assert tg.app
    await tg.app.bot.delete_message(user.id, 2)
    await user.send("/clean")  # ids 1..5 with 2 already gone
    assert user.chat == []
    assert [m.message_id for m in tg.server.deleted] == [2, 1, 3, 4, 5]


async def test_telegram_limits(tg: TelegramHarness) -> None:
    user = tg.user(1010, "Ainur")
    await user.send("hello")
    assert tg.app
    bot = tg.app.bot
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="ә" * 33)]])
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(user.id, "hi", reply_markup=too_long)
    ok = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="ә" * 32)]])
    await bot.send_message(user.id, "hi", reply_markup=ok)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(user.id, "я" * 4097)
    await bot.send_message(user.id, "<b>я</b>" * 4096, parse_mode="HTML")  # counted after parsing
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(user.id, "<b> </b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r'(?i)unsupported start tag "br"'):
        await bot.send_message(user.id, "a<br>b", parse_mode="HTML")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(999, "nobody")
    sent = user.last_bot_message()
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text(sent.text or "", user.id, sent.message_id, parse_mode="HTML")
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(user.id, 12345)
    tg.server.advance(dtm.timedelta(hours=48, seconds=1))
    with pytest.raises(BadRequest, match="can't be deleted for everyone"):
        await bot.delete_message(user.id, sent.message_id)
    assert await bot.delete_messages(user.id, [sent.message_id, 777])  # silently skipped
    assert sent in user.chat
    user.block_bot()
    with pytest.raises(Forbidden, match="blocked"):
        await bot.send_message(user.id, "still there?")


async def test_bot_profile_calls_are_stored(tg: TelegramHarness) -> None:
    assert tg.app
    bot = tg.app.bot
    await bot.set_my_commands([BotCommand("start", "Бастау")], language_code="kk")
    await bot.set_my_commands([BotCommand("start", "Начать")], language_code="ru")
    await bot.set_my_description("Көмек", language_code="kk")
    await bot.set_my_short_description("Помощь", language_code="ru")
    commands = await bot.get_my_commands(language_code="kk")
    assert [(c.command, c.description) for c in commands] == [("start", "Бастау")]
    assert [p["language_code"] for p in tg.server.calls_to("setMyCommands")] == ["kk", "ru"]
    assert tg.server.descriptions == {"kk": "Көмек"}
    assert tg.server.short_descriptions == {"ru": "Помощь"}
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Start", "x")])


async def test_unknown_method_is_recorded(tg: TelegramHarness) -> None:
    assert tg.app
    with pytest.raises(EndPointNotFound):
        await tg.app.bot.do_api_request("sendTeapot", api_kwargs={"chat_id": 1})
    assert tg.server.unknown_methods == ["sendTeapot"]
    tg.server.unknown_methods.clear()


async def test_json_and_form_bodies(tg: TelegramHarness) -> None:
    user = tg.user(1011, "Nazym")
    await user.send("hi")
    url = f"{tg.url}/bot{tg.token}/sendMessage"
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    async with aiohttp.ClientSession() as session:
        body = {"chat_id": user.id, "text": "json", "reply_markup": markup}
        async with session.post(url, json=body) as response:
            assert (await response.json())["result"]["reply_markup"] == markup
        form = {"chat_id": str(user.id), "text": "true", "reply_markup": str(markup)}
        async with session.post(url, data=form | {"reply_markup": '{"remove_keyboard": true}'}):
            pass
        async with session.post(f"{tg.url}/botWRONG/getMe") as response:
            assert response.status == 401
    assert user.texts()[-2:] == ["json", "true"]


async def test_handler_errors_fail_the_action(tg: TelegramHarness) -> None:
    user = tg.user(1012, "Tomiris")
    with pytest.raises(AssertionError, match="RuntimeError: boom"):
        await user.send("/crash")
    tg.fail_on_error = False
    await user.send("/crash")
    assert len(tg.errors) == 2


async def test_two_updates_from_one_user_at_once(tg: TelegramHarness) -> None:
    user = tg.user(1013, "Aida")
    async with tg.together():
        await user.send("one")
        await user.send("two")
    assert user.texts() == ["You said: one", "You said: two"]


class Concurrent(BaseUpdateProcessor):
    """A custom processor: run updates concurrently."""

    async def do_process_update(self, update: object, coroutine: Any) -> None:
        await coroutine

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


async def test_two_users_at_once_with_custom_update_processor() -> None:
    barrier = asyncio.Barrier(2)

    async def meet(update: Update, context: Ctx) -> None:
        assert update.effective_message
        async with asyncio.timeout(5):
            await barrier.wait()  # only passes if both updates are processed concurrently
        await update.effective_message.reply_text("met")

    async with TelegramHarness() as tg:
        app = build_app(tg, concurrent_updates=Concurrent(4))
        app.add_handler(CommandHandler("meet", meet), group=-1)
        await tg.start(app)
        alice, bota = tg.user(2001, "Alice"), tg.user(2002, "Bota", "kk")
        await alice.send("/meet", wait=False)
        await bota.send("/meet", wait=False)
        await tg.settle()
        assert alice.texts() == bota.texts() == ["met"]


async def test_restart_keeps_the_phone_state() -> None:
    async with TelegramHarness() as tg:
        await tg.start(build_app(tg))
        user = tg.user(3001, "Meruert", "ru")
        await user.send("/start")
        old = tg.app
        await tg.stop()
        await user.send("while offline", wait=False)  # queued on the server
        new = await tg.restart(build_app(tg))
        assert new is not old and new.bot.id == BOT_ID
        await tg.settle()
        assert user.texts() == ["Hello, Meruert!", "You said: while offline"]
        await user.tap("Yes")  # the keyboard from before the restart still works
        assert user.chat[1].plain_text == "You chose yes"
        assert [m.message_id for m in user.chat] == [1, 2, 3, 4]


async def test_render_html_nested_and_links() -> None:
    text, entities = render_html(
        '<b>a <i>b</i></b> <a href="https://x.kz">x</a> &amp;&foo; 😀<u>c</u>'
    )
    assert text == "a b x &&foo; 😀c"
    assert entities == [
        {"type": "bold", "offset": 0, "length": 3},
        {"type": "italic", "offset": 2, "length": 1},
        {"type": "text_link", "offset": 4, "length": 1, "url": "https://x.kz"},
        {"type": "underline", "offset": 15, "length": 1},
    ]
