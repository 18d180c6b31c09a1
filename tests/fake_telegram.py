"""A fake Telegram Bot API on loopback, a simulated user and a harness that runs a real PTB app.

The server speaks the Bot API over HTTP (aiohttp) closely enough for python-telegram-bot 22:
long-polling `getUpdates`, the send/edit/delete methods the bot uses, file downloads, and the
limits that matter (4096 chars, 64-byte callback data, 48 h deletion window, "not modified",
HTML entity parsing). It keeps every chat as the user's phone would show it.

    async with TelegramHarness() as tg:
        await tg.start(build_application(tg.url, tg.token))
        aigerim = tg.user(1001, "Aigerim", "kk")
        await aigerim.send("/start")
        assert "Сәлем" in aigerim.last_bot_message().plain_text
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import html
import itertools
import json
import os
import re
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from telegram.ext import Application, ApplicationBuilder, CallbackContext

# PTB reads this lazily; "1" returns durations as timedelta and silences its deprecation warning.
os.environ.setdefault("PTB_TIMEDELTA", "1")

JSON = dict[str, Any]
AnyApp = Application[Any, Any, Any, Any, Any, Any]

BOT_ID = 777000111
BOT_USERNAME = "ana_komek_test_bot"
BOT_FIRST_NAME = "Ana Komek"
DEFAULT_TOKEN = f"{BOT_ID}:TEST-fake-token"
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA_BYTES = 64
DELETE_WINDOW = dtm.timedelta(hours=48)
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024

# Form fields that are plain strings even when they look like JSON ("123", "true").
_STRING_FIELDS = frozenset(
    {
        "text", "caption", "parse_mode", "callback_query_id", "inline_message_id", "title",
        "address", "description", "short_description", "language_code", "action", "file_id",
        "url", "name", "emoji", "foursquare_id", "foursquare_type", "google_place_id",
        "google_place_type", "business_connection_id", "message_effect_id", "document", "photo",
    }
)  # fmt: skip
_HTML_TAGS = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
    "ins": "underline", "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "tg-spoiler": "spoiler", "span": "spoiler", "a": "text_link", "code": "code", "pre": "pre",
    "blockquote": "blockquote", "tg-emoji": "custom_emoji",
}  # fmt: skip
_HTML_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
_HTML_ATTR = re.compile(r"""([\w-]+)\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+)""")
_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
_BOT_COMMAND = re.compile(r"^/[A-Za-z0-9_]{1,32}(?:@\w+)?")


class ApiError(Exception):
    """An error answer of the Bot API (`{"ok": false, ...}`)."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


def bad_request(reason: str) -> ApiError:
    """Build a 400 error exactly as Telegram words it."""
    return ApiError(400, f"Bad Request: {reason}")


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def render_html(source: str) -> tuple[str, list[JSON]]:
    """Parse Telegram HTML like the server does: return (shown text, entities) or raise."""
    out: list[str] = []
    entities: list[JSON] = []
    stack: list[tuple[str, int, dict[str, str]]] = []
    offset = 0  # UTF-16 position in the output
    i = 0

    def error(reason: str, at: int) -> ApiError:
        byte_offset = len(source[:at].encode())
        return bad_request(f"can't parse entities: {reason} at byte offset {byte_offset}")

    while i < len(source):
        char = source[i]
        if char != "<":
            match = _HTML_ENTITY.match(source, i) if char == "&" else None
            piece = html.unescape(match.group()) if match else char
            i = match.end() if match else i + 1
            out.append(piece)
            offset += utf16_len(piece)
            continue
        end = source.find(">", i)
        if end == -1:
            raise error("Unclosed start tag", i)
        inner = source[i + 1 : end]
        if inner.startswith("/"):
            name = inner[1:].strip().lower()
            if not stack:
                raise error(f'Unexpected end tag "</{name}>"', i)
            tag, start, attrs = stack.pop()
            if name and name != tag:
                raise error(f'Unmatched end tag, expected "</{tag}>", found "</{name}>"', i)
            if offset > start:
                entities.append(_html_entity(tag, start, offset - start, attrs))
        else:
            name = inner.split(maxsplit=1)[0].lower() if inner.strip() else ""
            if name not in _HTML_TAGS:
                raise error(f'Unsupported start tag "{name}"', i)
            attrs = {k.lower(): v.strip("\"'") for k, v in _HTML_ATTR.findall(inner)}
            if name == "span" and attrs.get("class") != "tg-spoiler":
                raise error('Tag "span" must have class "tg-spoiler"', i)
            stack.append((name, offset, attrs))
        i = end + 1
    if stack:
        reason = f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"'
        raise bad_request(f"can't parse entities: {reason}")
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _html_entity(tag: str, offset: int, length: int, attrs: dict[str, str]) -> JSON:
    entity: JSON = {"type": _HTML_TAGS[tag], "offset": offset, "length": length}
    if tag == "a":
        entity["url"] = attrs.get("href", "")
    elif tag == "blockquote" and "expandable" in attrs:
        entity["type"] = "expandable_blockquote"
    elif tag == "tg-emoji":
        entity["custom_emoji_id"] = attrs.get("emoji-id", "")
    return entity


