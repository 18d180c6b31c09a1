"""Settings: every bad value is one ConfigError naming its variable; .env is read, env wins."""

from __future__ import annotations

from pathlib import Path

import pytest
import telegram

from bot.config import ConfigError, Settings, load_settings

REPO = Path(__file__).resolve().parent.parent
TOKEN = "123456:ABC-def_ghi"


def load(env_file: Path | None = None, **environ: str) -> Settings:
    """Settings from exactly these variables (never the test process's own environment)."""
    return load_settings(environ, env_file=env_file)


def test_defaults_with_only_a_token() -> None:
    settings = load(TELEGRAM_BOT_TOKEN=TOKEN)
    assert settings.token == TOKEN
    assert settings.api_url == "https://api.telegram.org"
    assert settings.database_path == Path("var/ana_komek.sqlite3")
    assert settings.default_language == "ru"
    assert settings.log_level == "INFO"
    assert settings.admin_ids == frozenset()
    assert settings.conversation_timeout_minutes == 30
    assert settings.message_retention_hours == 48
    assert settings.staff_ids == frozenset()
    # Long polling unless a webhook is configured.
    assert (settings.webhook_url, settings.webhook_secret, settings.port) == ("", "", 8080)


def test_base_url_is_the_bot_api_prefix_with_a_token_placeholder() -> None:
    settings = load(TELEGRAM_BOT_TOKEN=TOKEN)
    assert settings.base_url == "https://api.telegram.org/bot{token}"
    assert settings.base_file_url == "https://api.telegram.org/file/bot{token}"


def test_base_url_is_what_ptb_turns_into_the_method_url() -> None:
    settings = load(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL="http://127.0.0.1:8081/")
    bot = telegram.Bot(settings.token, base_url=settings.base_url)
    assert bot.base_url == f"http://127.0.0.1:8081/bot{TOKEN}"


def test_api_url_trailing_slash_is_dropped() -> None:
    settings = load(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL="http://localhost:8081/")
    assert settings.api_url == "http://localhost:8081"
    assert settings.base_url == "http://localhost:8081/bot{token}"


def test_admin_ids_are_parsed() -> None:
    settings = load(TELEGRAM_BOT_TOKEN=TOKEN, ADMIN_IDS=" 111, 222,,333 ")
    assert settings.admin_ids == frozenset({111, 222, 333})


def test_admin_ids_that_are_not_numbers_are_an_error_naming_the_variable() -> None:
    with pytest.raises(ConfigError, match="ADMIN_IDS") as caught:
        load(TELEGRAM_BOT_TOKEN=TOKEN, ADMIN_IDS="abc")
    assert "abc" in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("language", ["en", "kz", "russian"])
def test_unknown_default_language_is_an_error(language: str) -> None:
    with pytest.raises(ConfigError, match="DEFAULT_LANGUAGE"):
        load(TELEGRAM_BOT_TOKEN=TOKEN, DEFAULT_LANGUAGE=language)


def test_default_language_is_case_insensitive() -> None:
    assert load(TELEGRAM_BOT_TOKEN=TOKEN, DEFAULT_LANGUAGE="KK").default_language == "kk"


def test_missing_token_points_to_botfather() -> None:
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN") as caught:
        load()
    assert "@BotFather" in str(caught.value)


def test_blank_token_counts_as_missing() -> None:
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN"):
        load(TELEGRAM_BOT_TOKEN="   ")


def test_token_is_optional_for_cli_commands() -> None:
    settings = load_settings({}, env_file=None, require_token=False)
    assert settings.token == ""


@pytest.mark.parametrize("token", ["not-a-token", "123:abc def"])
def test_malformed_token_is_an_error(token: str) -> None:
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN"):
        load(TELEGRAM_BOT_TOKEN=token)


def test_api_url_must_be_http() -> None:
    with pytest.raises(ConfigError, match="TELEGRAM_API_URL"):
        load(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL="api.telegram.org")


def test_log_level_is_checked_and_upper_cased() -> None:
    assert load(TELEGRAM_BOT_TOKEN=TOKEN, LOG_LEVEL="debug").log_level == "DEBUG"
    with pytest.raises(ConfigError, match="LOG_LEVEL"):
        load(TELEGRAM_BOT_TOKEN=TOKEN, LOG_LEVEL="verbose")


