"""The context every handler gets: typed access to the services, her conversation, her
answers, her language and this update's turn, instead of loose dict keys."""

from __future__ import annotations

from typing import Any, cast

from telegram.ext import CallbackContext, ContextTypes, ExtBot

from bot.core.answers import Answers
from bot.core.codes import Language
from bot.core.session import Session
from bot.i18n import Translator, translator
from bot.services import Services
from bot.tg.turn import CURRENT, Lane, Turn

SERVICES_KEY = "services"


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """A `CallbackContext` with the bot's own typed properties."""

    @property
    def services(self) -> Services:
        """The process-wide services (database, catalog, live conversations)."""
        return cast(Services, self.bot_data[SERVICES_KEY])

    @property
    def turn(self) -> Turn:
        """This update's unit of work (outside an update, e.g. in a job: an empty one)."""
        turn = CURRENT.get()
        if turn is None:
            turn = Turn(None, None, None, False, Lane.NORMAL, None)
            CURRENT.set(turn)
        return turn

    @property
    def session(self) -> Session | None:
        """Her conversation, or None when she has none (a stranger, or after /cancel)."""
        return self.turn.session

    def begin(self, answers: Answers) -> Session:
        """Start a new conversation with these answers (her language, a staff link's place)."""
        session = Session(answers=answers)
        self.turn.session = session
        self.turn.ended = False
        if self.turn.user_id is not None:
            self.services.sessions[self.turn.user_id] = session
        return session

    def end(self) -> None:
        """End her conversation: the processor drops it, and checkpoints the WAL."""
        self.turn.session = None
        self.turn.ended = True
        if self.turn.user_id is not None:
            self.services.forget(self.turn.user_id)

    @property
    def answers(self) -> Answers:
        """Her answers so far (none for a stranger)."""
        session = self.session
        return session.answers if session is not None else Answers()

    @answers.setter
    def answers(self, value: Answers) -> None:
        session = self.session
        if session is None:
            session = self.begin(value)
        session.answers = value

    @property
    def language(self) -> Language:
        """Her choice, else her Telegram app's language, else the bot's default."""
        chosen = self.answers.language
        if chosen is not None:
            return chosen
        return app_language(self.turn.app_language) or Language(
            self.services.settings.default_language
        )

    @property
    def t(self) -> Translator:
        """Her translator."""
        return translator(self.language)


def app_language(code: str | None) -> Language | None:
    """kk or ru from a Telegram app's language code, if it is one of them."""
    if code and code.startswith("kk"):
        return Language.KK
    if code and code.startswith("ru"):
        return Language.RU
    return None


CONTEXT_TYPES = ContextTypes(context=BotContext)
