"""Self-tests of the fake Bot API's network behaviour: flood limits, injected faults, raw
updates, webhooks and call accounting, driven through PTB's Bot and plain HTTP."""

from __future__ import annotations

import asyncio
import datetime as dtm
import socket
import time
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from telegram import Bot, ReplyKeyboardMarkup
from telegram.error import BadRequest, Conflict, NetworkError, RetryAfter, TimedOut
from telegram.request import HTTPXRequest

from tests.fake_telegram import FakeTelegramServer, FloodLimits, TelegramHarness, TelegramUser

JSON = dict[str, Any]
SECOND = dtm.timedelta(seconds=1)


@pytest.fixture
async def tg() -> AsyncIterator[TelegramHarness]:
    """A fake server with no application: the tests call the API themselves."""
    async with TelegramHarness() as harness:
        yield harness


def chatting(tg: TelegramHarness, user_id: int, first_name: str = "Aigerim") -> TelegramUser:
    """A user who has started the bot, so that it may write to her."""
    user = tg.user(user_id, first_name)
    tg.server.open_chat(user.to_api())
    return user


def bot_for(server: FakeTelegramServer, read_timeout: float = 5.0) -> Bot:
    """A PTB Bot talking to the fake server."""
    return Bot(
        server.token,
        base_url=f"{server.url}/bot{{token}}",
        request=HTTPXRequest(read_timeout=read_timeout),
    )