@pytest.mark.parametrize("minutes", ["0", "-5", "half an hour"])
def test_conversation_timeout_must_be_a_positive_number(minutes: str) -> None:
    with pytest.raises(ConfigError, match="CONVERSATION_TIMEOUT_MINUTES"):
        load(TELEGRAM_BOT_TOKEN=TOKEN, CONVERSATION_TIMEOUT_MINUTES=minutes)


def test_env_file_is_read(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        f"TELEGRAM_BOT_TOKEN={TOKEN}\n"
        "DEFAULT_LANGUAGE=kk\n"
        "DATABASE_PATH=/srv/ana/bot.sqlite3\n"
        "ADMIN_IDS=42\n",
        encoding="utf-8",
    )
    settings = load(env_file=env_file)
    assert settings.token == TOKEN
    assert settings.default_language == "kk"
    assert settings.database_path == Path("/srv/ana/bot.sqlite3")
    assert settings.admin_ids == frozenset({42})


def test_environment_wins_over_env_file(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "TELEGRAM_BOT_TOKEN=111:from-file\nDEFAULT_LANGUAGE=kk\nLOG_LEVEL=ERROR\n",
        encoding="utf-8",
    )
    settings = load(env_file=env_file, TELEGRAM_BOT_TOKEN=TOKEN, DEFAULT_LANGUAGE="ru")
    assert settings.token == TOKEN
    assert settings.default_language == "ru"
    # What the environment does not set still comes from the file.
    assert settings.log_level == "ERROR"


