"""A fake Telegram Bot API on loopback, a simulated user and a harness that runs a real PTB app.

The server speaks the Bot API over HTTP (aiohttp) closely enough for python-telegram-bot 22:
long-polling `getUpdates` or webhook delivery, the send/edit/delete methods the bot uses, file
downloads, inline mode, group chats, and the limits that matter (4096 chars, 64-byte callback
data, 48 h deletion window, "not modified", HTML entity parsing). It keeps every chat as the
user's phone would show it.

What goes wrong on the real network can be switched on per test: flood limits
(`server.limits = FloodLimits()`), failing or slow calls (`server.inject_fault(...)`) and
updates PTB cannot parse (`server.push_raw_update(...)`).

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
import math
import os
import re
import time
import traceback
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

import aiohttp
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
MAX_INLINE_RESULTS = 50
MAX_INLINE_ID_BYTES = 64  # result ids, next_offset
INLINE_QUERY_TIMEOUT = dtm.timedelta(seconds=10)  # the phone stops waiting for an answer
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"

# Form fields that are plain strings even when they look like JSON ("123", "true").
_STRING_FIELDS = frozenset(
    {
        "text", "caption", "parse_mode", "callback_query_id", "inline_message_id", "title",
        "address", "description", "short_description", "language_code", "action", "file_id",
        "url", "name", "emoji", "foursquare_id", "foursquare_type", "google_place_id",
        "google_place_type", "business_connection_id", "message_effect_id", "document", "photo",
        "inline_query_id", "next_offset", "secret_token",
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
_START_PARAMETER = re.compile(r"[A-Za-z0-9_-]{1,64}")
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]*")
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# Sending and editing count against the flood limits; answers, reads and deletes do not.
_FLOOD_METHODS = frozenset(
    {
        "sendmessage", "sendphoto", "senddocument", "sendvenue", "sendlocation",
        "editmessagetext", "editmessagereplymarkup", "editmessagecaption", "copymessage",
        "sendvoice", "sendvideonote", "sendsticker", "sendvideo", "sendaudio", "sendanimation",
        "sendcontact",
    }
)  # fmt: skip
# What an inline keyboard button can do; one without any of these is a bare text button.
_INLINE_BUTTON_ACTIONS = (
    "callback_data", "url", "switch_inline_query", "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat", "login_url", "web_app", "callback_game", "pay", "copy_text",
)  # fmt: skip
_SWITCH_INLINE = (
    "switch_inline_query", "switch_inline_query_current_chat", "switch_inline_query_chosen_chat"
)  # fmt: skip
# Required fields of each InlineQueryResult type; "a|b" means either (a URL or a cached file).
_INLINE_RESULT_FIELDS: dict[str, tuple[str, ...]] = {
    "article": ("title",), "photo": ("photo_url|photo_file_id",),
    "gif": ("gif_url|gif_file_id",), "mpeg4_gif": ("mpeg4_url|mpeg4_file_id",),
    "video": ("title", "video_url|video_file_id"), "audio": ("audio_url|audio_file_id",),
    "voice": ("voice_url|voice_file_id",), "document": ("title", "document_url|document_file_id"),
    "location": ("latitude", "longitude", "title"),
    "venue": ("latitude", "longitude", "title", "address"),
    "contact": ("phone_number", "first_name"), "game": ("game_short_name",),
    "sticker": ("sticker_file_id",),
}  # fmt: skip
_INLINE_CHAT_TYPES = frozenset({"sender", "private", "group", "supergroup", "channel"})
# Update kinds a bot only gets when it lists them in allowed_updates.
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
_CAPTIONED = frozenset({"photo", "document", "voice", "video", "audio", "animation"})
_WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)

FaultKind = Literal["500", "502", "reset", "slow"]
_FAULT_ERRORS: dict[str, tuple[int, str]] = {
    "500": (500, "Internal Server Error"),
    "502": (502, "Bad Gateway"),
}


class ApiError(Exception):
    """An error answer of the Bot API (`{"ok": false, ...}`)."""

    def __init__(self, code: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def to_api(self) -> JSON:
        """The response body; `parameters` carries e.g. retry_after for a 429."""
        body: JSON = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


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


def _inline_result_error(reason: str) -> ApiError:
    """Telegram names the inline query result it could not parse."""
    return bad_request(f"Can't parse inline query result: {reason}")


def command_entities(text: str) -> list[JSON]:
    """The bot_command entity the phone adds to a text that starts with "/command"."""
    command = _BOT_COMMAND.match(text)
    if command is None:
        return []
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(command[0])}]


def _check_button_url(url: str) -> None:
    """Telegram opens http(s) and tg:// links only, and no host without a dot (localhost)."""
    parts = urlsplit(url if "://" in url else f"http://{url}")
    scheme = parts.scheme.lower()
    if scheme == "tg":
        return
    if scheme not in ("http", "https"):
        raise bad_request(
            f"inline keyboard button URL '{url}' is invalid: Unsupported URL protocol"
        )
    if "." not in (parts.hostname or ""):
        raise bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")


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


@dataclass(frozen=True)
class FloodLimits:
    """Telegram's flood limits, opt-in with `server.limits = FloodLimits()`.

    Each limit is a token bucket: it holds up to `burst` messages and refills at its rate, so
    a handler answering with a few messages in a row passes while a loop sending one message
    per item is throttled, as on Telegram. `per_chat_burst` defaults to 3: Telegram lets a
    private chat take a short burst (a venue, then a text, then a keyboard) but not a stream
    at more than about one message per second. Groups share that burst but refill at 20 a
    minute. The buckets run on the server clock, so `server.advance()` refills them.
    """

    global_per_second: float = 30.0
    global_burst: int = 30
    per_chat_per_second: float = 1.0
    per_chat_burst: int = 3
    per_group_per_minute: float = 20.0

    def __post_init__(self) -> None:
        rates = (self.global_per_second, self.per_chat_per_second, self.per_group_per_minute)
        if min(rates) <= 0 or min(self.global_burst, self.per_chat_burst) < 1:
            raise ValueError("Flood rates must be positive and bursts at least 1")


@dataclass
class FloodError:
    """A call refused with 429 because a flood limit was reached (nothing was sent)."""

    method: str
    chat_id: int | None  # None for edits of inline messages, which only count globally
    retry_after: int
    time: int  # server clock, unix seconds


