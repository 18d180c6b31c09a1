"""Entry point: `python -m bot` runs the bot; see `python -m bot --help` for the rest."""

import sys

from bot.cli import main

sys.exit(main())