def _decode_field(name: str, value: str) -> Any:
    """PTB form-encodes complex values as JSON; plain strings stay strings."""
    if name in _STRING_FIELDS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


@dataclass
class ApiCall:
    """One request the bot made: method name and decoded parameters."""

    method: str
    params: JSON


@dataclass
class CallbackAnswer:
    """What answerCallbackQuery showed: a toast, or an alert when `show_alert`."""

    user_id: int
    data: str | None
    text: str | None
    show_alert: bool
    url: str | None


@dataclass
class StoredFile:
    """Bytes behind a file_id, served by getFile + the download route."""

    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes

    def to_api(self, **extra: Any) -> JSON:
        """file_id, file_unique_id and file_size, plus `extra` fields."""
        size = len(self.content)
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": size,
        } | extra


@dataclass(eq=False)
class ChatMessage:
    """One message in a chat, as it currently looks on the phone."""

    chat: ChatState
    message_id: int
    from_bot: bool
    date: int
    kind: str  # text, location, venue, sticker, photo, voice, document, ...
    text: str | None = None  # what was sent (HTML source for bot messages); captions too
    plain_text: str = ""  # what the phone shows
    entities: list[JSON] = field(default_factory=list)
    parse_mode: str | None = None
    reply_markup: JSON | None = None
    location: JSON | None = None
    venue: JSON | None = None
    media: JSON | None = None  # {"photo": [...]} / {"document": {...}} / ...
    params: JSON = field(default_factory=dict)  # the full request that created it
    edit_date: int | None = None
    history: list[str] = field(default_factory=list)  # earlier plain texts, oldest first

    @property
    def inline_keyboard(self) -> list[list[JSON]]:
        """Rows of inline buttons (empty when there is none)."""
        return list((self.reply_markup or {}).get("inline_keyboard", []))

    @property
    def buttons(self) -> list[str]:
        """Flat list of the inline button texts."""
        return [button["text"] for row in self.inline_keyboard for button in row]

    def to_api(self) -> JSON:
        """The Bot API `Message` object."""
        sender = self.chat.server.bot_user if self.from_bot else self.chat.user
        message: JSON = {
            "message_id": self.message_id,
            "from": sender,
            "chat": self.chat.to_api(),
            "date": self.date,
        }
        if self.kind == "text":
            message["text"] = self.plain_text
            if self.entities:
                message["entities"] = self.entities
        elif self.text is not None:
            message["caption"] = self.plain_text
            if self.entities:
                message["caption_entities"] = self.entities
        if self.edit_date is not None:
            message["edit_date"] = self.edit_date
        if self.location is not None:
            message["location"] = self.location
        if self.venue is not None:
            message["venue"] = self.venue
        if self.media:
            message.update(self.media)
        if self.inline_keyboard:  # Telegram never echoes reply keyboards
            message["reply_markup"] = {"inline_keyboard": self.inline_keyboard}
        if "link_preview_options" in self.params:
            message["link_preview_options"] = self.params["link_preview_options"]
        return message

    def __repr__(self) -> str:
        who = "bot" if self.from_bot else "user"
        return f"<#{self.message_id} {who} {self.kind} {self.plain_text[:40]!r} {self.buttons}>"


@dataclass(repr=False, eq=False)
class ChatState:
    """A private chat (chat id == user id): visible messages and the shown reply keyboard."""

    server: FakeTelegramServer
    user: JSON
    messages: list[ChatMessage] = field(default_factory=list)
    next_message_id: int = 1
    reply_keyboard: JSON | None = None
    reply_keyboard_message_id: int | None = None
    actions: list[str] = field(default_factory=list)
    blocked: bool = False

    @property
    def id(self) -> int:
        """The chat id (the user's id)."""
        return int(self.user["id"])

    def to_api(self) -> JSON:
        """The Bot API `Chat` object."""
        chat: JSON = {"id": self.id, "type": "private", "first_name": self.user["first_name"]}
        for key in ("last_name", "username"):
            if key in self.user:
                chat[key] = self.user[key]
        return chat

    def find(self, message_id: int) -> ChatMessage | None:
        """A visible message by id."""
        return next((m for m in self.messages if m.message_id == message_id), None)

    def add(self, from_bot: bool, kind: str, **fields: Any) -> ChatMessage:
        """Append a new message with the next per-chat id."""
        message = ChatMessage(
            self, self.next_message_id, from_bot, self.server.now(), kind, **fields
        )
        self.next_message_id += 1
        self.messages.append(message)
        return message


