"""Use cases: what the bot does, as calls that own their transactions.

Telegram handlers (`bot.tg`) turn an update into one call of this layer and its plain result
into a screen; they never import `bot.storage`. A use case reads and writes through
`bot.storage` and the catalog store, in one transaction where it changes anything, and
returns plain data (cosmicpython's service layer).
"""
