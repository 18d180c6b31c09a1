"""The Telegram application: one ordered handler registry, services opened at start and
closed at stop, the receiver (long polling or webhook) in front, and `run()`.

Start and stop are `start_bot` / `stop_bot`, used by `run()` and by the tests alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from typing import Any

from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot import logs
from bot.config import Settings
from bot.core.answers import Step
from bot.i18n import N_, translator
from bot.render import esc
from bot.services import Services
from bot.storage.db import DatabaseError
from bot.tg import (
    admin,
    adminkit,
    awaiting,
    commands,
    conversation,
    editing,
    history,
    invites,
    live,
    reports,
    safety,
    staff,
    stale,
)
from bot.tg.context import CONTEXT_TYPES, SERVICES_KEY, BotContext
from bot.tg.menu import COMMANDS
from bot.tg.processor import UpdateProcessor
from bot.tg.ratelimit import LaneRateLimiter
from bot.tg.receiver import Receiver
from bot.tg.screens import REPORT
from bot.tg.send import ack, say
from bot.usecases import purge

_LOGGER = logging.getLogger(__name__)
Handler = BaseHandler[Update, BotContext, Any]
AnyApp = Application[Any, Any, Any, Any, Any, Any]
PURGE_INTERVAL_SECONDS = 60
RECEIVER_KEY = "receiver"

# Shown before the first /start and in the bot's profile: neutral, nothing alarming.
DESCRIPTION = N_(
    "Ana Komek helps young mothers and pregnant women in Kazakhstan find support, advice and "
    "a place to stay near them. Free and anonymous."
)
SHORT_DESCRIPTION = N_("Support and advice for young mothers. Free and anonymous.")
_STEP_TAPS = "^(" + "|".join(step.value for step in Step) + "):"


async def private_only(update: Update, context: BotContext) -> None:
    """Outside a private chat the bot does nothing (a tap is only answered, silently)."""
    tapped = isinstance(update, Update) and update.callback_query is not None
    if tapped and not context.turn.private:
        await ack(update)
        raise ApplicationHandlerStop


async def on_error(update: object, context: BotContext) -> None:
    """Log the kind of update, never its content or its sender; tell her kindly."""
    kind = logs.update_kind(update)
    update_id = update.update_id if isinstance(update, Update) else "-"
    error = context.error
    _LOGGER.error("Error while handling update %s (%s)", update_id, kind, exc_info=error)
    if isinstance(error, NetworkError):
        return  # sending failed after its retries: her next message gets the screen again
    if isinstance(update, Update) and context.turn.private and context.turn.chat_id:
        t = context.t
        with contextlib.suppress(TelegramError):
            await say(
                context,
                esc(
                    t._(
                        "Sorry, something went wrong on my side. "
                        "Please try again, or tap /sos for the numbers."
                    )
                ),
            )
    if isinstance(update, Update):
        # One answer per update: no later handler (her conversation's "unknown command")
        # answers the same update a second time.
        raise ApplicationHandlerStop


def register_handlers(application: AnyApp, settings: Settings) -> None:
    """Every handler, in the order they are tried. Groups run one after another."""
    private = filters.ChatType.PRIVATE
    message = private & filters.UpdateType.MESSAGE
    # -4: an admin's update whose change is stored already (handled again after a crash)
    # is answered in one line and not applied twice.
    if settings.admin_ids:
        application.add_handler(TypeHandler(Update, adminkit.already_done), group=-4)
    # -3: the bot acts in private chats only.
    application.add_handler(TypeHandler(Update, private_only), group=-3)
    # -2: words of danger bring the emergency numbers before anything else (edits too).
    danger = (filters.TEXT | filters.CAPTION) & private & filters.UpdateType.MESSAGES
    application.add_handler(MessageHandler(danger, safety.danger_alert), group=-2)
    # -1: what never depends on where the conversation is.
    information: list[Handler] = [
        CommandHandler("sos", safety.sos_command, filters=message),
        CallbackQueryHandler(safety.sos_command, pattern="^sos$"),
        CommandHandler("help", safety.help_command, filters=message),
        CommandHandler("privacy", safety.privacy_command, filters=message),
        CommandHandler("clear", safety.clear_chat, filters=message),
        CallbackQueryHandler(safety.clear_chat, pattern="^clear$"),
        CommandHandler("forget", safety.forget_me, filters=message),
        ChatMemberHandler(safety.blocked, ChatMemberHandler.MY_CHAT_MEMBER),
    ]
    for handler in information:
        application.add_handler(handler, group=-1)
    # -1 too: the admins' catalog tools, which exist only for ADMIN_IDS (anyone else's
    # /edit is an unknown command, and their taps on admin buttons are old buttons).
    if settings.admin_ids:
        admin_only = message & filters.User(user_id=settings.admin_ids)
        for command in commands.commands_of(commands.Role.ADMIN):
            application.add_handler(
                CommandHandler(
                    command.name, commands.admin_command(command.handler), filters=admin_only
                ),
                group=-1,
            )
        application.add_handler(
            MessageHandler(filters.Document.ALL & admin_only, admin.upload), group=-1
        )
        for prefix, tapped in (
            (editing.EDIT, editing.field_tapped),
            (adminkit.MENU, editing.menu_tapped),
            (adminkit.UNDO, history.undo_tapped),
            (history.HISTORY, history.history_tapped),
            (invites.APPROVE, invites.approve_tapped),
        ):
            application.add_handler(CallbackQueryHandler(tapped, pattern=f"^{prefix}:"), group=-1)
    # -1 too: answers someone is awaited for outside the conversation (an admin's value, a
    # coordinator's correction, a report's words); for anyone else these never match.
    services: Services = application.bot_data[SERVICES_KEY]
    awaited = message & awaiting.Awaited(services)
    application.add_handler(CommandHandler("cancel", awaiting.on_cancel, filters=awaited), -1)
    application.add_handler(
        MessageHandler(filters.TEXT & ~filters.COMMAND & awaited, awaiting.on_text), group=-1
    )
    application.add_handler(awaiting.value_handler(), group=-1)
    application.add_handler(
        CallbackQueryHandler(invites.on_tap, pattern=f"^{invites.INVITE}:"), group=-1
    )
    # -1 too: the live line. Her messages while her case is open go to the consultant (words
    # of danger brought the numbers first, in -2); a consultant's messages go to the mother
    # of the case they answer. Consultants' taps from anyone else fall through to the
    # conversation, which treats them as old buttons; their commands as unknown ones.
    staff_ids = settings.staff_ids | settings.admin_ids
    application.add_handler(CommandHandler("talk", live.talk, filters=message), group=-1)
    application.add_handler(CallbackQueryHandler(live.talk, pattern=f"^{live.TALK}$"), group=-1)
    application.add_handler(
        CallbackQueryHandler(live.her_tap, pattern=f"^{live.PREFIX}:(wait|stop|share)$"), group=-1
    )
    application.add_handler(
        MessageHandler(message & ~filters.COMMAND & live.HerCaseOpen(services), live.from_her),
        group=-1,
    )
    if staff_ids:
        # A consultant in the middle of a /link dialog: its typed step wins over their cases
        # (`staff.consultant_text`). The consultants' commands (/duty, /card, /end,
        # /transfer, /block) are staff commands of the registry (`bot.tg.commands`),
        # registered with the staff tools below.
        consultant = message & filters.User(user_id=staff_ids)
        application.add_handler(
            MessageHandler(
                consultant & ~filters.COMMAND & live.HoldsCases(services), staff.consultant_text
            ),
            group=-1,
        )
    application.add_handler(
        CallbackQueryHandler(live.consultant_tap, pattern=f"^{live.PREFIX}:(take|n|end|tr|blk):"),
        group=-1,
    )
    # -1 too: staff tools (STAFF_IDS and admins); inline sharing is open to everyone.
    if staff_ids:
        staff_only = message & filters.User(user_id=staff_ids)
        # Admins' /stats (registered above) comes first and includes the staff counts.
        for command in commands.commands_of(commands.Role.STAFF):
            application.add_handler(
                CommandHandler(command.name, command.handler, filters=staff_only), group=-1
            )
        application.add_handler(CallbackQueryHandler(staff.link_tapped, pattern="^link:"), group=-1)
        application.add_handler(
            MessageHandler(filters.TEXT & ~filters.COMMAND & staff_only, staff.source_typed),
            group=-1,
        )
    application.add_handler(InlineQueryHandler(staff.inline_query), group=-1)
    # 0: the conversation.
    conversation_handlers: list[Handler] = [
        CommandHandler("start", conversation.start, filters=message),
        CallbackQueryHandler(conversation.start, pattern="^restart$"),
        CommandHandler("language", conversation.language_command, filters=message),
        CommandHandler("cancel", conversation.cancel, filters=message),
        CallbackQueryHandler(conversation.on_tap, pattern=_STEP_TAPS),
        CallbackQueryHandler(reports.on_tap, pattern=f"^{REPORT}(:|$)"),
        MessageHandler(filters.LOCATION & message, conversation.location_shared),
        MessageHandler(filters.TEXT & ~filters.COMMAND & message, conversation.on_text),
        MessageHandler(message, conversation.not_understood),
        CallbackQueryHandler(conversation.stale_button),
    ]
    for handler in conversation_handlers:
        application.add_handler(handler, group=0)
    application.add_error_handler(on_error)


async def _set_bot_profile(application: AnyApp, settings: Settings) -> None:
    """Command menu, description and short description in both languages.

    Apps in another language get both languages at once. Only what differs from what
    Telegram already has is sent, so restarts do not run into Telegram's flood limits.
    """
    bot = application.bot
    kk, ru = translator("kk"), translator("ru")
    for lang in (None, "kk", "ru"):
        t = translator(lang or settings.default_language)
        commands = [BotCommand(name, t._(description)) for name, description in COMMANDS]
        if lang is None:
            description = "\n\n".join([kk._(DESCRIPTION), ru._(DESCRIPTION)])
            short = " / ".join([kk._(SHORT_DESCRIPTION), ru._(SHORT_DESCRIPTION)])
        else:
            description, short = t._(DESCRIPTION), t._(SHORT_DESCRIPTION)
        if tuple(await bot.get_my_commands(language_code=lang)) != tuple(commands):
            await bot.set_my_commands(commands, language_code=lang)
        if (await bot.get_my_description(language_code=lang)).description != description:
            await bot.set_my_description(description, language_code=lang)
        current = await bot.get_my_short_description(language_code=lang)
        if current.short_description != short:
            await bot.set_my_short_description(short, language_code=lang)


async def purge_expired(context: BotContext) -> None:
    """Keep nothing longer than needed: end idle conversations (dropping what they kept),
    then message ids past Telegram's 48-hour window, handled inbox rows and old counts."""
    services = context.services
    awaiting.drop_expired(services)
    ended = await conversation.end_idle_conversations(context)
    gone = await purge.purge_expired(services)
    if ended or gone:
        _LOGGER.info("Ended %d idle conversations; purged %d expired rows", ended, gone)