@dataclass
class _TokenBucket:
    """Up to `capacity` sends at once, refilled at `rate` per second."""

    rate: float
    capacity: float
    tokens: float
    updated: float

    def wait(self, now: float) -> float:
        """Seconds until one more send fits (0 when it fits now)."""
        self._refill(now)
        return max(0.0, (1 - self.tokens) / self.rate)

    def take(self, now: float) -> None:
        """Charge one send."""
        self._refill(now)
        self.tokens -= 1

    def _refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now


@dataclass
class Fault:
    """A failure armed with `inject_fault`; it hits the next `remaining` calls of `method`."""

    method: str  # lower-case Bot API method, or "*" for every method but getUpdates
    kind: FaultKind
    remaining: int
    delay: float

    def matches(self, method: str) -> bool:
        """Whether a call of `method` is hit ("*" spares getUpdates, so the bot still polls)."""
        if self.method == "*":
            return method.lower() != "getupdates"
        return self.method == method.lower()


@dataclass
class FiredFault:
    """A fault that hit a call, in `server.injected`."""

    method: str
    kind: FaultKind
    time: int  # server clock, unix seconds


@dataclass
class WebhookAttempt:
    """One POST of an update to the webhook; `error` is None when it was confirmed."""

    update_id: int
    error: str | None


@dataclass
class Webhook:
    """The webhook set with setWebhook, and how delivering to it went."""

    url: str
    secret_token: str | None
    max_connections: int
    attempts: list[WebhookAttempt] = field(default_factory=list)
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class InlineQuery:
    """What she typed after @bot; answerable once, within INLINE_QUERY_TIMEOUT."""

    id: str
    user: JSON
    query: str
    chat_type: str
    date: int


@dataclass
class InlineAnswer:
    """What answerInlineQuery showed above her keyboard.

    Each result is a dict: id, type, title, description, text (what the sent message or its
    caption shows), buttons (inline button texts), reply_markup, and message (the fields of the
    message choosing it sends, None for media results the fake cannot send).
    """

    query: InlineQuery
    results: list[JSON]
    cache_time: int
    is_personal: bool
    next_offset: str
    button: JSON | None


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
    sender: JSON | None = None  # who posted it in a group (else the chat's user, or the bot)
    reply_to: ChatMessage | None = None
    via_bot: bool = False  # sent by the user from the bot's inline results
    inline_message_id: str | None = None  # set for via-bot messages with an inline keyboard

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
        bot_user = self.chat.server.bot_user
        sender = bot_user if self.from_bot else self.sender or self.chat.user
        message: JSON = {
            "message_id": self.message_id,
            "from": sender,
            "chat": self.chat.to_api(),
            "date": self.date,
        }
        if self.reply_to is not None:  # Telegram does not nest replies any deeper
            replied = self.reply_to.to_api()
            replied.pop("reply_to_message", None)
            message["reply_to_message"] = replied
        if self.via_bot:
            message["via_bot"] = bot_user
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
    """A private chat (chat id == user id): visible messages and the shown reply keyboard.

    Private chats between two users (where inline results are sent) are ChatStates too, seen
    from the receiving side: `user` is the sender there.
    """

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

    @property
    def forbidden_reason(self) -> str:
        """Why sends fail with 403 once `blocked` is set."""
        return "Forbidden: bot was blocked by the user"

    def find(self, message_id: int) -> ChatMessage | None:
        """A visible message by id."""
        return next((m for m in self.messages if m.message_id == message_id), None)

    def bot_messages(self) -> list[ChatMessage]:
        """Visible messages from the bot, oldest first."""
        return [m for m in self.messages if m.from_bot]

    def last_bot_message(self) -> ChatMessage:
        """The newest visible bot message."""
        messages = self.bot_messages()
        if not messages:
            raise AssertionError(f"The bot has not said anything in chat {self.id}")
        return messages[-1]

    def add(self, from_bot: bool, kind: str, **fields: Any) -> ChatMessage:
        """Append a new message with the next per-chat id."""
        message = ChatMessage(
            self, self.next_message_id, from_bot, self.server.now(), kind, **fields
        )
        self.next_message_id += 1
        self.messages.append(message)
        return message


