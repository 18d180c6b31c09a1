"""The Telegram application: one ordered handler registry, services opened in post_init and
closed in post_shutdown, and `run()` for `python -m bot`.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import warnings
from typing import Any

from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseHandler,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ConversationHandler,
    Defaults,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot import privacy_log
from bot.config import Settings
from bot.i18n import N_, translator
from bot.services import Services
from bot.storage import state_repo
from bot.storage.persistence import SqlitePersistence
from bot.tg import admin, results, safety, states
from bot.tg import conversation as conv
from bot.tg.common import (
    SERVICES_KEY,
    Context,
    is_private,
    remember_messages,
    say,
    suggested_language,
    touch,
)
from bot.tg.conversation import resumable
from bot.tg.processor import PerUserUpdateProcessor

_LOGGER = logging.getLogger(__name__)
CONVERSATION_NAME = "mother"
# One conversation per user, not per message, is what we want: buttons of older messages are
# handled by the current step (and explained when stale), so PTB's reminder is noise.
warnings.filterwarnings("ignore", message="If 'per_message=False'", category=PTBUserWarning)
Handler = BaseHandler[Update, Context, Any]
PURGE_INTERVAL_SECONDS = 60

# The command menu, in both languages (Telegram shows the one matching the app's language).
COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", N_("Find help")),
    ("sos", N_("Emergency and support numbers")),
    ("language", N_("Қазақша / Русский")),
    ("privacy", N_("What the bot keeps")),
    ("clear", N_("Delete this chat")),
    ("forget", N_("Delete my data, keep the chat")),
    ("help", N_("How the bot works")),
    ("cancel", N_("Stop the questions")),
)
# Shown before the first /start and in the bot's profile: neutral, nothing alarming.
DESCRIPTION = N_(
    "Ana Komek helps young mothers and pregnant women in Kazakhstan find support, advice and "
    "a place to stay near them. Free and anonymous."
)
SHORT_DESCRIPTION = N_("Support and advice for young mothers. Free and anonymous.")


async def record_incoming(update: Update, context: Context) -> None:
    """Note her message id (for /clear) and when she was last active; nothing of its content."""
    if not is_private(update):
        return
    touch(context)
    message = update.message
    if message is not None and update.effective_chat is not None:
        await remember_messages(context, update.effective_chat.id, message.message_id)


async def on_error(update: object, context: Context) -> None:
    """Log the kind of update and an opaque user hash, never its content; apologise."""
    kind = privacy_log.update_kind(update)
    user = privacy_log.user_hash(update, context.bot_data[SERVICES_KEY].settings.log_salt)
    _LOGGER.error("Error while handling a %s update from %s", kind, user, exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat is not None and is_private(update):
        t = translator(suggested_language(update, context))
        with contextlib.suppress(TelegramError):  # remembered, so /clear deletes it too
            await say(
                update,
                context,
                t._(
                    "Sorry, something went wrong on my side. "
                    "Please try again, or tap /sos for the numbers."
                ),
            )


def _conversation(settings: Settings) -> ConversationHandler[Context]:
    # Edited messages are ignored: an edit is not a new answer.
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    text = filters.TEXT & ~filters.COMMAND & private
    anything_else = ~filters.COMMAND & private
    start: Handler = CommandHandler("start", conv.start, filters=private)
    language: Handler = CommandHandler("language", conv.choose_language_command, filters=private)
    language_button: Handler = CallbackQueryHandler(
        conv.choose_language_command, pattern="^language$"
    )
    language_chosen: Handler = CallbackQueryHandler(conv.language_chosen, pattern="^lang:")
    wipe: list[Handler] = [
        CommandHandler("clear", safety.clear_chat, filters=private),
        CallbackQueryHandler(safety.clear_chat, pattern="^clear$"),
        CommandHandler("forget", safety.forget_me, filters=private),
    ]
    restart: Handler = CallbackQueryHandler(conv.start, pattern="^restart$")
    cancel: Handler = CommandHandler("cancel", conv.cancel, filters=private)
    return ConversationHandler(
        name=CONVERSATION_NAME,
        persistent=True,
        entry_points=[
            start,
            language,
            language_button,
            language_chosen,
            restart,
            *wipe,
            cancel,
            MessageHandler(anything_else, conv.first_contact),
            MessageHandler(filters.COMMAND & private, conv.first_contact),
            CallbackQueryHandler(conv.first_contact),
        ],
        states={
            states.LANGUAGE: [
                language_chosen,  # a full answer on its own: no need to guard it
                MessageHandler(text, resumable(conv.wrong_input)),
                MessageHandler(anything_else, resumable(conv.not_understood)),
            ],
            states.AGE: [
                CallbackQueryHandler(resumable(conv.age_tapped), pattern="^age:"),
                MessageHandler(text, resumable(conv.age_typed)),
                MessageHandler(anything_else, resumable(conv.not_understood)),
            ],
            states.AGE_CONFIRM: [
                CallbackQueryHandler(resumable(conv.age_confirmed), pattern="^age_ok$"),
                CallbackQueryHandler(resumable(conv.age_rejected), pattern="^age_redo$"),
                CallbackQueryHandler(resumable(conv.age_tapped), pattern="^age:"),
                MessageHandler(text, resumable(conv.age_typed)),
                MessageHandler(anything_else, resumable(conv.not_understood)),
            ],
            states.CHILD: [
                CallbackQueryHandler(resumable(conv.child_tapped), pattern="^child:"),
                MessageHandler(text, resumable(conv.child_typed)),
                MessageHandler(anything_else, resumable(conv.not_understood)),
            ],
            states.PLACE: [
                CallbackQueryHandler(resumable(conv.place_tapped), pattern="^place:"),
                CallbackQueryHandler(resumable(conv.regions_listed), pattern="^regions$"),
                CallbackQueryHandler(resumable(conv.region_tapped), pattern="^region:"),
                MessageHandler(filters.LOCATION & private, resumable(conv.location_shared)),
                MessageHandler(text, resumable(conv.place_typed)),
                MessageHandler(anything_else, resumable(conv.not_understood)),
            ],
            states.NEEDS: [
                CallbackQueryHandler(resumable(conv.need_toggled), pattern="^need:"),
                CallbackQueryHandler(resumable(conv.needs_done), pattern="^needs:done$"),
                MessageHandler(text, resumable(conv.needs_typed)),
                MessageHandler(anything_else, resumable(conv.not_understood)),
            ],
            states.RESULTS: [
                CallbackQueryHandler(resumable(results.show_more), pattern="^more$"),
                CallbackQueryHandler(resumable(results.change_menu), pattern="^change$"),
                CallbackQueryHandler(resumable(results.change_answer), pattern="^change:"),
                MessageHandler(text, resumable(conv.wrong_input)),
                MessageHandler(anything_else, resumable(conv.not_understood)),
            ],
        },
        fallbacks=[
            start,
            restart,
            language,
            language_button,
            language_chosen,
            *wipe,
            cancel,
            MessageHandler(filters.COMMAND & private, conv.not_understood),
            CallbackQueryHandler(conv.stale_button),
        ],
        allow_reentry=False,
    )


def register_handlers(
    application: Application[Any, Any, Any, Any, Any, Any], settings: Settings
) -> None:
    """Every handler, in the order they are tried. Groups run one after another."""
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    # -3: bookkeeping only (message ids for /clear, last activity for expiry).
    application.add_handler(TypeHandler(Update, record_incoming), group=-3)
    # -2: words of danger bring the emergency numbers before anything else.
    application.add_handler(
        MessageHandler((filters.TEXT | filters.CAPTION) & private, safety.danger_alert), group=-2
    )
    # -1: information that never changes where the conversation is.
    for handler in (
        CommandHandler("sos", safety.sos_command, filters=private),
        CallbackQueryHandler(safety.sos_command, pattern="^sos$"),
        CommandHandler("help", safety.help_command, filters=private),
        CommandHandler("privacy", safety.privacy_command, filters=private),
        ChatMemberHandler(safety.blocked, ChatMemberHandler.MY_CHAT_MEMBER),
    ):
        application.add_handler(handler, group=-1)
    # -1 too: the admins' catalog tools, which exist only for ADMIN_IDS.
    if settings.admin_ids:
        admin_only = private & filters.User(user_id=settings.admin_ids)
        for name, callback in (
            ("admin", admin.admin_help),
            ("export", admin.export),
            ("center", admin.show_center),
            ("verify", admin.verify_center),
            ("close", admin.close_center),
            ("reopen", admin.reopen_center),
            ("stats", admin.stats),
        ):
            application.add_handler(CommandHandler(name, callback, filters=admin_only), group=-1)
        application.add_handler(
            MessageHandler(filters.Document.ALL & admin_only, admin.upload), group=-1
        )
    # 0: the conversation itself.
    application.add_handler(_conversation(settings), group=0)
    application.add_error_handler(on_error)


async def _set_bot_profile(
    application: Application[Any, Any, Any, Any, Any, Any], default_lang: str
) -> None:
    """Command menu, description and short description in both languages.

    Apps in another language get both languages at once. Only what differs from what
    Telegram already has is sent, so restarts do not run into Telegram's flood limits.
    """
    bot = application.bot
    kk, ru = translator("kk"), translator("ru")
    for lang in (None, "kk", "ru"):
        t = translator(lang or default_lang)
        commands = [BotCommand(name, t._(description)) for name, description in COMMANDS]
        if lang is None:
            description = f"{kk._(DESCRIPTION)}\n\n{ru._(DESCRIPTION)}"
            short = f"{kk._(SHORT_DESCRIPTION)} / {ru._(SHORT_DESCRIPTION)}"
        else:
            description, short = t._(DESCRIPTION), t._(SHORT_DESCRIPTION)
        if tuple(await bot.get_my_commands(language_code=lang)) != tuple(commands):
            await bot.set_my_commands(commands, language_code=lang)
        if (await bot.get_my_description(language_code=lang)).description != description:
            await bot.set_my_description(description, language_code=lang)
        current = await bot.get_my_short_description(language_code=lang)
        if current.short_description != short:
            await bot.set_my_short_description(short, language_code=lang)


async def purge_expired(context: Context) -> None:
    """Keep nothing longer than needed: end idle conversations (dropping what they kept),
    then message ids past Telegram's 48-hour window and any row left behind."""
    services: Services = context.bot_data[SERVICES_KEY]
    settings = services.settings
    ended = await conv.end_idle_conversations(context)
    counts = await state_repo.purge_expired(
        await services.database(),
        conversation_idle_seconds=settings.conversation_timeout_minutes * 60,
        retention_seconds=settings.message_retention_hours * 3600,
    )
    if ended or any(counts.values()):
        _LOGGER.info("Ended %d idle conversations; purged expired rows: %s", ended, counts)