async def watch_catalog(context: BotContext) -> None:
    """Switch to a catalog that another process (the CLI) changed."""
    if await context.services.reload_if_changed():
        _LOGGER.info("The catalog changed in the database; reloaded it")


class StatelessApplication(Application[Any, Any, Any, Any, Any, Any]):
    """PTB's Application without the ids it gathers for a persistence this bot does not use.

    PTB adds the user and chat of every update it handles to two sets, which only a
    persistence's periodic save ever empties; without one they grew by every user and chat
    the bot ever saw (two ids each, never dropped): a leak over months. Her conversation
    lives in `Services.sessions` and SQLite, never in PTB's `user_data` / `chat_data`.
    """

    def _mark_for_persistence_update(
        self, *, update: object | None = None, job: Any = None
    ) -> None:
        if self.persistence is not None:
            super()._mark_for_persistence_update(update=update, job=job)


def build_application(settings: Settings, services: Services | None = None) -> AnyApp:
    """The bot, ready to start; nothing is opened until `start_bot`."""
    services = services or Services(settings)
    processor = UpdateProcessor()
    application: AnyApp = (
        ApplicationBuilder()
        .application_class(StatelessApplication)
        .token(settings.token)
        .base_url(settings.base_url)
        .base_file_url(settings.base_file_url)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)
            )
        )
        .context_types(CONTEXT_TYPES)
        .concurrent_updates(processor)
        .rate_limiter(LaneRateLimiter())
        .updater(None)
        .build()
    )
    processor.application = application
    application.bot_data[SERVICES_KEY] = services
    application.bot_data[RECEIVER_KEY] = Receiver(application, services)
    register_handlers(application, settings)
    return application