@dataclass(repr=False, eq=False)
class GroupChat(ChatState):
    """A group or supergroup the bot was added to; members post with `user.send_in_group`.

    `user` stays empty: every message names its own sender. Telegram gives groups negative
    ids and supergroups ids starting with -100.
    """

    chat_id: int = 0
    title: str = ""
    type: Literal["group", "supergroup"] = "supergroup"

    @property
    def id(self) -> int:
        """The (negative) chat id."""
        return self.chat_id

    @property
    def forbidden_reason(self) -> str:
        """Why sends fail with 403 once `blocked` is set (the bot was removed)."""
        return f"Forbidden: bot was kicked from the {self.type} chat"

    def to_api(self) -> JSON:
        """The Bot API `Chat` object."""
        return {"id": self.chat_id, "type": self.type, "title": self.title}


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
        self.chats: dict[int, ChatState] = {}  # private chats by user id, groups by their id
        self.dialogs: dict[tuple[int, int], ChatState] = {}  # (receiver, sender) user chats
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
        self.allowed_updates: frozenset[str] | None = None  # None: Telegram's default set
        self.flood_errors: list[FloodError] = []
        self.faults: list[Fault] = []  # armed, not yet fired
        self.injected: list[FiredFault] = []
        self.inline_feedback = False  # BotFather's /setinlinefeedback
        self.inline_answers: dict[str, InlineAnswer] = {}
        self.webhook: Webhook | None = None
        self.webhook_retry_delay = 0.2  # seconds before a failed delivery is retried
        self.webhook_timeout = 10.0  # seconds the webhook has to answer a POST
        self._limits: FloodLimits | None = None
        self._buckets: dict[int | None, _TokenBucket] = {}  # None: the bot-wide bucket
        self._pending: list[JSON] = []
        self._callbacks: dict[str, tuple[int, str | None]] = {}
        self._answered: set[str] = set()
        self._inline_queries: dict[str, InlineQuery] = {}
        self._inline_messages: dict[str, ChatMessage] = {}
        self._ids = itertools.count(1)
        self._new_update = asyncio.Event()
        self._confirmed = asyncio.Event()
        self._closing = asyncio.Event()
        self._webhook_task: asyncio.Task[None] | None = None
        self._runner: web.AppRunner | None = None
        self.url = ""
        self._methods: dict[str, Callable[[JSON], Any]] = {
            name.lower(): getattr(self, f"_api_{name}")
            for name in (
                "getMe", "logOut", "close", "setWebhook", "deleteWebhook", "getWebhookInfo",
                "getUpdates", "sendMessage", "editMessageText", "editMessageCaption",
                "editMessageReplyMarkup", "deleteMessage", "deleteMessages",
                "answerCallbackQuery", "answerInlineQuery", "sendLocation", "sendVenue",
                "sendDocument", "sendPhoto", "getFile", "setMyCommands", "getMyCommands",
                "deleteMyCommands", "setMyDescription", "getMyDescription",
                "setMyShortDescription", "getMyShortDescription", "setChatMenuButton",
                "getChatMenuButton", "sendChatAction", "copyMessage", "sendVoice",
                "sendVideoNote", "sendSticker", "sendVideo", "sendAudio", "sendAnimation",
                "sendContact",
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
        """Stop webhook delivery, release held long polls and slow answers, close the server."""
        self._closing.set()
        self._notify_updates()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
            self._webhook_task = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ---- clock, chats, updates -------------------------------------------------------------

    def now(self) -> int:
        """Server time (unix seconds), shifted by `advance()`."""
        return int(time.time() + self.clock_offset)

    def advance(self, delta: dtm.timedelta) -> None:
        """Move the server clock forward (past the 48 h deletion window, or to refill limits)."""
        self.clock_offset += delta.total_seconds()

    def open_chat(self, user: JSON) -> ChatState:
        """The private chat with `user` (created on first use)."""
        chat = self.chats.get(int(user["id"]))
        if chat is None:
            chat = self.chats[int(user["id"])] = ChatState(self, user)
        return chat

    def open_group(
        self, chat_id: int, title: str, kind: Literal["group", "supergroup"] | None = None
    ) -> GroupChat:
        """The group `chat_id` with the bot in it (created on first use).

        `kind` defaults to what the id says: -100… is a supergroup, other negative ids are
        basic groups. Adding the bot implies BotFather allowed it, so getMe then reports
        can_join_groups.
        """
        if chat_id >= 0:
            raise ValueError("Group chat ids are negative")
        chat = self.chats.get(chat_id)
        if chat is None:
            kind = kind or ("supergroup" if str(chat_id).startswith("-100") else "group")
            chat = self.chats[chat_id] = GroupChat(
                self, {}, chat_id=chat_id, title=title, type=kind
            )
            self.bot_user["can_join_groups"] = True
        if not isinstance(chat, GroupChat):
            raise ValueError(f"Chat {chat_id} is not a group")
        return chat

    def open_dialog(self, receiver: JSON, sender: JSON) -> ChatState:
        """The private chat between two users, as `receiver` sees it (the bot is not in it)."""
        key = (int(receiver["id"]), int(sender["id"]))
        chat = self.dialogs.get(key)
        if chat is None:
            chat = self.dialogs[key] = ChatState(self, sender)
        return chat

    def reads_group_message(self, message: ChatMessage) -> bool:
        """Whether privacy mode lets the bot see `message` in a group.

        With privacy mode on (can_read_all_group_messages false, BotFather's default) a bot
        gets commands (bare or addressed to it) and replies to its own messages, not chatter.
        """
        if self.bot_user["can_read_all_group_messages"]:
            return True
        if message.reply_to is not None and message.reply_to.from_bot:
            return True
        command = _BOT_COMMAND.match(message.plain_text)
        return command is not None and command[0].partition("@")[2] in ("", BOT_USERNAME)

    def push_update(self, kind: str, payload: JSON) -> int | None:
        """Queue an update and return its update_id.

        Like Telegram, an update of a kind the bot left out of its allowed_updates is never
        created: then nothing is queued and the result is None.
        """
        allowed = self.allowed_updates
        wanted = kind in allowed if allowed is not None else kind not in _OPT_IN_UPDATES
        return self.push_raw_update({kind: payload}) if wanted else None

    def push_raw_update(self, payload: JSON) -> int:
        """Queue an update exactly as given, plus a new update_id; returns that id.

        For updates PTB cannot parse (a `poll` without its fields, a kind it does not know):
        no checks, no allowed_updates filter.
        """
        if "update_id" in payload:
            raise ValueError("The server assigns update_id")
        self.last_update_id += 1
        self._pending.append({"update_id": self.last_update_id} | payload)
        self._notify_updates()
        return self.last_update_id

    def new_callback_query(self, user: JSON, message: ChatMessage, data: str | None) -> JSON:
        """A callback_query payload for a tap on `message`'s inline button.

        A message sent via the bot is not the bot's, so the query names it by
        inline_message_id instead of carrying it.
        """
        query_id = str(next(self._ids))
        self._callbacks[query_id] = (int(user["id"]), data)
        query: JSON = {"id": query_id, "from": user}
        if message.inline_message_id is not None:
            query["inline_message_id"] = message.inline_message_id
        else:
            query["message"] = message.to_api()
        return query | {"chat_instance": f"ci-{message.chat.id}", "data": data}

    def unanswered_callbacks(self) -> list[str]:
        """Callback query ids the bot never answered (the phone shows a spinner)."""
        return [qid for qid in self._callbacks if qid not in self._answered]

    def set_inline(self, enabled: bool = True, *, feedback: bool = False) -> None:
        """What BotFather's /setinline (and /setinlinefeedback) do: allow inline queries."""
        self.bot_user["supports_inline_queries"] = enabled
        self.inline_feedback = enabled and feedback

    def new_inline_query(self, user: JSON, query: str, chat_type: str, offset: str = "") -> str:
        """Queue an inline_query update from `user` and return the query id to answer."""
        inline = InlineQuery(str(next(self._ids)), user, query, chat_type, self.now())
        self._inline_queries[inline.id] = inline
        self.push_update(
            "inline_query",
            {"id": inline.id, "from": user, "query": query, "offset": offset,
             "chat_type": chat_type},
        )  # fmt: skip
        return inline.id

    def register_inline_message(self, message: ChatMessage) -> None:
        """Give a via-bot message the inline_message_id the bot edits it by."""
        message.inline_message_id = f"inline-{next(self._ids)}"
        self._inline_messages[message.inline_message_id] = message

    def store_file(self, kind: str, content: bytes, extension: str) -> StoredFile:
        """Keep bytes under a new file_id so getFile and the download route serve them."""
        n = next(self._ids)
        stored = StoredFile(f"{kind}-{n}", f"u{kind}{n}", f"{kind}s/file_{n}.{extension}", content)
        self.files[stored.file_id] = stored
        return stored

    # ---- what the bot did ----------------------------------------------------------------------

    def calls_to(self, method: str) -> list[JSON]:
        """Parameters of every call to `method` (case-insensitive), oldest first."""
        return [c.params for c in self.calls if c.method.lower() == method.lower()]

    def call_counts(self, exclude: Iterable[str] = ("getUpdates",)) -> Counter[str]:
        """How often each method was called (failed attempts included), e.g. to count sends."""
        skip = {method.lower() for method in exclude}
        return Counter(c.method for c in self.calls if c.method.lower() not in skip)

    def reset_calls(self) -> None:
        """Forget the recorded calls, to count only what comes next (chats stay as they are)."""
        self.calls.clear()

    # ---- network trouble -----------------------------------------------------------------------

    @property
    def limits(self) -> FloodLimits | None:
        """The flood limits in force (None: unlimited, the default)."""
        return self._limits

    @limits.setter
    def limits(self, limits: FloodLimits | None) -> None:
        self._limits = limits
        self._buckets.clear()  # new limits start with full buckets

    def inject_fault(
        self, method: str, kind: FaultKind, times: int = 1, delay: float = 0.0
    ) -> Fault:
        """Make the next `times` calls of `method` ("*": any but getUpdates) fail.

        "500"/"502": an error answer, nothing done. "reset": the connection drops without an
        answer, nothing done. "slow": the call is carried out but answered `delay` seconds
        late, so a client with a shorter read timeout gives up on a call that succeeded.
        """
        if kind not in ("500", "502", "reset", "slow"):
            raise ValueError(f"Unknown fault kind {kind!r}")
        if times < 1 or (kind == "slow") != (delay > 0):
            raise ValueError("times must be at least 1, and delay positive exactly for 'slow'")
        fault = Fault(method if method == "*" else method.lower(), kind, times, delay)
        self.faults.append(fault)
        return fault

    # ---- waiting -------------------------------------------------------------------------------

    async def wait_confirmed(self, update_id: int) -> None:
        """Return once the bot confirmed `update_id` (polled past it, or its webhook took it)."""
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

    async def _sleep_unless_closing(self, seconds: float) -> None:
        """Sleep, but wake up when the server stops so shutdown never waits on us."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._closing.wait()

    # ---- HTTP --------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        call = ApiCall(method, await self._read_params(request))
        self.calls.append(call)
        authorized = request.match_info["token"] == self.token
        fault = self._take_fault(method) if authorized else None
        if fault is not None and fault.kind == "reset":
            if request.transport is not None:
                request.transport.abort()
            return web.Response()  # never written: the connection is gone
        try:
            if not authorized:
                raise ApiError(401, "Unauthorized")
            if fault is not None and fault.kind in _FAULT_ERRORS:
                raise ApiError(*_FAULT_ERRORS[fault.kind])
            result = await self._dispatch(call)
        except ApiError as exc:
            self.api_errors.append((call, exc.description))
            response = web.json_response(exc.to_api(), status=exc.code)
        else:
            response = web.json_response({"ok": True, "result": result})
        if fault is not None and fault.kind == "slow":
            await self._sleep_unless_closing(fault.delay)
        return response

    async def _dispatch(self, call: ApiCall) -> Any:
        """Run one API method; a send or edit is charged to the flood limits once it succeeds."""
        handler = self._methods.get(call.method.lower())
        if handler is None:
            self.unknown_methods.append(call.method)
            raise ApiError(404, "Not Found: method not found")
        buckets = self._throttle(call)
        result = handler(call.params)
        if isinstance(result, Awaitable):
            result = await result
        now = self._flood_clock()
        for bucket in buckets:
            bucket.take(now)
        return result

    def _take_fault(self, method: str) -> Fault | None:
        """The first armed fault for `method`, used up by this call and recorded as fired."""
        fault = next((f for f in self.faults if f.matches(method)), None)
        if fault is None:
            return None
        fault.remaining -= 1
        if not fault.remaining:
            self.faults.remove(fault)
        self.injected.append(FiredFault(method, fault.kind, self.now()))
        return fault

    def _flood_clock(self) -> float:
        """Monotonic, so a wall-clock jump cannot refill a bucket; `advance()` still can."""
        return time.monotonic() + self.clock_offset

    def _throttle(self, call: ApiCall) -> list[_TokenBucket]:
        """Refuse a send with Telegram's 429 while a bucket is empty; else the buckets to charge."""
        limits = self._limits
        if limits is None or call.method.lower() not in _FLOOD_METHODS:
            return []
        buckets = [self._bucket(None, limits.global_per_second, limits.global_burst)]
        chat_id = None
        if "chat_id" in call.params and "inline_message_id" not in call.params:
            chat_id = int(call.params["chat_id"])
            rate = limits.per_group_per_minute / 60 if chat_id < 0 else limits.per_chat_per_second
            buckets.append(self._bucket(chat_id, rate, limits.per_chat_burst))
        now = self._flood_clock()
        wait = max(bucket.wait(now) for bucket in buckets)
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            self.flood_errors.append(FloodError(call.method, chat_id, retry_after, self.now()))
            raise ApiError(
                429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
            )
        return buckets

    def _bucket(self, key: int | None, rate: float, burst: int) -> _TokenBucket:
        """The bucket of a chat (None: the whole bot); a new one starts full."""
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _TokenBucket(rate, burst, burst, self._flood_clock())
        return bucket

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

    # ---- webhook delivery ----------------------------------------------------------------------

    async def _deliver_webhook_updates(self) -> None:
        """POST pending updates to the webhook one at a time, in order, until it is deleted.

        Only a 2xx answer confirms an update; anything else leaves it first in the queue, to
        be retried after `webhook_retry_delay`, and shows up in getWebhookInfo.
        """
        timeout = aiohttp.ClientTimeout(total=self.webhook_timeout)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while (webhook := self.webhook) is not None and not self._closing.is_set():
                if not self._pending:
                    await self._new_update.wait()  # also set by setWebhook/deleteWebhook/stop
                    continue
                update = self._pending[0]
                error = await self._post_update(session, webhook, update)
                webhook.attempts.append(WebhookAttempt(update["update_id"], error))
                if error is None:
                    self._confirm(update["update_id"] + 1)
                else:
                    webhook.last_error_date, webhook.last_error_message = self.now(), error
                    await self._sleep_unless_closing(self.webhook_retry_delay)

    @staticmethod
    async def _post_update(
        session: aiohttp.ClientSession, webhook: Webhook, update: JSON
    ) -> str | None:
        """POST one update; None when the webhook took it, else Telegram's wording of the error."""
        headers = {}
        if webhook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = webhook.secret_token
        try:
            async with session.post(webhook.url, json=update, headers=headers, ssl=False) as reply:
                if 200 <= reply.status <= 299:
                    return None
                return f"Wrong response from the webhook: {reply.status} {reply.reason}"
        except TimeoutError:
            return "Read timeout expired"
        except aiohttp.ClientConnectorError:
            return "Connection refused"
        except aiohttp.ClientError:
            return "Webhook connection closed"

    # ---- helpers for API methods -------------------------------------------------------------

    def _chat(self, params: JSON) -> ChatState:
        chat = self.chats.get(int(params.get("chat_id", 0)))
        if chat is None:
            raise bad_request("chat not found")
        if chat.blocked:
            raise ApiError(403, chat.forbidden_reason)
        return chat

    def _message(self, params: JSON, action: str) -> ChatMessage:
        message = self._chat(params).find(int(params.get("message_id", 0)))
        if message is None:
            raise bad_request(f"message to {action} not found")
        return message

    def _editable(self, params: JSON) -> ChatMessage:
        """What an edit method targets: a bot message, or one sent via the bot (inline)."""
        if "inline_message_id" in params:
            message = self._inline_messages.get(str(params["inline_message_id"]))
            if message is None:
                raise bad_request("MESSAGE_ID_INVALID")
            return message
        message = self._message(params, "edit")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        return message

    @staticmethod
    def _formatted(params: JSON, key: str) -> tuple[str, list[JSON]]:
        """(shown text, entities) of `params[key]`: parsed HTML, or the entities given."""
        text = str(params.get(key) or "")
        if str(params.get("parse_mode") or "").lower() == "html":
            return render_html(text)
        return text, list(params.get("caption_entities" if key == "caption" else "entities", []))

    def _render(self, params: JSON, key: str, limit: int) -> tuple[str, list[JSON]]:
        shown, entities = self._formatted(params, key)
        if len(shown) > limit:
            raise bad_request(
                "message is too long" if key == "text" else "message caption is too long"
            )
        return shown, entities

    @staticmethod
    def _check_markup(markup: JSON | None) -> None:
        for row in (markup or {}).get("inline_keyboard", []):
            for button in row:
                if not any(action in button for action in _INLINE_BUTTON_ACTIONS):
                    raise bad_request(
                        "can't parse inline keyboard button: "
                        "Text buttons are unallowed in the inline keyboard"
                    )
                if "callback_data" in button:
                    size = len(str(button["callback_data"]).encode())
                    if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
                        raise bad_request("BUTTON_DATA_INVALID")
                if "url" in button:
                    _check_button_url(str(button["url"]))
        for row in (markup or {}).get("keyboard", []):
            for button in row:
                if not (button if isinstance(button, str) else button.get("text")):
                    raise bad_request("keyboard button text is empty")

    def _send(self, params: JSON, kind: str, **fields: Any) -> JSON:
        chat = self._chat(params)
        markup = params.get("reply_markup")
        self._check_markup(markup)
        reply_to = self._replied(chat, params)
        message = chat.add(
            True, kind, reply_markup=markup, params=params, reply_to=reply_to, **fields
        )
        if markup and "keyboard" in markup:
            chat.reply_keyboard, chat.reply_keyboard_message_id = markup, message.message_id
        elif markup and markup.get("remove_keyboard"):
            chat.reply_keyboard = chat.reply_keyboard_message_id = None
        return message.to_api()

    @staticmethod
    def _replied(chat: ChatState, params: JSON) -> ChatMessage | None:
        """The message a send quotes (reply_parameters or the older reply_to_message_id)."""
        reply = params.get("reply_parameters") or {}
        message_id = reply.get("message_id", params.get("reply_to_message_id"))
        if message_id is None:
            return None
        replied = chat.find(int(message_id))
        allow_missing = reply.get(
            "allow_sending_without_reply", params.get("allow_sending_without_reply")
        )
        if replied is None and not allow_missing:
            raise bad_request("message to be replied not found")
        return replied

    def _edit(self, message: ChatMessage, params: JSON, key: str, limit: int) -> JSON | bool:
        """Replace the text (key "text") or caption of `message` and its inline keyboard."""
        shown, entities = self._render(params, key, limit)
        if key == "text" and not shown.strip():
            raise bad_request("message text is empty")
        markup = params.get("reply_markup")  # omitted => the inline keyboard is removed
        self._check_markup(markup)
        if (shown, entities, markup) == (
            message.plain_text,
            message.entities,
            message.reply_markup,
        ):
            raise bad_request(_NOT_MODIFIED)
        message.history.append(message.plain_text)
        message.text, message.plain_text, message.entities = params.get(key), shown, entities
        message.parse_mode, message.reply_markup = params.get("parse_mode"), markup
        message.edit_date = self.now()
        return True if message.inline_message_id is not None else message.to_api()

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

    def _api_setWebhook(self, params: JSON) -> bool:
        if params.get("drop_pending_updates"):
            self._confirm(self.last_update_id + 1)
        url = str(params.get("url") or "")
        if not url:  # Telegram treats an empty URL as deleteWebhook
            return self._api_deleteWebhook({})
        try:
            parts = urlsplit(url if "://" in url else f"https://{url}")
        except ValueError:
            raise bad_request("invalid webhook URL specified") from None
        if parts.scheme.lower() not in ("http", "https"):  # http too: tests cannot do TLS
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if parts.hostname not in _LOOPBACK_HOSTS:
            raise bad_request("bad webhook: the fake Bot API only delivers to loopback addresses")
        secret = str(params.get("secret_token") or "")
        if len(secret) > 256:
            raise bad_request("secret token is too long")
        if not _SECRET_TOKEN.fullmatch(secret):
            raise bad_request("secret token contains unallowed characters")
        self._set_allowed_updates(params)
        max_connections = min(100, max(1, int(params.get("max_connections") or 40)))
        self.webhook = Webhook(url, secret or None, max_connections)
        self._notify_updates()  # ends a held getUpdates with 409, wakes a running delivery
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.create_task(self._deliver_webhook_updates())
        return True

    def _api_deleteWebhook(self, params: JSON) -> bool:
        if params.get("drop_pending_updates"):
            self._confirm(self.last_update_id + 1)
        self.webhook = None
        self._notify_updates()  # the delivery task sees it and ends
        return True

    def _api_getWebhookInfo(self, params: JSON) -> JSON:
        info: JSON = {
            "url": "", "has_custom_certificate": False, "pending_update_count": len(self._pending)
        }  # fmt: skip
        webhook = self.webhook
        if webhook is None:
            return info
        info |= {
            "url": webhook.url, "max_connections": webhook.max_connections,
            "ip_address": "127.0.0.1",
        }  # fmt: skip
        if webhook.last_error_date is not None:
            info["last_error_date"] = webhook.last_error_date
            info["last_error_message"] = webhook.last_error_message
        if self.allowed_updates is not None:
            info["allowed_updates"] = sorted(self.allowed_updates)
        return info

    def _set_allowed_updates(self, params: JSON) -> None:
        """Absent keeps the previous choice; an empty list restores Telegram's default."""
        allowed = params.get("allowed_updates")
        if allowed is not None:
            self.allowed_updates = frozenset(allowed) or None

    async def _api_getUpdates(self, params: JSON) -> list[JSON]:
        if self.webhook is not None:
            raise ApiError(409, _WEBHOOK_ACTIVE)
        self._set_allowed_updates(params)
        offset = int(params.get("offset") or 0)
        if offset > 0:
            self._confirm(offset)
        timeout = float(params.get("timeout") or 0)
        limit = int(params.get("limit") or 100)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while not (self._pending or self._closing.is_set() or self.webhook):
                    await self._new_update.wait()
        if self.webhook is not None:
            raise ApiError(409, "Conflict: terminated by setWebhook request")
        return [] if self._closing.is_set() else self._pending[:limit]

    def _api_sendMessage(self, params: JSON) -> JSON:
        shown, entities = self._render(params, "text", MAX_TEXT)
        if not shown.strip():
            raise bad_request("message text is empty")
        return self._send(
            params, "text", text=params["text"], plain_text=shown, entities=entities,
            parse_mode=params.get("parse_mode"),
        )  # fmt: skip

    def _api_editMessageText(self, params: JSON) -> JSON | bool:
        message = self._editable(params)
        if message.kind != "text":
            raise bad_request("there is no text in the message to edit")
        return self._edit(message, params, "text", MAX_TEXT)

    def _api_editMessageCaption(self, params: JSON) -> JSON | bool:
        message = self._editable(params)
        if message.kind not in _CAPTIONED:
            raise bad_request("there is no caption in the message to edit")
        return self._edit(message, params, "caption", MAX_CAPTION)

    def _api_editMessageReplyMarkup(self, params: JSON) -> JSON | bool:
        message = self._editable(params)
        markup = params.get("reply_markup")
        self._check_markup(markup)
        if markup == message.reply_markup:
            raise bad_request(_NOT_MODIFIED)
        message.reply_markup, message.edit_date = markup, self.now()
        return True if message.inline_message_id is not None else message.to_api()

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
            raise bad_request(QUERY_TOO_OLD)
        self._answered.add(query_id)
        user_id, data = self._callbacks[query_id]
        self.callback_answers.append(
            CallbackAnswer(
                user_id, data, params.get("text"), bool(params.get("show_alert")),
                params.get("url"),
            )
        )  # fmt: skip
        return True

    def _api_answerInlineQuery(self, params: JSON) -> bool:
        query = self._inline_queries.get(str(params.get("inline_query_id")))
        too_late = self.now() - INLINE_QUERY_TIMEOUT.total_seconds()
        if query is None or query.id in self.inline_answers or query.date <= too_late:
            raise bad_request(QUERY_TOO_OLD)
        button = self._inline_results_button(params.get("button"))
        results = params.get("results") or []
        if not isinstance(results, list):
            raise bad_request("Expected an Array of inline query results")
        if len(results) > MAX_INLINE_RESULTS:
            raise bad_request("Too many inline query results specified")
        parsed = [self._inline_result(result) for result in results]
        ids = [result["id"] for result in parsed]
        if len(set(ids)) < len(ids):
            raise bad_request("RESULT_ID_DUPLICATE")
        next_offset = str(params.get("next_offset") or "")
        if len(next_offset.encode()) > MAX_INLINE_ID_BYTES:
            raise bad_request("NEXT_OFFSET_INVALID")
        self.inline_answers[query.id] = InlineAnswer(
            query, parsed, int(params.get("cache_time", 300)),
            bool(params.get("is_personal")), next_offset, button,
        )  # fmt: skip
        return True

    @staticmethod
    def _inline_results_button(button: Any) -> JSON | None:
        """The button above the results: it opens the bot with a /start parameter, or a web app."""
        if button is None:
            return None
        prefix = "Can't parse inline query results button: "
        if not isinstance(button, dict):
            raise bad_request(f"{prefix}InlineQueryResultsButton must be an Object")
        if "text" not in button:
            raise bad_request(f'{prefix}Can\'t find field "text"')
        if "start_parameter" in button:
            parameter = str(button["start_parameter"])
            if not parameter:
                raise bad_request("START_PARAM_EMPTY")
            if not _START_PARAMETER.fullmatch(parameter):
                raise bad_request("START_PARAM_INVALID")
        elif "web_app" not in button:
            raise bad_request(
                f"{prefix}InlineQueryResultsButton must have exactly one optional field"
            )
        return button

    def _inline_result(self, result: Any) -> JSON:
        """Check one InlineQueryResult like Telegram and return what the phone shows for it."""
        if not isinstance(result, dict):
            raise _inline_result_error("Inline query result must be an object")
        kind = str(result.get("type", "")).lower()
        if kind not in _INLINE_RESULT_FIELDS:
            raise _inline_result_error(f'type "{kind}" is unsupported for the inline query result')
        for required in ("id", *_INLINE_RESULT_FIELDS[kind]):
            alternatives = required.split("|")
            if not any(name in result for name in alternatives):
                raise _inline_result_error(f'Can\'t find field "{alternatives[-1]}"')
        result_id = str(result["id"])
        if not 1 <= len(result_id.encode()) <= MAX_INLINE_ID_BYTES:
            raise bad_request("RESULT_ID_INVALID")
        message = self._inline_message(kind, result)
        caption, _ = self._inline_formatted(result, "caption")
        markup = result.get("reply_markup")
        if markup is not None and "inline_keyboard" not in markup:
            raise bad_request("REPLY_MARKUP_INVALID")
        self._check_markup(markup)
        buttons = [b["text"] for row in (markup or {}).get("inline_keyboard", []) for b in row]
        return {
            "id": result_id, "type": kind, "title": result.get("title"),
            "description": result.get("description"),
            "text": message["plain_text"] if message else caption, "buttons": buttons,
            "reply_markup": markup, "message": message,
        }  # fmt: skip

    def _inline_message(self, kind: str, result: JSON) -> JSON | None:
        """The message choosing `result` sends, as ChatMessage fields (None: a media message)."""
        content = result.get("input_message_content")
        if content is None:
            if kind == "article":
                raise _inline_result_error('Can\'t find field "message_text"')
            content = result if kind in ("location", "venue") else None
        if content is None:
            return None
        if content.get("message_text"):
            shown, entities = self._inline_formatted(content, "message_text")
            if not shown.strip():
                raise bad_request("MESSAGE_EMPTY")
            if len(shown) > MAX_TEXT:
                raise bad_request("MESSAGE_TOO_LONG")
            return {
                "kind": "text", "text": content["message_text"], "plain_text": shown,
                "entities": entities, "parse_mode": content.get("parse_mode"),
            }  # fmt: skip
        if "latitude" in content and "longitude" in content:
            location = {"latitude": content["latitude"], "longitude": content["longitude"]}
            if "title" in content and "address" in content:
                venue = {"location": location} | {k: content[k] for k in ("title", "address")}
                shown = f"{content['title']}\n{content['address']}"
                return {"kind": "venue", "location": location, "venue": venue, "plain_text": shown}
            return {"kind": "location", "location": location, "plain_text": ""}
        raise _inline_result_error("Input message content is not specified")

    def _inline_formatted(self, source: JSON, key: str) -> tuple[str, list[JSON]]:
        """`_formatted` for a part of an inline result, whose parse errors name the result."""
        try:
            return self._formatted(source, key)
        except ApiError as exc:
            raise _inline_result_error(exc.description.removeprefix("Bad Request: ")) from None

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

    def _send_media(self, params: JSON, kind: str, **extra: Any) -> JSON:
        """A voice note, video, audio, animation (captioned) or a video note, sticker (not),
        sent by upload or by the file_id of a file Telegram already has."""
        stored = self._upload(params, kind, kind)
        media = {kind: stored.to_api(**extra)}
        if kind not in _CAPTIONED:
            return self._send(params, kind, media=media)
        shown, entities = self._render(params, "caption", MAX_CAPTION)
        return self._send(
            params, kind, text=params.get("caption"), plain_text=shown, entities=entities,
            media=media,
        )  # fmt: skip

    def _api_sendVoice(self, params: JSON) -> JSON:
        return self._send_media(params, "voice", duration=3, mime_type="audio/ogg")

    def _api_sendVideoNote(self, params: JSON) -> JSON:
        return self._send_media(params, "video_note", duration=5, length=240)

    def _api_sendSticker(self, params: JSON) -> JSON:
        extra = {"type": "regular", "width": 512, "height": 512, "is_animated": False,
                 "is_video": False}  # fmt: skip
        return self._send_media(params, "sticker", **extra)

    def _api_sendVideo(self, params: JSON) -> JSON:
        return self._send_media(params, "video", width=640, height=480, duration=5)

    def _api_sendAudio(self, params: JSON) -> JSON:
        return self._send_media(params, "audio", duration=60)

    def _api_sendAnimation(self, params: JSON) -> JSON:
        return self._send_media(params, "animation", width=320, height=240, duration=2)

    def _api_sendContact(self, params: JSON) -> JSON:
        contact = {"phone_number": str(params["phone_number"]),
                   "first_name": str(params["first_name"])}  # fmt: skip
        if params.get("last_name"):
            contact["last_name"] = str(params["last_name"])
        return self._send(params, "contact", media={"contact": contact})

    def _api_copyMessage(self, params: JSON) -> JSON:
        """A copy of a message, without any link to the original (no forward origin): text
        with its entities, media with its caption or the new one (≤ 1024 characters; kinds
        without a caption refuse one). Returns only the new MessageId, as Telegram does."""
        source = self.chats.get(int(params.get("from_chat_id", 0)))
        original = source.find(int(params.get("message_id", 0))) if source else None
        if original is None:
            raise bad_request("message to copy not found")
        if original.kind in ("service", "invoice", "game"):
            raise bad_request("message can't be copied")
        fields: JSON = {"media": dict(original.media) if original.media else None,
                        "location": original.location, "venue": original.venue}  # fmt: skip
        if original.kind == "text":
            fields |= {"text": original.plain_text, "plain_text": original.plain_text,
                       "entities": list(original.entities)}  # fmt: skip
        elif "caption" in params:
            if original.kind not in _CAPTIONED:
                raise bad_request("message can't have a caption")
            shown, entities = self._render(params, "caption", MAX_CAPTION)
            fields |= {"text": params.get("caption"), "plain_text": shown, "entities": entities}
        elif original.text is not None:
            fields |= {"text": original.text, "plain_text": original.plain_text,
                       "entities": list(original.entities)}  # fmt: skip
        else:
            fields["plain_text"] = original.plain_text
        copied = self._send(params, original.kind, **fields)
        return {"message_id": copied["message_id"]}

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
    """A person in a private chat with the bot, who may also post in groups and use inline mode.

    Every action that reaches the bot waits until the bot is done (unless wait=False).
    """

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
        self.inline_switches: list[tuple[str, str]] = []  # (button kind, query) she was taken to

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

    async def send(
        self, text: str, *, reply_to: ChatMessage | None = None, wait: bool = True
    ) -> ChatMessage:
        """Type and send a text (as a reply to `reply_to`, a message of this chat); a leading
        "/command" gets its bot_command entity."""
        entities = command_entities(text)
        return await self._post(
            "text", wait, text=text, plain_text=text, entities=entities, reply_to=reply_to
        )

    async def send_in_group(
        self,
        group: GroupChat,
        text: str,
        *,
        reply_to: ChatMessage | None = None,
        wait: bool = True,
    ) -> ChatMessage:
        """Post a text in `group`.

        The bot gets it only when privacy mode lets it (`FakeTelegramServer.reads_group_message`).
        """
        message = group.add(
            False, "text", text=text, plain_text=text, entities=command_entities(text),
            sender=self.to_api(), reply_to=reply_to,
        )  # fmt: skip
        if self.server.reads_group_message(message):
            self.server.push_update("message", message.to_api())
            await self.harness.after_action(wait)
        return message

    async def tap_in_group(self, group: GroupChat, text: str, *, wait: bool = True) -> None:
        """Tap the inline button `text` on the newest bot message in `group` that has it."""
        for message in reversed(group.bot_messages()):
            if text in message.buttons:
                await self.tap_in(message, text, wait=wait)
                return
        raise AssertionError(f"No bot message in {group.title!r} has a button {text!r}")

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
        """Tap the inline button `text` on a specific (possibly older) message.

        A message id means her chat with the bot; a ChatMessage may be in any chat she sees
        (a group, or a chat where someone sent her a message via the bot). Link and
        switch-inline buttons only take the phone elsewhere: see `opened_urls` and
        `inline_switches`.
        """
        chat = self.chat_state if isinstance(message, int) else message.chat
        message_id = message if isinstance(message, int) else message.message_id
        shown = chat.find(message_id)
        if shown is None:
            raise AssertionError(f"Message #{message_id} is not in the chat any more")
        button = next((b for row in shown.inline_keyboard for b in row if b["text"] == text), None)
        if button is None:
            raise AssertionError(f"No button {text!r} on {shown!r}; it has {shown.buttons}")
        if "url" in button:
            self.opened_urls.append(button["url"])
            return
        switch = next((kind for kind in _SWITCH_INLINE if kind in button), None)
        if switch is not None:
            target = button[switch]  # switch_inline_query_chosen_chat holds an object
            query = target.get("query", "") if isinstance(target, dict) else target
            self.inline_switches.append((switch, query))
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
        self,
        content: bytes = b"OggS fake",
        duration: int = 3,
        *,
        reply_to: ChatMessage | None = None,
        wait: bool = True,
    ) -> ChatMessage:
        """Send a voice note (as a reply to `reply_to`, a message of this chat)."""
        stored = self.server.store_file("voice", content, "oga")
        voice = stored.to_api(duration=duration, mime_type="audio/ogg")
        return await self._post("voice", wait, media={"voice": voice}, reply_to=reply_to)

    async def send_video_note(
        self,
        content: bytes = b"mp4 fake",
        *,
        reply_to: ChatMessage | None = None,
        wait: bool = True,
    ) -> ChatMessage:
        """Send a round video message (no caption possible)."""
        stored = self.server.store_file("video_note", content, "mp4")
        note = stored.to_api(duration=5, length=240)
        return await self._post("video_note", wait, media={"video_note": note}, reply_to=reply_to)

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

    # ---- inline mode ---------------------------------------------------------------------------

    async def inline_query(
        self, query: str, chat_type: str = "sender", *, offset: str = "", wait: bool = True
    ) -> str:
        """Type "@bot query" in a chat of `chat_type`; returns the query id the bot answers.

        "sender" is her own chat with the bot; `offset` is the next_offset of the previous
        answer when she scrolls down for more results.
        """
        if not self.server.bot_user["supports_inline_queries"]:
            raise AssertionError("Inline mode is off: call server.set_inline() first")
        if chat_type not in _INLINE_CHAT_TYPES:
            raise AssertionError(f"chat_type must be one of {sorted(_INLINE_CHAT_TYPES)}")
        query_id = self.server.new_inline_query(self.to_api(), query, chat_type, offset)
        await self.harness.after_action(wait)
        return query_id

    def inline_results(self, query_id: str) -> list[JSON]:
        """The results the bot showed for her inline query (see InlineAnswer for the keys)."""
        answer = self.server.inline_answers.get(query_id)
        if answer is None:
            raise AssertionError(f"The bot did not answer inline query {query_id}")
        return answer.results

    async def choose_inline_result(
        self,
        query_id: str,
        result_id: str,
        into_chat_with: TelegramUser | None = None,
        *,
        wait: bool = True,
    ) -> ChatMessage:
        """Tap a result: it is sent, from her via the bot, into her chat with `into_chat_with`.

        Without `into_chat_with` it goes into her own chat with the bot, which then gets it
        as a message. Elsewhere the bot is not in the chat and sees only chosen_inline_result,
        when inline feedback is on. With an inline keyboard the message gets an
        inline_message_id, which the bot edits it by and its button taps carry.
        """
        result = next((r for r in self.inline_results(query_id) if r["id"] == result_id), None)
        if result is None:
            raise AssertionError(f"Inline query {query_id} has no result {result_id!r}")
        if result["message"] is None:
            raise AssertionError(f"The fake user cannot send a {result['type']} result")
        fields = dict(result["message"])
        kind = fields.pop("kind")
        if into_chat_with is None:
            chat = self.chat_state
        else:
            chat = self.server.open_dialog(into_chat_with.to_api(), self.to_api())
        message = chat.add(False, kind, reply_markup=result["reply_markup"], via_bot=True, **fields)
        if result["reply_markup"] is not None:
            self.server.register_inline_message(message)
        pushed = False
        if into_chat_with is None:
            pushed = self.server.push_update("message", message.to_api()) is not None
        if self.server.inline_feedback:
            chosen: JSON = {"result_id": result_id, "from": self.to_api()}
            chosen["query"] = self.server.inline_answers[query_id].query.query
            if message.inline_message_id is not None:
                chosen["inline_message_id"] = message.inline_message_id
            pushed = self.server.push_update("chosen_inline_result", chosen) is not None or pushed
        if pushed:
            await self.harness.after_action(wait)
        return message

    # ---- reading the phone ---------------------------------------------------------------------

    @property
    def chat(self) -> list[ChatMessage]:
        """Visible messages, oldest first (hers and the bot's)."""
        return list(self.chat_state.messages)

    def bot_messages(self) -> list[ChatMessage]:
        """Visible messages from the bot, oldest first."""
        return self.chat_state.bot_messages()

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

    def chat_with(self, other: TelegramUser) -> list[ChatMessage]:
        """What `other` sent her in their private chat (inline results via the bot)."""
        return list(self.server.open_dialog(self.to_api(), other.to_api()).messages)


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

    def group(
        self, chat_id: int, title: str, kind: Literal["group", "supergroup"] | None = None
    ) -> GroupChat:
        """A group with the bot in it, where users post with `send_in_group`."""
        return self.server.open_group(chat_id, title, kind)

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
