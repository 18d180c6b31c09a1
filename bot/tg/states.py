"""The conversation's states; stored in the database, so never renumber them."""

from telegram.ext import ConversationHandler

LANGUAGE, AGE, AGE_CONFIRM, CHILD, PLACE, NEEDS, RESULTS = range(7)
END = ConversationHandler.END