async def start_bot(application: AnyApp, *, poll: bool = True) -> Receiver:
    """Open everything, then receive: by webhook when configured, else by long polling."""
    services: Services = application.bot_data[SERVICES_KEY]
    receiver: Receiver = application.bot_data[RECEIVER_KEY]
    await services.database()
    await application.initialize()
    _LOGGER.info(
        "Catalog loaded: %d centers, %d hotlines, %d places",
        len(services.catalog.centers),
        len(services.catalog.hotlines),
        len(services.catalog.places),
    )
    try:
        await _set_bot_profile(application, services.settings)
        await commands.set_admin_menus(application.bot, services)
    except TelegramError as exc:
        _LOGGER.warning("Could not set the bot's commands and description: %s", exc)
    if application.job_queue is not None:
        interval = min(PURGE_INTERVAL_SECONDS, max(1.0, services.idle_seconds / 4))
        application.job_queue.run_repeating(purge_expired, interval=interval, first=1)
        application.job_queue.run_repeating(watch_catalog, interval=PURGE_INTERVAL_SECONDS)
        application.job_queue.run_repeating(live.timers, interval=live.TICK_SECONDS, first=1)
        if services.settings.admin_ids:
            application.job_queue.run_daily(
                stale.weekly_stale, time=stale.WEEKLY_AT, days=(stale.WEEKLY_DAY,)
            )
    await application.start()
    settings = services.settings
    if poll and settings.webhook_url:
        await receiver.start_webhook(
            settings.webhook_url, settings.webhook_secret, settings.webhook_listen, settings.port
        )
    elif poll:
        await receiver.start_polling()
    return receiver


