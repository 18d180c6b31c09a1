"""The log never holds a mother's words, her name, her id or the bot's token, and stays small.

The filter sits on the handler (`bot.logs.install`), so it sees every record of every
library at every level; these tests log the way PTB, httpx and the bot's own code do.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from telegram import Update
from telegram.error import BadRequest, NetworkError

from bot import logs

NAME = "Айгерим"
TEXT = "помогите муж бьёт"
USER_ID = 987654321
TOKEN = "123456789:AAEhBP0av28lTxyz1234567890abcdEFGHij"
SECRETS = (NAME, TEXT, "помогите", str(USER_ID), TOKEN, TOKEN.split(":")[1])

RAW_MESSAGE: dict[str, Any] = {
    "update_id": 5001,
    "message": {
        "message_id": 17,
        "date": 1764000000,
        "chat": {"id": USER_ID, "type": "private", "first_name": NAME},
        "from": {"id": USER_ID, "is_bot": False, "first_name": NAME, "language_code": "ru"},
        "text": TEXT,
    },
}
RAW_TAP: dict[str, Any] = {
    "update_id": 5002,
    "callback_query": {
        "id": "77",
        "chat_instance": "1",
        "from": {"id": USER_ID, "is_bot": False, "first_name": NAME},
        "data": f"needs:{TEXT}",
    },
}


class Lines:
    """A handler with the privacy filter, as `logs.configure` sets one up."""

    def __init__(self) -> None:
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        logs.install(self.handler)

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    @property
    def lines(self) -> list[str]:
        return self.text.splitlines()


@pytest.fixture
def captured() -> Iterator[Lines]:
    lines = Lines()
    loggers = [logging.getLogger(name) for name in ("telegram.ext.Application", "httpx", "bot")]
    for logger in loggers:
        logger.addHandler(lines.handler)
        logger.setLevel(logging.DEBUG)
        logger.propagate = False
    try:
        yield lines
    finally:
        for logger in loggers:
            logger.removeHandler(lines.handler)
            logger.setLevel(logging.NOTSET)
            logger.propagate = True


def assert_no_content(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, (secret, text)
    assert "Traceback" not in text


def test_an_update_among_the_arguments_is_only_its_id_and_kind(captured: Lines) -> None:
    update = Update.de_json(RAW_MESSAGE, None)
    tap = Update.de_json(RAW_TAP, None)
    ptb = logging.getLogger("telegram.ext.Application")
    ptb.critical("Update %s caused error", update)
    ptb.debug("Processing update %s and %s", update, tap)
    logging.getLogger("bot").error("Handling %(update)s failed", {"update": update})
    assert captured.lines == [
        "CRITICAL telegram.ext.Application: Update <update 5001 message> caused error",
        "DEBUG telegram.ext.Application: Processing update <update 5001 message> and"
        " <update 5002 callback_query>",
        "ERROR bot: Handling <update 5001 message> failed",
    ]
    assert_no_content(captured.text)


def test_an_update_as_the_message_itself_is_only_its_id_and_kind(captured: Lines) -> None:
    ptb = logging.getLogger("telegram.ext.Application")
    ptb.critical(Update.de_json(RAW_MESSAGE, None))
    ptb.error(RAW_TAP)
    assert captured.lines == [
        "CRITICAL telegram.ext.Application: <update 5001 message>",
        "ERROR telegram.ext.Application: <update 5002 callback_query>",
    ]
    assert_no_content(captured.text)


def test_a_raw_update_dict_is_only_its_id_and_kind(captured: Lines) -> None:
    logger = logging.getLogger("telegram.ext.Application")
    logger.warning("Skipped %s", RAW_MESSAGE)  # a lone dict becomes the record's args mapping
    logger.warning("Skipped %s, %s", RAW_MESSAGE, RAW_TAP)
    logger.warning("Batch %s", [RAW_MESSAGE, RAW_TAP])
    # Bot API calls as PTB's request layer logs them, with her text among the parameters.
    logger.debug(
        "Calling Bot API endpoint `%s` with parameters `%s`",
        "sendMessage",
        {"chat_id": USER_ID, "text": TEXT},
    )
    assert len(captured.lines) == 4
    assert "<update 5001 message>, <update 5002 callback_query>" in captured.lines[1]
    assert "sendMessage" in captured.lines[3]
    assert_no_content(captured.text)


def test_an_exception_that_quotes_her_words_keeps_only_its_type_and_place(
    captured: Lines,
) -> None:
    logger = logging.getLogger("bot")
    try:
        int(TEXT)
    except ValueError:
        logger.exception("Error while handling update %s (%s)", 5001, "message")
    try:
        raise KeyError(f"{NAME}: {TEXT}")
    except KeyError as exc:
        logger.error("Could not read the answer", exc_info=exc)
    logger.warning("Giving up: %s", ValueError(f"invalid literal for int(): {TEXT!r}"))
    lines = captured.lines
    assert len(lines) == 3, captured.text
    assert lines[0].startswith("ERROR bot: Error while handling update 5001 (message) (ValueError")
    assert "test_logs.py:" in lines[0]  # where it happened is kept
    assert "KeyError" in lines[1]
    assert "ValueError" in lines[2]
    assert_no_content(captured.text)


def test_telegrams_own_error_text_is_kept(captured: Lines) -> None:
    logger = logging.getLogger("bot")
    error = BadRequest("Can't parse entities: unsupported start tag at byte offset 12")
    logger.error("Send failed", exc_info=error)
    logger.warning("Polling failed (%s); retrying in %.1f s", NetworkError("Bad Gateway"), 1.5)
    assert "Can't parse entities" in captured.lines[0]
    assert captured.lines[1] == "WARNING bot: Polling failed (Bad Gateway); retrying in 1.5 s"


def test_a_token_in_a_url_or_message_is_masked(captured: Lines) -> None:
    httpx = logging.getLogger("httpx")
    url = f"https://api.telegram.org/bot{TOKEN}/getUpdates"
    httpx.info('HTTP Request: POST %s "HTTP/1.1 200 OK"', url)
    httpx.warning(f"GET http://127.0.0.1:8081/file/bot{TOKEN}/documents/file_1.zip failed")
    httpx.error("token %s was rejected", TOKEN)
    try:
        raise NetworkError(f"connection to {url} reset")
    except NetworkError:
        httpx.exception("Network trouble")
    assert len(captured.lines) == 4
    assert "/bot<token>/getUpdates" in captured.lines[0]
    assert "/file/bot<token>/documents" in captured.lines[1]
    assert captured.lines[2] == "ERROR httpx: token <token> was rejected"
    assert_no_content(captured.text)


def test_repeated_lines_are_counted_not_repeated(
    captured: Lines, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1000.0]
    monkeypatch.setattr("bot.logs.time.monotonic", lambda: clock[0])
    logger = logging.getLogger("telegram.ext.Application")
    for update_id in range(10_000):  # a poison update retried without end, for instance
        logger.critical("Update %s could not be read", update_id)
    assert len(captured.lines) == 5
    assert captured.lines[0] == "CRITICAL telegram.ext.Application: Update 0 could not be read"
    # Another line is not held back by the flood.
    logger.warning("Something else")
    assert captured.lines[-1] == "WARNING telegram.ext.Application: Something else"
    # A minute later the same line comes once more, with the count of what was held back.
    clock[0] += 61
    logger.critical("Update %s could not be read", 10_000)
    assert captured.lines[-1] == (
        "CRITICAL telegram.ext.Application: Update 10000 could not be read (and 9995 more like it)"
    )
    assert len(captured.lines) == 7


def test_a_line_is_never_longer_than_a_screen(captured: Lines) -> None:
    logging.getLogger("bot").error("Catalog problem: %s", "x" * 10_000)
    [line] = captured.lines
    assert len(line) < 600


def test_configure_filters_the_root_handler() -> None:
    root = logging.getLogger()
    before = list(root.handlers)
    filters = {h: list(h.filters) for h in before}  # pytest's own handlers are put back
    level = root.level
    handler = logging.StreamHandler(io.StringIO())
    root.addHandler(handler)
    try:
        logs.configure("INFO")
        assert any(isinstance(f, logs.PrivacyFilter) for f in handler.filters)
        logs.install(handler)  # once only
        assert sum(isinstance(f, logs.PrivacyFilter) for f in handler.filters) == 1
        # Libraries never log requests below WARNING, even at INFO.
        assert logging.getLogger("httpx").getEffectiveLevel() == logging.WARNING
    finally:
        for added in [h for h in root.handlers if h not in before]:
            root.removeHandler(added)  # ours, and basicConfig's when there was none
        for other, kept in filters.items():
            other.filters[:] = kept
        root.setLevel(level)
        for name in ("httpx", "httpcore", "telegram", "apscheduler", "aiosqlite", "aiohttp"):
            logging.getLogger(name).setLevel(logging.NOTSET)
        assert root.handlers == before


@pytest.mark.parametrize(
    ("value", "described"),
    [
        (RAW_MESSAGE, "<update 5001 message>"),
        (RAW_TAP, "<update 5002 callback_query>"),
        ({"chat_id": USER_ID, "text": TEXT}, "<dict>"),
        ([RAW_MESSAGE], "<1 items>"),
        (ValueError(TEXT), "ValueError"),
        (42, "42"),
    ],
)
def test_describe_keeps_no_content(value: object, described: str) -> None:
    assert logs.describe(value) == described
