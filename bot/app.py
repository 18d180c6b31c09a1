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
    CONVERSATION_KEYS,
    SERVICES_KEY,
    TOUCHED,
    Context,
    is_private,
    remember_messages,
    suggested_language,
    touch,
)
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
        with contextlib.suppress(TelegramError):
            await context.bot.send_message(
                update.effective_chat.id,
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
            MessageHandler(anything_else, conv.first_contact),
            CallbackQueryHandler(conv.first_contact),
        ],
        states={
            states.LANGUAGE: [
                language_chosen,
                MessageHandler(text, conv.wrong_input),
                MessageHandler(anything_else, conv.not_understood),
            ],
            states.AGE: [
                CallbackQueryHandler(conv.age_tapped, pattern="^age:"),
                MessageHandler(text, conv.age_typed),
                MessageHandler(anything_else, conv.not_understood),
            ],
            states.AGE_CONFIRM: [
                CallbackQueryHandler(conv.age_confirmed, pattern="^age_ok$"),
                CallbackQueryHandler(conv.age_rejected, pattern="^age_redo$"),
                CallbackQueryHandler(conv.age_tapped, pattern="^age:"),
                MessageHandler(text, conv.age_typed),
                MessageHandler(anything_else, conv.not_understood),
            ],
            states.CHILD: [
                CallbackQueryHandler(conv.child_tapped, pattern="^child:"),
                MessageHandler(text, conv.child_typed),
                MessageHandler(anything_else, conv.not_understood),
            ],
            states.PLACE: [
                CallbackQueryHandler(conv.place_tapped, pattern="^place:"),
                CallbackQueryHandler(conv.regions_listed, pattern="^regions$"),
                CallbackQueryHandler(conv.region_tapped, pattern="^region:"),
                MessageHandler(filters.LOCATION & private, conv.location_shared),
                MessageHandler(text, conv.place_typed),
                MessageHandler(anything_else, conv.not_understood),
            ],
            states.NEEDS: [
                CallbackQueryHandler(conv.need_toggled, pattern="^need:"),
                CallbackQueryHandler(conv.needs_done, pattern="^needs:done$"),
                MessageHandler(text, conv.needs_typed),
                MessageHandler(anything_else, conv.not_understood),
            ],
            states.RESULTS: [
                CallbackQueryHandler(results.show_more, pattern="^more$"),
                CallbackQueryHandler(results.change_menu, pattern="^change$"),
                CallbackQueryHandler(results.change_answer, pattern="^change:"),
                MessageHandler(text, conv.wrong_input),
                MessageHandler(anything_else, conv.not_understood),
            ],
            ConversationHandler.TIMEOUT: [TypeHandler(Update, conv.timed_out)],
        },
        fallbacks=[
            start,
            restart,
            language,
            language_button,
            language_chosen,
            *wipe,
            CommandHandler("cancel", conv.cancel, filters=private),
            MessageHandler(filters.COMMAND & private, conv.not_understood),
            CallbackQueryHandler(conv.stale_button),
        ],
        conversation_timeout=settings.conversation_timeout_minutes * 60,
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
    application.add_handler(MessageHandler(filters.TEXT & private, safety.danger_alert), group=-2)
    # -1: information that never changes where the conversation is.
    for handler in (
        CommandHandler("sos", safety.sos_command, filters=private),
        CallbackQueryHandler(safety.sos_command, pattern="^sos$"),
        CommandHandler("help", safety.help_command, filters=private),
        CommandHandler("privacy", safety.privacy_command, filters=private),
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
    """Command menu, description and short description in both languages."""
    bot = application.bot
    for lang in (None, "kk", "ru"):
        t = translator(lang or default_lang)
        commands = [BotCommand(name, t._(description)) for name, description in COMMANDS]
        await bot.set_my_commands(commands, language_code=lang)
        await bot.set_my_description(t._(DESCRIPTION), language_code=lang)
        await bot.set_my_short_description(t._(SHORT_DESCRIPTION), language_code=lang)


async def purge_expired(context: Context) -> None:
    """Drop what is no longer needed: idle answers, stale users, old message ids."""
    services: Services = context.bot_data[SERVICES_KEY]
    settings = services.settings
    idle = settings.conversation_timeout_minutes * 60
    retention = settings.message_retention_hours * 3600
    now = state_repo.now()
    application = context.application
    for user_id, data in list(application.user_data.items()):
        touched = float(data.get(TOUCHED, 0))
        if now - touched > retention:
            application.drop_user_data(user_id)
        elif now - touched > idle and any(key in data for key in CONVERSATION_KEYS):
            for key in CONVERSATION_KEYS:
                data.pop(key, None)
            application.mark_data_for_update_persistence(user_ids=user_id)
    await application.update_persistence()
    counts = await state_repo.purge_expired(await services.database(), idle, retention)
    if await services.reload_if_changed():
        _LOGGER.info("The catalog changed on disk; reloaded it")
    if any(counts.values()):
        _LOGGER.info("Purged expired rows: %s", counts)


async def post_init(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Open the database, load the catalog, register the menu, start the purge job."""
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
        application.job_queue.run_repeating(purge_expired, interval=PURGE_INTERVAL_SECONDS, first=1)


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