async def stop_bot(application: AnyApp) -> None:
    """Stop receiving, finish what is in hand, close everything (safe to call twice)."""
    receiver: Receiver = application.bot_data[RECEIVER_KEY]
    services: Services = application.bot_data[SERVICES_KEY]
    await receiver.stop()
    if application.running:
        await application.stop()
    await application.shutdown()
    await services.close()


async def _serve(settings: Settings) -> int:
    application = build_application(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        receiver = await start_bot(application)
    except InvalidToken:
        await stop_bot(application)
        print("error: Telegram rejected TELEGRAM_BOT_TOKEN: check it with @BotFather",
              file=sys.stderr)  # fmt: skip
        return 2
    except BadRequest as exc:  # Telegram answered, and refused (setWebhook with a bad URL)
        await stop_bot(application)
        reason = logs.mask(exc.message) or type(exc).__name__
        what = (
            f"Telegram refused the webhook {settings.webhook_url}"
            if settings.webhook_url
            else "Telegram refused a request at start"
        )
        print(f"error: {what}: {reason}", file=sys.stderr)
        return 2
    except (NetworkError, OSError) as exc:
        await stop_bot(application)
        if isinstance(exc, OSError) and settings.webhook_url:  # the port: in use, or not ours
            reason = exc.strerror or logs.mask(str(exc)) or type(exc).__name__
            line = f"cannot listen for the webhook on port {settings.port}: {reason}"
        else:
            reason = logs.mask(str(exc)) or type(exc).__name__
            line = f"cannot reach the Bot API at {settings.api_url}: {reason}"
        print(f"error: {line}", file=sys.stderr)
        return 2
    waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(receiver.failed.wait())]
    await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    for waiter in waiters:
        waiter.cancel()
    await stop_bot(application)
    if receiver.fatal is not None:
        print(f"error: {receiver.fatal}", file=sys.stderr)
        return 2
    return 0


def run(settings: Settings) -> int:
    """Run until Ctrl+C or SIGTERM; every startup failure is one line and exit code 2."""
    logs.configure(settings.log_level)
    try:
        return asyncio.run(_serve(settings))
    except DatabaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