async def raw_call(server: FakeTelegramServer, method: str, **params: Any) -> tuple[int, JSON]:
    """Status and JSON body of one API call, to check the exact wire format."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{server.url}/bot{server.token}/{method}", json=params) as response,
    ):
        return response.status, await response.json()


# ---- flood limits ----------------------------------------------------------------------------


async def test_flood_limit_per_chat_fails_like_telegram(tg: TelegramHarness) -> None:
    server = tg.server
    user, other = chatting(tg, 1), chatting(tg, 2, "Dana")
    server.limits = FloodLimits(per_chat_per_second=1.0, per_chat_burst=2)
    async with bot_for(server) as bot:
        first = await bot.send_message(user.id, "one")
        await bot.send_message(user.id, "two")
        with pytest.raises(RetryAfter) as refused:
            await bot.send_message(user.id, "three")
        assert refused.value.retry_after == SECOND
        status, body = await raw_call(server, "sendMessage", chat_id=user.id, text="four")
        assert (status, body) == (
            429,
            {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 1",
                "parameters": {"retry_after": 1},
            },
        )
        assert user.texts() == ["one", "two"]  # nothing was sent
        await bot.send_message(other.id, "another chat has its own bucket")
        # Not counted: answers, reads, deletes and profile calls.
        await bot.delete_message(user.id, first.message_id)
        await bot.get_me()
        await bot.set_my_description("x")
        await bot.get_my_commands()
        server.advance(SECOND)  # one token back
        await bot.send_message(user.id, "after a second")
        with pytest.raises(RetryAfter):
            await bot.send_message(user.id, "but only one")
    assert [(e.method, e.chat_id, e.retry_after) for e in server.flood_errors] == [
        ("sendMessage", user.id, 1),
        ("sendMessage", user.id, 1),
        ("sendMessage", user.id, 1),
    ]


async def test_flood_retry_after_counts_down_like_a_token_bucket(tg: TelegramHarness) -> None:
    user = chatting(tg, 1)
    tg.server.limits = FloodLimits(per_chat_per_second=0.1, per_chat_burst=1)
    async with bot_for(tg.server) as bot:
        sent = await bot.send_message(user.id, "one")
        with pytest.raises(RetryAfter) as refused:
            await bot.edit_message_text("edited", user.id, sent.message_id)  # edits count
        assert refused.value.retry_after == 10 * SECOND
        tg.server.advance(4.5 * SECOND)
        with pytest.raises(RetryAfter) as refused:
            await bot.send_location(user.id, 43.2, 76.9)
        assert refused.value.retry_after == 6 * SECOND  # 5.5 s rounded up, not a new window
        tg.server.advance(6 * SECOND)
        await bot.edit_message_text("edited", user.id, sent.message_id)
    assert user.texts() == ["edited"]


async def test_flood_limit_for_the_whole_bot(tg: TelegramHarness) -> None:
    users = [chatting(tg, n, f"User {n}") for n in (1, 2, 3)]
    tg.server.limits = FloodLimits(global_per_second=2.0, global_burst=2)
    async with bot_for(tg.server) as bot:
        await bot.send_message(users[0].id, "a")
        await bot.send_message(users[1].id, "b")
        with pytest.raises(RetryAfter):
            await bot.send_message(users[2].id, "c")
    assert users[2].texts() == []
    tg.server.limits = None  # lifting the limits lets everything through again
    async with bot_for(tg.server) as bot:
        for _ in range(5):
            await bot.send_message(users[2].id, "c")
    assert len(users[2].texts()) == 5


def test_flood_limits_reject_nonsense() -> None:
    with pytest.raises(ValueError, match="positive"):
        FloodLimits(per_chat_per_second=0)
    with pytest.raises(ValueError, match="at least 1"):
        FloodLimits(per_chat_burst=0)


# ---- injected faults -------------------------------------------------------------------------


async def test_fault_500_and_502_do_nothing(tg: TelegramHarness) -> None:
    user = chatting(tg, 1)
    tg.server.inject_fault("SendMessage", "500")  # method names are case-insensitive
    tg.server.inject_fault("sendMessage", "502")
    status, body = await raw_call(tg.server, "sendMessage", chat_id=user.id, text="lost")
    assert (status, body) == (
        500,
        {"ok": False, "error_code": 500, "description": "Internal Server Error"},
    )
    async with bot_for(tg.server) as bot:
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await bot.send_message(user.id, "lost too")
        await bot.send_message(user.id, "delivered")  # the faults are used up
    assert user.texts() == ["delivered"]
    assert [(f.method, f.kind) for f in tg.server.injected] == [
        ("sendMessage", "500"),
        ("sendMessage", "502"),
    ]
    assert tg.server.faults == []


async def test_fault_reset_drops_the_connection(tg: TelegramHarness) -> None:
    user = chatting(tg, 1)
    tg.server.inject_fault("sendMessage", "reset", times=2)
    async with bot_for(tg.server) as bot:
        with pytest.raises(NetworkError, match="RemoteProtocolError"):
            await bot.send_message(user.id, "lost")
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await raw_call(tg.server, "sendMessage", chat_id=user.id, text="lost")
        await bot.send_message(user.id, "delivered")
    assert user.texts() == ["delivered"]


async def test_fault_slow_delivers_but_the_client_times_out(tg: TelegramHarness) -> None:
    user = chatting(tg, 1)
    tg.server.inject_fault("sendMessage", "slow", delay=1.0)
    async with bot_for(tg.server, read_timeout=0.2) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(user.id, "arrived anyway")
        assert user.texts() == ["arrived anyway"]  # a retry would send it twice
        await bot.send_message(user.id, "fast again")


async def test_star_fault_spares_get_updates(tg: TelegramHarness) -> None:
    async with bot_for(tg.server) as bot:
        tg.server.inject_fault("*", "500")
        assert await bot.get_updates(timeout=0) == ()
        with pytest.raises(NetworkError, match="Internal Server Error"):
            await bot.get_my_commands()
    tg.server.inject_fault("getUpdates", "500")  # named explicitly, it is hit
    status, _ = await raw_call(tg.server, "getUpdates")
    assert status == 500


async def test_stopping_does_not_wait_for_a_slow_answer() -> None:
    server = FakeTelegramServer()
    await server.start()
    server.inject_fault("getMe", "slow", delay=60)
    call = asyncio.create_task(raw_call(server, "getMe"))
    while not server.injected:  # noqa: ASYNC110 - the request is in another task
        await asyncio.sleep(0.01)
    started = time.monotonic()
    await server.stop()
    assert time.monotonic() - started < 2
    status, body = await call  # released early, with the answer it had
    assert (status, body["ok"]) == (200, True)


def test_inject_fault_rejects_nonsense() -> None:
    server = FakeTelegramServer()
    with pytest.raises(ValueError, match="Unknown fault"):
        server.inject_fault("sendMessage", "404")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="delay"):
        server.inject_fault("sendMessage", "slow")
    with pytest.raises(ValueError, match="times"):
        server.inject_fault("sendMessage", "500", times=0)


# ---- raw updates -----------------------------------------------------------------------------


async def test_raw_updates_are_delivered_verbatim(tg: TelegramHarness) -> None:
    broken_poll = {"poll": {"id": "p1"}}  # question, options, ... missing
    first = tg.server.push_raw_update(broken_poll)
    second = tg.server.push_raw_update({"future_kind": {"x": 1}})
    assert second == first + 1
    status, body = await raw_call(tg.server, "getUpdates")
    assert status == 200
    assert body["result"] == [
        {"update_id": first, "poll": {"id": "p1"}},
        {"update_id": second, "future_kind": {"x": 1}},
    ]
    async with bot_for(tg.server) as bot:
        with pytest.raises(TypeError, match="Poll"):  # PTB cannot parse the poll
            await bot.get_updates(timeout=0)
        (unknown,) = await bot.get_updates(offset=second, timeout=0)
    assert unknown.update_id == second
    assert unknown.api_kwargs == {"future_kind": {"x": 1}}
    with pytest.raises(ValueError, match="update_id"):
        tg.server.push_raw_update({"update_id": 5, "message": {}})


async def test_allowed_updates_filter_new_updates_like_telegram(tg: TelegramHarness) -> None:
    await raw_call(tg.server, "getUpdates", allowed_updates=["message"])
    assert tg.server.push_update("callback_query", {"id": "1"}) is None
    assert tg.server.push_update("message", {"message_id": 1}) == 1
    await raw_call(tg.server, "getUpdates", offset=2)  # no allowed_updates: no change
    assert tg.server.push_update("edited_message", {"message_id": 1}) is None
    await raw_call(tg.server, "getUpdates", allowed_updates=[])  # back to Telegram's default
    assert tg.server.push_update("callback_query", {"id": "2"}) == 2
    assert tg.server.push_update("chat_member", {}) is None  # only when asked for


# ---- webhooks --------------------------------------------------------------------------------


class Receiver:
    """A stand-in for the bot's webhook endpoint: records each POST, answers scripted statuses."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.statuses = statuses or []
        self.received: list[tuple[JSON, str | None]] = []  # (update, secret header)
        self.url = ""
        self._arrived = asyncio.Condition()
        self._runner: web.AppRunner | None = None

    async def __aenter__(self) -> Receiver:
        app = web.Application()
        app.router.add_post("/hook", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/hook"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    async def wait_for(self, count: int) -> None:
        """Return once `count` POSTs arrived."""
        async with asyncio.timeout(5), self._arrived:
            await self._arrived.wait_for(lambda: len(self.received) >= count)

    async def _handle(self, request: web.Request) -> web.Response:
        secret = request.headers.get("X-Telegram-Bot-Api-Secret-Token")
        self.received.append((await request.json(), secret))
        async with self._arrived:
            self._arrived.notify_all()
        return web.Response(status=self.statuses.pop(0) if self.statuses else 200)


def closed_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_webhook_delivers_in_order_with_the_secret(tg: TelegramHarness) -> None:
    server = tg.server
    user = tg.user(1, "Aigerim")
    async with Receiver() as receiver, bot_for(server) as bot:
        before = server.push_update("message", {"message_id": 1})
        assert await bot.set_webhook(
            receiver.url, secret_token="s3cr3t_-X", allowed_updates=["message", "inline_query"]
        )
        with pytest.raises(Conflict) as conflict:
            await bot.get_updates(timeout=0)
        assert str(conflict.value) == (
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first"
        )
        after = server.push_update("message", {"message_id": 2})
        assert before is not None and after is not None
        async with asyncio.timeout(5):
            await server.wait_confirmed(after)
        assert receiver.received == [
            ({"update_id": before, "message": {"message_id": 1}}, "s3cr3t_-X"),
            ({"update_id": after, "message": {"message_id": 2}}, "s3cr3t_-X"),
        ]
        assert server.confirmed_offset == after + 1
        info = await bot.get_webhook_info()
        assert (info.url, info.pending_update_count, info.last_error_date) == (
            receiver.url,
            0,
            None,
        )
        assert info.allowed_updates == ("inline_query", "message")
        assert await bot.delete_webhook()
        await user.send("polled", wait=False)
        (polled,) = await bot.get_updates(timeout=0)  # back to long polling
        assert polled.message and polled.message.text == "polled"
    assert len(receiver.received) == 2


async def test_webhook_retries_until_a_2xx_answer(tg: TelegramHarness) -> None:
    server = tg.server
    server.webhook_retry_delay = 0.05
    async with Receiver(statuses=[500, 404]) as receiver, bot_for(server) as bot:
        await bot.set_webhook(receiver.url)  # no secret: no header
        first = server.push_update("message", {"message_id": 1})
        second = server.push_update("message", {"message_id": 2})
        assert first is not None and second is not None
        async with asyncio.timeout(5):
            await server.wait_confirmed(second)
        assert [(u["update_id"], secret) for u, secret in receiver.received] == [
            (first, None),
            (first, None),
            (first, None),  # the third attempt is answered 200
            (second, None),
        ]
        info = await bot.get_webhook_info()
        assert info.last_error_message == "Wrong response from the webhook: 404 Not Found"
        assert info.last_error_date is not None
    assert server.webhook is not None
    assert [a.error for a in server.webhook.attempts] == [
        "Wrong response from the webhook: 500 Internal Server Error",
        "Wrong response from the webhook: 404 Not Found",
        None,
        None,
    ]


async def test_webhook_unreachable_keeps_updates_pending(tg: TelegramHarness) -> None:
    server = tg.server
    server.webhook_retry_delay = 0.05
    user = tg.user(1, "Aigerim")
    async with bot_for(server) as bot:
        await bot.set_webhook(f"http://127.0.0.1:{closed_port()}/hook")
        await user.send("waiting", wait=False)
        assert server.webhook is not None
        while len(server.webhook.attempts) < 2:  # noqa: ASYNC110 - delivery is a background task
            await asyncio.sleep(0.01)
        info = await bot.get_webhook_info()
        assert (info.pending_update_count, info.last_error_message) == (1, "Connection refused")
        await bot.delete_webhook()
        (update,) = await bot.get_updates(timeout=0)
    assert update.message and update.message.text == "waiting"


async def test_set_webhook_ends_a_held_long_poll(tg: TelegramHarness) -> None:
    async with Receiver() as receiver, bot_for(tg.server) as bot:
        poll = asyncio.create_task(bot.get_updates(timeout=5))
        while not tg.server.calls_to("getUpdates"):  # noqa: ASYNC110 - the poll is another task
            await asyncio.sleep(0.01)
        await bot.set_webhook(receiver.url, drop_pending_updates=True)
        with pytest.raises(Conflict, match="terminated by setWebhook request"):
            await poll


async def test_set_webhook_validates_like_telegram(tg: TelegramHarness) -> None:
    async with bot_for(tg.server) as bot:
        with pytest.raises(BadRequest, match=r"(?i)secret token contains unallowed characters"):
            await bot.set_webhook("http://127.0.0.1:1/hook", secret_token="not secret!")
        with pytest.raises(BadRequest, match=r"(?i)secret token is too long"):
            await bot.set_webhook("http://127.0.0.1:1/hook", secret_token="x" * 257)
        with pytest.raises(BadRequest, match=r"(?i)an https url must be provided"):
            await bot.set_webhook("ftp://127.0.0.1/hook")
        with pytest.raises(BadRequest, match="loopback"):
            await bot.set_webhook("https://example.com/hook")
        assert tg.server.webhook is None
        assert (await bot.get_webhook_info()).url == ""


async def test_drop_pending_updates_when_setting_a_webhook(tg: TelegramHarness) -> None:
    server = tg.server
    dropped = server.push_update("message", {"message_id": 1})
    async with Receiver() as receiver, bot_for(server) as bot:
        await bot.set_webhook(receiver.url, drop_pending_updates=True)
        kept = server.push_update("message", {"message_id": 2})
        assert dropped is not None and kept is not None
        async with asyncio.timeout(5):
            await server.wait_confirmed(kept)
    assert [u["update_id"] for u, _ in receiver.received] == [kept]


async def test_stopping_ends_webhook_delivery() -> None:
    server = FakeTelegramServer()
    await server.start()
    server.webhook_retry_delay = 30  # it would sleep long between attempts
    async with bot_for(server) as bot:
        await bot.set_webhook(f"http://127.0.0.1:{closed_port()}/hook")
    server.push_update("message", {"message_id": 1})
    assert server.webhook is not None
    while not server.webhook.attempts:  # noqa: ASYNC110 - delivery is a background task
        await asyncio.sleep(0.01)
    started = time.monotonic()
    await server.stop()
    assert time.monotonic() - started < 2


# ---- accounting --------------------------------------------------------------------------------


async def test_call_counts_and_reset(tg: TelegramHarness) -> None:
    user = chatting(tg, 1)
    async with bot_for(tg.server) as bot:  # initialize calls getMe
        await bot.get_updates(timeout=0)
        await bot.send_message(user.id, "one")
        sent = await bot.send_message(user.id, "two", reply_markup=ReplyKeyboardMarkup([["Help"]]))
        assert sent.reply_markup is None  # reply keyboards stay on the phone
        assert tg.server.call_counts() == Counter({"getMe": 1, "sendMessage": 2})
        assert tg.server.call_counts(exclude=())["getUpdates"] == 1
        tg.server.reset_calls()
        await bot.send_message(user.id, "three")
    assert tg.server.call_counts() == Counter({"sendMessage": 1})
    assert user.reply_keyboard() == ["Help"]