async def watch_catalog(context: Context) -> None:
    """Switch to a catalog that another process (the CLI) imported."""
    services: Services = context.bot_data[SERVICES_KEY]
    if await services.reload_if_changed():
        _LOGGER.info("The catalog changed on disk; reloaded it")


async def post_init(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Open the database, load the catalog, register the menu, start the jobs."""
    services: Services = application.bot_data[SERVICES_KEY]
    await services.database()
    _LOGGER.info(
        "Catalog loaded: %d centers, %d hotlines, %d places",
        len(services.catalog.centers),
        len(services.catalog.hotlines),
        len(services.catalog.places),
    )
    try:
        await _set_bot_profile(application, services.settings.default_language)
    except TelegramError as exc:
        _LOGGER.warning("Could not set the bot's commands and description: %s", exc)
    if application.job_queue is not None:
        idle_seconds = services.settings.conversation_timeout_minutes * 60
        # Often enough that an idle conversation ends close to its time, at most once a minute.
        interval = min(PURGE_INTERVAL_SECONDS, max(1.0, idle_seconds / 4))
        application.job_queue.run_repeating(purge_expired, interval=interval, first=1)
        application.job_queue.run_repeating(watch_catalog, interval=PURGE_INTERVAL_SECONDS)


async def post_shutdown(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Close the database (aiosqlite keeps the process alive otherwise)."""
    services: Services = application.bot_data[SERVICES_KEY]
    await services.close()


def build_application(
    settings: Settings, services: Services | None = None
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The bot, ready to run; nothing is opened until initialize/post_init."""
    services = services or Services(settings)
    processor = PerUserUpdateProcessor()
    application = (
        ApplicationBuilder()
        .token(settings.token)
        .base_url(settings.base_url)
        .base_file_url(settings.base_file_url)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)
            )
        )
        .persistence(SqlitePersistence(services))
        .concurrent_updates(processor)
        .rate_limiter(AIORateLimiter(max_retries=3))
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    processor.application = application
    application.bot_data[SERVICES_KEY] = services
    register_handlers(application, settings)
    return application


def run(settings: Settings) -> int:
    """Run with long polling until Ctrl+C; a rejected token or no connection is one line."""
    privacy_log.configure(settings.log_level)
    application = build_application(settings)
    try:
        application.run_polling(allowed_updates=Update.ALL_TYPES)
    except InvalidToken:
        print(
            "error: Telegram rejected TELEGRAM_BOT_TOKEN: check it with @BotFather", file=sys.stderr
        )
        return 2
    except NetworkError as exc:
        print(f"error: cannot reach the Bot API at {settings.api_url}: {exc}", file=sys.stderr)
        return 1
    return 0