def test_bad_value_in_env_file_is_reported(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(f"TELEGRAM_BOT_TOKEN={TOKEN}\nADMIN_IDS=me\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="ADMIN_IDS"):
        load(env_file=env_file)


def test_missing_env_file_is_fine(tmp_path: Path) -> None:
    settings = load(env_file=tmp_path / "no-such.env", TELEGRAM_BOT_TOKEN=TOKEN)
    assert settings.token == TOKEN


def test_env_example_is_a_valid_env_file() -> None:
    """Copying .env.example and adding a token gives a working configuration."""
    settings = load(env_file=REPO / ".env.example", TELEGRAM_BOT_TOKEN=TOKEN)
    assert settings.api_url == "https://api.telegram.org"
    assert settings.database_path == Path("var/ana_komek.sqlite3")
    assert settings.conversation_timeout_minutes == 30


def test_log_salt_is_gone() -> None:
    """Logs name nobody any more, not even by a salted hash: there is nothing to salt."""
    settings = load(TELEGRAM_BOT_TOKEN=TOKEN, LOG_SALT="very-secret-salt")
    assert not hasattr(settings, "log_salt")
    assert "very-secret-salt" not in repr(settings)


def test_token_is_not_in_the_error_about_it() -> None:
    with pytest.raises(ConfigError) as caught:
        load(TELEGRAM_BOT_TOKEN="123456:with space")
    assert "with space" not in str(caught.value)


# --- staff ---


def test_staff_ids_are_parsed_like_admin_ids() -> None:
    settings = load(TELEGRAM_BOT_TOKEN=TOKEN, STAFF_IDS="5, 6 ,7", ADMIN_IDS="5")
    assert settings.staff_ids == frozenset({5, 6, 7})
    assert settings.admin_ids == frozenset({5})
    with pytest.raises(ConfigError, match="STAFF_IDS") as caught:
        load(TELEGRAM_BOT_TOKEN=TOKEN, STAFF_IDS="5,hotline")
    assert "hotline" in str(caught.value) and "\n" not in str(caught.value)


# --- the Bot API server ---


@pytest.mark.parametrize(
    "url",
    [
        "https://api.telegram.org/bot",
        "https://api.telegram.org/bot123456:ABC-def_ghi",
        "http://127.0.0.1:8081/bot{token}",
        "http://localhost:8081/api/",
        "https://api.telegram.org?x=1",
        "https://api.telegram.org#top",
    ],
)
def test_api_url_with_a_path_is_one_clear_line(url: str) -> None:
    """It used to reach Telegram as a wrong URL and end as "token rejected"."""
    with pytest.raises(ConfigError, match="TELEGRAM_API_URL") as caught:
        load(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=url)
    message = str(caught.value)
    assert "\n" not in message
    assert "without a path" in message
    assert TOKEN not in message and "ABC-def_ghi" not in message  # never the token


@pytest.mark.parametrize(
    "url", [f"https://api.telegram.org/bot{TOKEN}", f"api.telegram.org/bot{TOKEN}/getMe"]
)
def test_a_token_pasted_into_the_api_url_is_not_repeated(url: str) -> None:
    """An easy mistake: the error names the variable, never the token it holds."""
    with pytest.raises(ConfigError, match="TELEGRAM_API_URL") as caught:
        load(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=url)
    assert TOKEN not in str(caught.value)
    assert "ABC-def_ghi" not in str(caught.value)


@pytest.mark.parametrize("url", ["ftp://api.telegram.org", "https://", "http:///bot"])
def test_api_url_without_a_server_is_an_error(url: str) -> None:
    with pytest.raises(ConfigError, match="TELEGRAM_API_URL"):
        load(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=url)


# --- webhook mode ---


def test_webhook_needs_https_and_a_secret() -> None:
    settings = load(
        TELEGRAM_BOT_TOKEN=TOKEN,
        WEBHOOK_URL="https://bot.example.org/telegram",
        WEBHOOK_SECRET="s3cret_-token",
        PORT="8443",
    )
    assert settings.webhook_url == "https://bot.example.org/telegram"
    assert settings.webhook_secret == "s3cret_-token"
    assert settings.port == 8443
    # The secret stays out of anything that prints the settings.
    assert "s3cret_-token" not in repr(settings)


@pytest.mark.parametrize(
    ("url", "secret", "variable"),
    [
        ("http://bot.example.org/telegram", "secret", "WEBHOOK_URL"),  # Telegram needs https
        ("bot.example.org/telegram", "secret", "WEBHOOK_URL"),
        ("https://bot.example.org/telegram", "", "WEBHOOK_SECRET"),
        ("https://bot.example.org/telegram", "has space", "WEBHOOK_SECRET"),
        ("https://bot.example.org/telegram", "ümlaut", "WEBHOOK_SECRET"),
        ("https://bot.example.org/telegram", "x" * 257, "WEBHOOK_SECRET"),
        ("https://bot.example.org/telegram", "semi;colon", "WEBHOOK_SECRET"),
    ],
)
def test_bad_webhook_settings_are_one_line(url: str, secret: str, variable: str) -> None:
    with pytest.raises(ConfigError, match=variable) as caught:
        load(TELEGRAM_BOT_TOKEN=TOKEN, WEBHOOK_URL=url, WEBHOOK_SECRET=secret)
    assert "\n" not in str(caught.value)
    if secret and variable == "WEBHOOK_SECRET":
        assert secret not in str(caught.value)  # a secret is never echoed


def test_longest_allowed_webhook_secret() -> None:
    secret = "A-z_0" * 51 + "9"
    assert len(secret) == 256
    settings = load(
        TELEGRAM_BOT_TOKEN=TOKEN, WEBHOOK_URL="https://bot.example.org/hook", WEBHOOK_SECRET=secret
    )
    assert settings.webhook_secret == secret


def test_a_secret_without_a_webhook_changes_nothing() -> None:
    settings = load(TELEGRAM_BOT_TOKEN=TOKEN, WEBHOOK_SECRET="unused")
    assert settings.webhook_url == ""


@pytest.mark.parametrize("port", ["0", "65536", "http", "-1", "80.5"])
def test_port_must_be_a_port_number(port: str) -> None:
    with pytest.raises(ConfigError, match="PORT"):
        load(TELEGRAM_BOT_TOKEN=TOKEN, PORT=port)


@pytest.mark.parametrize("port", ["1", "443", "65535"])
def test_port_numbers_are_taken(port: str) -> None:
    assert load(TELEGRAM_BOT_TOKEN=TOKEN, PORT=port).port == int(port)


def test_live_line_settings() -> None:
    settings = load(TELEGRAM_BOT_TOKEN=TOKEN)
    assert settings.live_idle_minutes == 60 and settings.live_hash_key == ""
    assert "live_hash_key" not in repr(load(TELEGRAM_BOT_TOKEN=TOKEN, LIVE_HASH_KEY="k" * 20))
    with pytest.raises(ConfigError, match=r"^LIVE_IDLE_MINUTES must be a positive whole number"):
        load(TELEGRAM_BOT_TOKEN=TOKEN, LIVE_IDLE_MINUTES="soon")
    with pytest.raises(ConfigError, match=r"^LIVE_HASH_KEY must be at least 16 characters"):
        load(TELEGRAM_BOT_TOKEN=TOKEN, LIVE_HASH_KEY="short")
