"""Settings from the environment and an optional `.env` file.

Every bad value becomes one `ConfigError` line naming the variable, so `python -m bot`
can print it and exit instead of showing a traceback.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from dotenv import dotenv_values

from bot.core import codes

DEFAULT_API_URL = "https://api.telegram.org"
DEFAULT_DATABASE_PATH = "var/ana_komek.sqlite3"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class ConfigError(ValueError):
    """A setting is missing or malformed; the message is meant for the operator."""


@dataclass(frozen=True)
class Settings:
    """Everything the bot reads from its environment."""

    token: str
    admin_ids: frozenset[int] = frozenset()
    # Hotline and crisis-center staff: links, QR posters, /find (admins have these too).
    staff_ids: frozenset[int] = frozenset()
    database_path: Path = Path(DEFAULT_DATABASE_PATH)
    api_url: str = DEFAULT_API_URL
    default_language: str = "ru"
    log_level: str = "INFO"
    # An idle conversation ends (and its answers are dropped) after this many minutes.
    conversation_timeout_minutes: int = 30
    # Telegram lets a bot delete messages of a private chat for 48 hours; we keep ids no longer.
    message_retention_hours: int = 48
    # Conversations kept in memory (the most recently active); the rest wait in SQLite.
    sessions_in_memory: int = 2000
    # Webhook mode when set (polling otherwise): Telegram calls this https URL.
    webhook_url: str = ""
    webhook_secret: str = field(default="", repr=False)
    webhook_listen: str = "0.0.0.0"
    port: int = 8080
    # The live line: a quiet conversation with a consultant ends after this many minutes.
    live_idle_minutes: int = 60
    # Key of the hash a blocked sender is recognised by; empty: generated and kept in the DB.
    live_hash_key: str = field(default="", repr=False)

    @property
    def base_url(self) -> str:
        """Bot API method URL prefix, as PTB expects it (`…/bot<token>`)."""
        return f"{self.api_url}/bot{{token}}"

    @property
    def base_file_url(self) -> str:
        """File download URL prefix (`…/file/bot<token>`)."""
        return f"{self.api_url}/file/bot{{token}}"


_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def _parse_ids(name: str, raw: str) -> frozenset[int]:
    ids: set[int] = set()
    for part in raw.replace(" ", "").split(","):
        if not part:
            continue
        if not part.lstrip("-").isdigit():
            raise ConfigError(
                f"{name} must be comma-separated Telegram user ids (numbers), got {part!r}"
            )
        ids.add(int(part))
    return frozenset(ids)


def _parse_positive_int(name: str, raw: str) -> int:
    if not raw.isdigit() or int(raw) <= 0:
        raise ConfigError(f"{name} must be a positive whole number, got {raw!r}")
    return int(raw)


def load_settings(
    environ: Mapping[str, str] | None = None,
    env_file: Path | None = Path(".env"),
    require_token: bool = True,
) -> Settings:
    """Read settings; the process environment wins over the `.env` file."""
    values: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ if environ is None else environ)

    def get(name: str, default: str = "") -> str:
        return values.get(name, default).strip() or default

    token = get("TELEGRAM_BOT_TOKEN")
    if require_token and not token:
        raise ConfigError(
            "TELEGRAM_BOT_TOKEN is not set. Ask @BotFather in Telegram for a token "
            "(/newbot), then put TELEGRAM_BOT_TOKEN=<token> into the environment or into .env "
            "(see .env.example)."
        )
    if token and (":" not in token or any(c.isspace() for c in token)):
        raise ConfigError("TELEGRAM_BOT_TOKEN does not look like a token from @BotFather")

    api_url = get("TELEGRAM_API_URL", DEFAULT_API_URL).rstrip("/")
    parsed = urlparse(api_url)
    # An error names the variable, never the token pasted into it (".../bot<token>").
    shown_url = api_url.replace(token, "<token>") if token else api_url
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ConfigError(f"TELEGRAM_API_URL must be an http(s) URL, got {shown_url!r}")
    if parsed.path not in ("", "/") or parsed.query or parsed.fragment:
        raise ConfigError(
            f"TELEGRAM_API_URL is the server only (e.g. https://api.telegram.org), without a "
            f"path; got {shown_url!r}"
        )

    webhook_url = get("WEBHOOK_URL")
    webhook_secret = get("WEBHOOK_SECRET")
    if webhook_url:
        hook = urlparse(webhook_url)
        if hook.scheme != "https" or not hook.hostname:
            raise ConfigError(f"WEBHOOK_URL must be an https URL, got {webhook_url!r}")
        if not _SECRET.match(webhook_secret):
            raise ConfigError(
                "WEBHOOK_SECRET must be set with WEBHOOK_URL: 1-256 characters of A-Z, a-z, "
                "0-9, _ and -"
            )
    port_text = get("PORT", "8080")
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise ConfigError(f"PORT must be a port number (1-65535), got {port_text!r}")

    language = get("DEFAULT_LANGUAGE", "ru").lower()
    if language not in codes.LANGUAGES:
        raise ConfigError(f"DEFAULT_LANGUAGE must be 'kk' or 'ru', got {language!r}")

    log_level = get("LOG_LEVEL", "INFO").upper()
    if log_level not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {log_level!r}")

    live_hash_key = get("LIVE_HASH_KEY")
    if live_hash_key and len(live_hash_key) < 16:
        raise ConfigError("LIVE_HASH_KEY must be at least 16 characters long (or left empty)")

    return Settings(
        token=token,
        admin_ids=_parse_ids("ADMIN_IDS", get("ADMIN_IDS")),
        staff_ids=_parse_ids("STAFF_IDS", get("STAFF_IDS")),
        database_path=Path(get("DATABASE_PATH", DEFAULT_DATABASE_PATH)),
        api_url=api_url,
        default_language=language,
        log_level=log_level,
        conversation_timeout_minutes=_parse_positive_int(
            "CONVERSATION_TIMEOUT_MINUTES", get("CONVERSATION_TIMEOUT_MINUTES", "30")
        ),
        sessions_in_memory=_parse_positive_int(
            "SESSIONS_IN_MEMORY", get("SESSIONS_IN_MEMORY", "2000")
        ),
        webhook_url=webhook_url,
        webhook_secret=webhook_secret,
        port=int(port_text),
        live_idle_minutes=_parse_positive_int("LIVE_IDLE_MINUTES", get("LIVE_IDLE_MINUTES", "60")),
        live_hash_key=live_hash_key,
    )
