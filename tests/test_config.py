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
    # No salt configured: a random one, so log hashes cannot be reversed by trying ids.
    assert len(settings.log_salt) == 32
    assert settings.log_salt != load(TELEGRAM_BOT_TOKEN=TOKEN).log_salt


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


def test_log_salt_is_kept_out_of_repr() -> None:
    settings = load(TELEGRAM_BOT_TOKEN=TOKEN, LOG_SALT="very-secret-salt")
    assert settings.log_salt == "very-secret-salt"
    assert "very-secret-salt" not in repr(settings)
