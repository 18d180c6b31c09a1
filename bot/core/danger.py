"""Words of immediate danger, as a frightened person types them (stems, both languages).

When she writes them the emergency numbers come first, before anything else she is asked.
"""

from __future__ import annotations

import re

DANGER_PATTERNS: tuple[str, ...] = (
    r"убь[её]т", r"убить", r"убива", r"уб[ьи]ю", r"бь[её]т", r"избива", r"изби[лт]",
    r"удар", r"помогите", r"спасите", r"суицид", r"поконч", r"не хочу жить", r"умереть",
    r"умру", r"повес", r"изнасил", r"угрожа", r"выгнал[аи]? на улицу",
    r"өлтір", r"ұрады", r"ұрды", r"ұрып", r"соғып", r"көмектесің", r"көмек керек", r"құтқар",
    r"өлгім", r"өмір сүргім келмейді", r"зорла", r"қорқытады", r"асылып",
    r"pomogi", r"spasi", r"ubj[eo]t", r"komektes", r"oltir",
)  # fmt: skip
_DANGER = re.compile("|".join(DANGER_PATTERNS))


def is_danger(text: str) -> bool:
    """True when the text has words of immediate danger."""
    return bool(_DANGER.search(text.casefold().replace("ё", "е")))