class FakeTelegramServer:
    """The Bot API on 127.0.0.1 with a port picked by the OS; all state is inspectable."""

    def __init__(self, token: str = DEFAULT_TOKEN) -> None:
        self.token = token
        self.bot_user: JSON = {
            "id": BOT_ID, "is_bot": True, "first_name": BOT_FIRST_NAME, "username": BOT_USERNAME,
            "can_join_groups": False, "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }  # fmt: skip
        self.calls: list[ApiCall] = []
        self.unknown_methods: list[str] = []
        self.api_errors: list[tuple[ApiCall, str]] = []
        self.chats: dict[int, ChatState] = {}
        self.deleted: list[ChatMessage] = []
        self.callback_answers: list[CallbackAnswer] = []
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.descriptions: dict[str, str] = {}
        self.short_descriptions: dict[str, str] = {}
        self.menu_buttons: dict[int | None, JSON] = {}
        self.files: dict[str, StoredFile] = {}
        self.clock_offset = 0.0
        self.last_update_id = 0
        self.confirmed_offset = 0  # every update with id < this one was fetched and confirmed
        self._pending: list[JSON] = []
        self._callbacks: dict[str, tuple[int, str | None]] = {}
        self._answered: set[str] = set()
        self._ids = itertools.count(1)
        self._new_update = asyncio.Event()
        self._confirmed = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self.url = ""
        self._methods: dict[str, Callable[[JSON], Any]] = {
            name.lower(): getattr(self, f"_api_{name}")
            for name in (
                "getMe", "logOut", "close", "deleteWebhook", "getUpdates", "sendMessage",
                "editMessageText", "editMessageReplyMarkup", "deleteMessage", "deleteMessages",
                "answerCallbackQuery", "sendLocation", "sendVenue", "sendDocument", "sendPhoto",
                "getFile", "setMyCommands", "getMyCommands", "deleteMyCommands",
                "setMyDescription", "getMyDescription", "setMyShortDescription",
                "getMyShortDescription", "setChatMenuButton", "getChatMenuButton",
                "sendChatAction",
            )
        }  # fmt: skip

    # ---- lifecycle -------------------------------------------------------------------------

    async def start(self) -> str:
        """Listen on a free loopback port and return the base URL."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=2)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self.url

    async def stop(self) -> None:
        """Release held long polls and close the server."""
        self._closing = True
        self._notify_updates()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ---- clock, chats, updates -------------------------------------------------------------

    def now(self) -> int:
        """Server time (unix seconds), shifted by `advance()`."""
        return int(time.time() + self.clock_offset)

    def advance(self, delta: dtm.timedelta) -> None:
        """Move the server clock forward (e.g. past the 48 h deletion window)."""
        self.clock_offset += delta.total_seconds()

    def open_chat(self, user: JSON) -> ChatState:
        """The private chat with `user` (created on first use)."""
        chat = self.chats.get(int(user["id"]))
        if chat is None:
            chat = self.chats[int(user["id"])] = ChatState(self, user)
        return chat

    def push_update(self, kind: str, payload: JSON) -> int:
        """Queue an update for getUpdates and return its update_id."""
        self.last_update_id += 1
        self._pending.append({"update_id": self.last_update_id, kind: payload})
        self._notify_updates()
        return self.last_update_id

    def new_callback_query(self, user: JSON, message: ChatMessage, data: str | None) -> JSON:
        """A callback_query payload for a tap on `message`'s inline button."""
        query_id = str(next(self._ids))
        self._callbacks[query_id] = (int(user["id"]), data)
        query = {"id": query_id, "from": user, "message": message.to_api()}
        return query | {"chat_instance": f"ci-{message.chat.id}", "data": data}

    def unanswered_callbacks(self) -> list[str]:
        """Callback query ids the bot never answered (the phone shows a spinner)."""
        return [qid for qid in self._callbacks if qid not in self._answered]

    def store_file(self, kind: str, content: bytes, extension: str) -> StoredFile:
        """Keep bytes under a new file_id so getFile and the download route serve them."""
        n = next(self._ids)
        stored = StoredFile(f"{kind}-{n}", f"u{kind}{n}", f"{kind}s/file_{n}.{extension}", content)
        self.files[stored.file_id] = stored
        return stored

    def calls_to(self, method: str) -> list[JSON]:
        """Parameters of every call to `method` (case-insensitive), oldest first."""
        return [c.params for c in self.calls if c.method.lower() == method.lower()]

    async def wait_confirmed(self, update_id: int) -> None:
        """Return once the poller confirmed `update_id` (PTB queued it before polling again)."""
        while self.confirmed_offset <= update_id:
            await self._confirmed.wait()

    def _notify_updates(self) -> None:
        self._new_update.set()
        self._new_update = asyncio.Event()

    def _confirm(self, offset: int) -> None:
        self._pending = [u for u in self._pending if u["update_id"] >= offset]
        if offset > self.confirmed_offset:
            self.confirmed_offset = offset
            self._confirmed.set()
            self._confirmed = asyncio.Event()

    # ---- HTTP --------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        call = ApiCall(method, await self._read_params(request))
        self.calls.append(call)
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            handler = self._methods.get(method.lower())
            if handler is None:
                self.unknown_methods.append(method)
                raise ApiError(404, "Not Found: method not found")
            result = handler(call.params)
            if isinstance(result, Awaitable):
                result = await result
        except ApiError as exc:
            self.api_errors.append((call, exc.description))
            body = {"ok": False, "error_code": exc.code, "description": exc.description}
            return web.json_response(body, status=exc.code)
        return web.json_response({"ok": True, "result": result})

    async def _read_params(self, request: web.Request) -> JSON:
        params: JSON = {k: _decode_field(k, v) for k, v in request.query.items()}
        if request.content_type == "application/json":
            params.update(await request.json())
        elif request.can_read_body:
            for key, value in (await request.post()).items():
                params[key] = _decode_field(key, value) if isinstance(value, str) else value
        return params

    async def _download(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        stored = next((f for f in self.files.values() if f.file_path == path), None)
        if request.match_info["token"] != self.token or stored is None:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=stored.content, content_type="application/octet-stream")

    # ---- helpers for API methods -------------------------------------------------------------

    def _chat(self, params: JSON) -> ChatState:
        chat = self.chats.get(int(params.get("chat_id", 0)))
        if chat is None:
            raise bad_request("chat not found")
        if chat.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def _message(self, params: JSON, action: str) -> ChatMessage:
        if "inline_message_id" in params:
            raise bad_request("inline messages are not supported by the fake server")
        message = self._chat(params).find(int(params.get("message_id", 0)))
        if message is None:
            raise bad_request(f"message to {action} not found")
        return message

    def _render(self, params: JSON, key: str, limit: int) -> tuple[str, list[JSON]]:
        text = str(params.get(key) or "")
        mode = str(params.get("parse_mode") or "").lower()
        shown, entities = render_html(text) if mode == "html" else (text, [])
        if mode != "html":
            entities = list(params.get(f"{key}_entities" if key == "caption" else "entities", []))
        if len(shown) > limit:
            raise bad_request(
                "message is too long" if key == "text" else "message caption is too long"
            )
        return shown, entities

    @staticmethod
    def _check_markup(markup: JSON | None) -> None:
        for row in (markup or {}).get("inline_keyboard", []):
            for button in row:
                if "callback_data" in button:
                    size = len(str(button["callback_data"]).encode())
                    if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
                        raise bad_request("BUTTON_DATA_INVALID")
                elif len(button) == 1:
                    raise bad_request(
                        "can't parse inline keyboard button: "
                        "Text buttons are unallowed in the inline keyboard"
                    )
        for row in (markup or {}).get("keyboard", []):
            for button in row:
                if not (button if isinstance(button, str) else button.get("text")):
                    raise bad_request("keyboard button text is empty")

    def _send(self, params: JSON, kind: str, **fields: Any) -> JSON:
        chat = self._chat(params)
        markup = params.get("reply_markup")
        self._check_markup(markup)
        message = chat.add(True, kind, reply_markup=markup, params=params, **fields)
        if markup and "keyboard" in markup:
            chat.reply_keyboard, chat.reply_keyboard_message_id = markup, message.message_id
        elif markup and markup.get("remove_keyboard"):
            chat.reply_keyboard = chat.reply_keyboard_message_id = None
        return message.to_api()

    def _delete(self, chat: ChatState, message: ChatMessage) -> None:
        chat.messages.remove(message)
        self.deleted.append(message)
        if chat.reply_keyboard_message_id == message.message_id:  # the phone drops it too
            chat.reply_keyboard = chat.reply_keyboard_message_id = None

    def _too_old(self, message: ChatMessage) -> bool:
        return self.now() - message.date >= DELETE_WINDOW.total_seconds()

    # ---- API methods ---------------------------------------------------------------------------

    def _api_getMe(self, params: JSON) -> JSON:
        return self.bot_user

    def _api_logOut(self, params: JSON) -> bool:
        return True

    def _api_close(self, params: JSON) -> bool:
        return True

    def _api_deleteWebhook(self, params: JSON) -> bool:
        if params.get("drop_pending_updates"):
            self._confirm(self.last_update_id + 1)
        return True

    async def _api_getUpdates(self, params: JSON) -> list[JSON]:
        offset = int(params.get("offset") or 0)
        if offset > 0:
            self._confirm(offset)
        timeout = float(params.get("timeout") or 0)
        limit = int(params.get("limit") or 100)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while not self._pending and not self._closing:
                    await self._new_update.wait()
        return [] if self._closing else self._pending[:limit]

    def _api_sendMessage(self, params: JSON) -> JSON:
        shown, entities = self._render(params, "text", MAX_TEXT)
        if not shown.strip():
            raise bad_request("message text is empty")
        return self._send(
            params, "text", text=params["text"], plain_text=shown, entities=entities,
            parse_mode=params.get("parse_mode"),
        )  # fmt: skip

    def _api_editMessageText(self, params: JSON) -> JSON:
        message = self._message(params, "edit")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        if message.kind != "text":
            raise bad_request("there is no text in the message to edit")
        shown, entities = self._render(params, "text", MAX_TEXT)
        if not shown.strip():
            raise bad_request("message text is empty")
        markup = params.get("reply_markup")  # omitted => the inline keyboard is removed
        self._check_markup(markup)
        if (shown, entities, markup) == (
            message.plain_text,
            message.entities,
            message.reply_markup,
        ):
            raise bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        message.history.append(message.plain_text)
        message.text, message.plain_text, message.entities = params["text"], shown, entities
        message.parse_mode, message.reply_markup = params.get("parse_mode"), markup
        message.edit_date = self.now()
        return message.to_api()

    def _api_editMessageReplyMarkup(self, params: JSON) -> JSON:
        message = self._message(params, "edit")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        markup = params.get("reply_markup")
        self._check_markup(markup)
        if markup == message.reply_markup:
            raise bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        message.reply_markup, message.edit_date = markup, self.now()
        return message.to_api()

    def _api_deleteMessage(self, params: JSON) -> bool:
        message = self._message(params, "delete")
        if self._too_old(message):
            raise bad_request("message can't be deleted for everyone")
        self._delete(message.chat, message)
        return True

    def _api_deleteMessages(self, params: JSON) -> bool:
        chat = self._chat(params)
        ids = list(params.get("message_ids") or [])
        if not 1 <= len(ids) <= 100:
            raise bad_request("message_ids must contain 1-100 identifiers")
        for message_id in ids:
            message = chat.find(int(message_id))
            if message is not None and not self._too_old(message):
                self._delete(chat, message)
        return True

    def _api_answerCallbackQuery(self, params: JSON) -> bool:
        query_id = str(params.get("callback_query_id"))
        if query_id not in self._callbacks or query_id in self._answered:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        self._answered.add(query_id)
        user_id, data = self._callbacks[query_id]
        self.callback_answers.append(
            CallbackAnswer(
                user_id, data, params.get("text"), bool(params.get("show_alert")),
                params.get("url"),
            )
        )  # fmt: skip
        return True

    def _api_sendLocation(self, params: JSON) -> JSON:
        location = {"latitude": params["latitude"], "longitude": params["longitude"]}
        return self._send(params, "location", location=location)

    def _api_sendVenue(self, params: JSON) -> JSON:
        location = {"latitude": params["latitude"], "longitude": params["longitude"]}
        venue = {"location": location, "title": params["title"], "address": params["address"]}
        shown = f"{params['title']}\n{params['address']}"
        return self._send(params, "venue", location=location, venue=venue, plain_text=shown)

    def _upload(self, params: JSON, key: str, kind: str) -> StoredFile:
        value = params.get(key)
        if isinstance(value, web.FileField):
            extension = (value.filename or "bin").rsplit(".", 1)[-1]
            return self.store_file(kind, value.file.read(), extension)
        if isinstance(value, str) and value in self.files:
            return self.files[value]
        raise bad_request("wrong remote file identifier specified: can't unserialize it")

    def _api_sendDocument(self, params: JSON) -> JSON:
        stored = self._upload(params, "document", "document")
        shown, entities = self._render(params, "caption", MAX_CAPTION)
        document = stored.to_api()
        caption = params.get("caption")
        return self._send(
            params, "document", text=caption, plain_text=shown, entities=entities,
            media={"document": document},
        )  # fmt: skip

    def _api_sendPhoto(self, params: JSON) -> JSON:
        stored = self._upload(params, "photo", "photo")
        shown, entities = self._render(params, "caption", MAX_CAPTION)
        size = stored.to_api(width=320, height=240)
        caption = params.get("caption")
        return self._send(
            params, "photo", text=caption, plain_text=shown, entities=entities,
            media={"photo": [size]},
        )  # fmt: skip

    def _api_getFile(self, params: JSON) -> JSON:
        stored = self.files.get(str(params.get("file_id")))
        if stored is None:
            raise bad_request("invalid file_id")
        if len(stored.content) > MAX_DOWNLOAD_BYTES:
            raise bad_request("file is too big")
        return {
            "file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content), "file_path": stored.file_path,
        }  # fmt: skip

    @staticmethod
    def _commands_key(params: JSON) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    def _api_setMyCommands(self, params: JSON) -> bool:
        commands = list(params.get("commands") or [])
        if len(commands) > 100 or any(not _COMMAND.match(c.get("command", "")) for c in commands):
            raise bad_request("BOT_COMMAND_INVALID")
        if any(not 1 <= len(c.get("description", "")) <= 256 for c in commands):
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[self._commands_key(params)] = commands
        return True

    def _api_getMyCommands(self, params: JSON) -> list[JSON]:
        return self.commands.get(self._commands_key(params), [])

    def _api_deleteMyCommands(self, params: JSON) -> bool:
        self.commands.pop(self._commands_key(params), None)
        return True

    def _api_setMyDescription(self, params: JSON) -> bool:
        self.descriptions[str(params.get("language_code") or "")] = params.get("description") or ""
        return True

    def _api_getMyDescription(self, params: JSON) -> JSON:
        return {"description": self.descriptions.get(str(params.get("language_code") or ""), "")}

    def _api_setMyShortDescription(self, params: JSON) -> bool:
        language = str(params.get("language_code") or "")
        self.short_descriptions[language] = params.get("short_description") or ""
        return True

    def _api_getMyShortDescription(self, params: JSON) -> JSON:
        language = str(params.get("language_code") or "")
        return {"short_description": self.short_descriptions.get(language, "")}

    def _api_setChatMenuButton(self, params: JSON) -> bool:
        chat_id = params.get("chat_id")
        self.menu_buttons[None if chat_id is None else int(chat_id)] = params.get(
            "menu_button"
        ) or {"type": "default"}
        return True

    def _api_getChatMenuButton(self, params: JSON) -> JSON:
        chat_id = params.get("chat_id")
        key = None if chat_id is None else int(chat_id)
        return self.menu_buttons.get(key) or self.menu_buttons.get(None) or {"type": "default"}

    def _api_sendChatAction(self, params: JSON) -> bool:
        self._chat(params).actions.append(str(params.get("action")))
        return True


class TelegramUser:
    """A person in a private chat with the bot; every action waits until the bot is done."""

    def __init__(
        self,
        harness: TelegramHarness,
        user_id: int,
        first_name: str,
        language_code: str | None = None,
        *,
        username: str | None = None,
    ) -> None:
        self.harness = harness
        self.id = user_id
        self.first_name = first_name
        self.language_code = language_code
        self.username = username
        self.opened_urls: list[str] = []

    @property
    def server(self) -> FakeTelegramServer:
        """The fake Bot API this user talks through."""
        return self.harness.server

    def to_api(self) -> JSON:
        """The Bot API `User` object."""
        user: JSON = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    @property
    def chat_state(self) -> ChatState:
        """Server-side state of this user's chat."""
        return self.server.open_chat(self.to_api())

    # ---- actions -------------------------------------------------------------------------------

    async def _post(self, kind: str, wait: bool, **fields: Any) -> ChatMessage:
        message = self.chat_state.add(False, kind, **fields)
        self.server.push_update("message", message.to_api())
        await self.harness.after_action(wait)
        return message

    async def send(self, text: str, *, wait: bool = True) -> ChatMessage:
        """Type and send a text; a leading "/command" gets its bot_command entity."""
        entities: list[JSON] = []
        if command := _BOT_COMMAND.match(text):
            entities = [{"type": "bot_command", "offset": 0, "length": utf16_len(command[0])}]
        return await self._post("text", wait, text=text, plain_text=text, entities=entities)

    async def tap(
        self, text: str, *, location: tuple[float, float] | None = None, wait: bool = True
    ) -> ChatMessage | None:
        """Tap a button: newest inline keyboard that has it, else the shown reply keyboard."""
        for message in reversed(self.bot_messages()):
            if text in message.buttons:
                await self.tap_in(message, text, wait=wait)
                return None
        keyboard = self.chat_state.reply_keyboard
        for row in (keyboard or {}).get("keyboard", []):
            for button in row:
                button = {"text": button} if isinstance(button, str) else button
                if button["text"] == text:
                    return await self._press_reply_button(button, location, wait)
        inline = [f"#{m.message_id}: {m.buttons}" for m in self.bot_messages() if m.buttons]
        raise AssertionError(
            f"No button {text!r}. Inline keyboards: {inline or 'none'}; "
            f"reply keyboard: {self.reply_keyboard()}"
        )

    async def _press_reply_button(
        self, button: JSON, location: tuple[float, float] | None, wait: bool
    ) -> ChatMessage:
        unsupported = [k for k in button if k.startswith("request_") or k == "web_app"]
        if unsupported and unsupported != ["request_location"]:
            raise AssertionError(f"The fake user cannot answer a {unsupported} button")
        if button.get("request_location"):
            if location is None:
                raise AssertionError(f"{button['text']!r} asks for a location: pass location=")
            return await self.share_location(*location, wait=wait)
        if location is not None:
            raise AssertionError(f"{button['text']!r} does not request a location")
        return await self.send(button["text"], wait=wait)

    async def tap_in(self, message: ChatMessage | int, text: str, *, wait: bool = True) -> None:
        """Tap the inline button `text` on a specific (possibly older) message."""
        message_id = message if isinstance(message, int) else message.message_id
        shown = self.chat_state.find(message_id)
        if shown is None:
            raise AssertionError(f"Message #{message_id} is not in the chat any more")
        button = next((b for row in shown.inline_keyboard for b in row if b["text"] == text), None)
        if button is None:
            raise AssertionError(f"No button {text!r} on {shown!r}; it has {shown.buttons}")
        if "url" in button:
            self.opened_urls.append(button["url"])
            return
        if "callback_data" not in button:
            raise AssertionError(f"The fake user cannot tap a {sorted(button)} button")
        query = self.server.new_callback_query(self.to_api(), shown, button["callback_data"])
        self.server.push_update("callback_query", query)
        await self.harness.after_action(wait)

    async def share_location(
        self, latitude: float, longitude: float, *, wait: bool = True
    ) -> ChatMessage:
        """Send a location (the attachment menu or a request_location button)."""
        location = {"latitude": latitude, "longitude": longitude}
        return await self._post("location", wait, location=location)

    async def send_sticker(self, emoji: str = "👍", *, wait: bool = True) -> ChatMessage:
        """Send a sticker."""
        stored = self.server.store_file("sticker", b"RIFF-fake-webp", "webp")
        sticker = stored.to_api(type="regular", width=512, height=512, emoji=emoji)
        sticker |= {"is_animated": False, "is_video": False}
        return await self._post("sticker", wait, plain_text=emoji, media={"sticker": sticker})

    async def send_photo(
        self, content: bytes = b"\x89PNG fake", caption: str | None = None, *, wait: bool = True
    ) -> ChatMessage:
        """Send a photo (two sizes, like Telegram)."""
        sizes: list[JSON] = []
        for width in (90, 800):
            stored = self.server.store_file("photo", content, "jpg")
            sizes.append(stored.to_api(width=width, height=width * 3 // 4))
        return await self._post(
            "photo", wait, text=caption, plain_text=caption or "", media={"photo": sizes}
        )

    async def send_voice(
        self, content: bytes = b"OggS fake", duration: int = 3, *, wait: bool = True
    ) -> ChatMessage:
        """Send a voice note."""
        stored = self.server.store_file("voice", content, "oga")
        voice = stored.to_api(duration=duration, mime_type="audio/ogg")
        return await self._post("voice", wait, media={"voice": voice})

    async def send_document(
        self,
        filename: str,
        content: bytes,
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
        *,
        wait: bool = True,
    ) -> ChatMessage:
        """Upload a file; getFile + download give the same bytes back."""
        stored = self.server.store_file("document", content, filename.rsplit(".", 1)[-1])
        document = stored.to_api(file_name=filename, mime_type=mime_type)
        return await self._post(
            "document", wait, text=caption, plain_text=caption or "", media={"document": document}
        )

    async def send_edited(self, message: ChatMessage, new_text: str, *, wait: bool = True) -> None:
        """Edit one of her own text messages (an `edited_message` update)."""
        if message.from_bot or message.kind != "text":
            raise AssertionError("The user can only edit her own text messages")
        message.history.append(message.plain_text)
        message.text = message.plain_text = new_text
        message.edit_date = self.server.now()
        self.server.push_update("edited_message", message.to_api())
        await self.harness.after_action(wait)

    def block_bot(self, blocked: bool = True) -> None:
        """Block (or unblock) the bot: its sends to this chat then fail with 403."""
        self.chat_state.blocked = blocked

    # ---- reading the phone ---------------------------------------------------------------------

    @property
    def chat(self) -> list[ChatMessage]:
        """Visible messages, oldest first (hers and the bot's)."""
        return list(self.chat_state.messages)

    def bot_messages(self) -> list[ChatMessage]:
        """Visible messages from the bot, oldest first."""
        return [m for m in self.chat_state.messages if m.from_bot]

    def last_bot_message(self) -> ChatMessage:
        """The newest visible bot message."""
        messages = self.bot_messages()
        if not messages:
            raise AssertionError(f"The bot has not said anything to {self.first_name}")
        return messages[-1]

    def buttons(self, message: ChatMessage | None = None) -> list[str]:
        """Inline button texts of `message` (default: the newest bot message)."""
        return (message or self.last_bot_message()).buttons

    def reply_keyboard(self) -> list[str] | None:
        """Texts of the reply keyboard under the input field, or None when there is none."""
        keyboard = self.chat_state.reply_keyboard
        if keyboard is None:
            return None
        return [b if isinstance(b, str) else b["text"] for row in keyboard["keyboard"] for b in row]

    def mark(self) -> int:
        """A bookmark for `since()`: the next message id in this chat."""
        return self.chat_state.next_message_id

    def since(self, mark: int) -> list[ChatMessage]:
        """Bot messages sent after `mark()` that are still visible."""
        return [m for m in self.bot_messages() if m.message_id >= mark]

    def texts(self, messages: list[ChatMessage] | None = None) -> list[str]:
        """Shown texts of `messages` (default: all visible bot messages)."""
        return [m.plain_text for m in (self.bot_messages() if messages is None else messages)]

    def answers(self) -> list[CallbackAnswer]:
        """Toasts/alerts the bot showed this user after her taps."""
        return [a for a in self.server.callback_answers if a.user_id == self.id]


class TelegramHarness:
    """Fake server + a real PTB Application polling it; async context manager."""

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        poll_timeout: float = 1.0,
        settle_timeout: float = 10.0,
        fail_on_error: bool = True,
        wait_for_tasks: bool = True,
    ) -> None:
        self.server = FakeTelegramServer(token)
        self.app: AnyApp | None = None
        self.poll_timeout = poll_timeout
        self.settle_timeout = settle_timeout
        self.fail_on_error = fail_on_error
        self.wait_for_tasks = wait_for_tasks
        self.errors: list[BaseException] = []
        self._reported_errors = 0
        self._batch_depth = 0
        self._background: set[asyncio.Task[Any]] = set()

    @property
    def url(self) -> str:
        """Base URL for TELEGRAM_API_URL (http://127.0.0.1:PORT)."""
        return self.server.url

    @property
    def token(self) -> str:
        """The bot token the server accepts."""
        return self.server.token

    def application_builder(self) -> ApplicationBuilder[Any, Any, Any, Any, Any, Any]:
        """An ApplicationBuilder already pointed at this server."""
        return (
            ApplicationBuilder()
            .token(self.token)
            .base_url(f"{self.url}/bot{{token}}")
            .base_file_url(f"{self.url}/file/bot{{token}}")
        )

    async def __aenter__(self) -> TelegramHarness:
        await self.server.start()
        return self

    async def __aexit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        try:
            await self.stop()
        except Exception:
            if exc is None:  # don't hide the test's own failure behind a shutdown error
                raise
        finally:
            await self.server.stop()

    async def start(self, app: AnyApp) -> AnyApp:
        """Run `app` as its own runner does: the bot's `start_bot` when the app has no PTB
        Updater (it receives updates itself), else PTB's initialize/post_init/polling/start."""
        if self.app is not None:
            raise RuntimeError("An application is already running; use restart()")
        self.app = app
        app.add_error_handler(self._record_error)
        try:
            if app.updater is None:
                from bot.app import RECEIVER_KEY, start_bot

                app.bot_data[RECEIVER_KEY].poll_timeout = max(1, int(self.poll_timeout))
                await start_bot(app)
            else:
                await app.initialize()
                if app.post_init:
                    await app.post_init(app)
                await app.updater.start_polling(
                    poll_interval=0,
                    timeout=dtm.timedelta(seconds=self.poll_timeout),
                    drop_pending_updates=False,
                )
                await app.start()
        except BaseException:
            await self.stop()
            raise
        self._background = set(self._app_tasks(app))
        return app

    async def stop(self) -> None:
        """Stop the running app like its runner does on exit (no-op when none runs)."""
        app, self.app = self.app, None
        if app is None:
            return
        app.remove_error_handler(self._record_error)
        try:
            async with asyncio.timeout(self.settle_timeout):
                if app.updater is None:
                    from bot.app import stop_bot

                    await stop_bot(app)
                    return
                if app.updater.running:
                    await app.updater.stop()
                if app.running:
                    await app.stop()
                    if app.post_stop:
                        await app.post_stop(app)
                await app.shutdown()
                if app.post_shutdown:
                    await app.post_shutdown(app)
        except TimeoutError:
            with contextlib.suppress(Exception):  # at least close PTB's HTTP clients
                async with asyncio.timeout(1):
                    await app.shutdown()
            raise AssertionError(
                f"The application did not stop within {self.settle_timeout}s "
                "(is a handler still running?)"
            ) from None

    async def restart(self, app: AnyApp) -> AnyApp:
        """Replace the running app by a new one; the server (and the phone) keep their state."""
        await self.stop()
        return await self.start(app)

    def user(
        self,
        user_id: int,
        first_name: str,
        language_code: str | None = None,
        *,
        username: str | None = None,
    ) -> TelegramUser:
        """A simulated user in a private chat with the bot."""
        return TelegramUser(self, user_id, first_name, language_code, username=username)

    @contextlib.asynccontextmanager
    async def together(self) -> AsyncIterator[None]:
        """Inside, user actions don't wait; on exit, wait for all of them."""
        self._batch_depth += 1
        try:
            yield
        finally:
            self._batch_depth -= 1
        await self.settle()

    async def after_action(self, wait: bool) -> None:
        """Called by users after queueing an update: settle unless batching or wait=False."""
        if wait and not self._batch_depth:
            await self.settle()

    async def settle(self) -> None:
        """Wait until the bot fetched and fully processed every update sent so far."""
        app = self.app
        if app is None or not app.running:
            raise AssertionError("No application is running; send with wait=False or start one")
        target = self.server.last_update_id
        try:
            async with asyncio.timeout(self.settle_timeout):
                await self.server.wait_confirmed(target)
                await app.update_queue.join()
                while self.wait_for_tasks and (tasks := self._app_tasks(app) - self._background):
                    await asyncio.wait(tasks)
        except TimeoutError:
            recent = [c.method for c in self.server.calls if c.method != "getUpdates"][-10:]
            raise AssertionError(
                f"The bot did not finish update {target} within {self.settle_timeout}s "
                f"(confirmed offset {self.server.confirmed_offset}, "
                f"queue size {app.update_queue.qsize()}, recent calls {recent})"
            ) from None
        self.raise_errors()

    def raise_errors(self) -> None:
        """Fail with the traceback of any handler error not reported yet (if fail_on_error)."""
        new = self.errors[self._reported_errors :]
        self._reported_errors = len(self.errors)
        if new and self.fail_on_error:
            details = "\n".join("".join(traceback.format_exception(e)) for e in new)
            raise AssertionError(f"The bot raised {len(new)} error(s) in handlers:\n{details}")

    @staticmethod
    def _app_tasks(app: AnyApp) -> set[asyncio.Task[Any]]:
        # Tasks from Application.create_task (block=False handlers, concurrent updates).
        tasks: set[asyncio.Task[Any]] = getattr(app, "_Application__create_task_tasks", set())
        return {t for t in tasks if not t.done()}

    async def _record_error(
        self, update: object, context: CallbackContext[Any, Any, Any, Any]
    ) -> None:
        if context.error is not None:
            self.errors.append(context.error)
