"""Words for what matching decided: reasons, conditions, center cards, hotlines.

Shared by the Telegram conversation and the CLI, so a mother and an admin read the same
sentences. Output is Telegram HTML; `plain()` strips it for the terminal.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from bot.core.matching import Match, MatchResult, Reason
from bot.core.model import Catalog, Center, Hotline
from bot.i18n import N_, Translator

NEED_LABELS: dict[str, str] = {
    "shelter": N_("A place to live now"),
    "keep_baby": N_("Keeping my baby"),
    "pregnancy": N_("Pregnancy: support and advice"),
    "violence": N_("Safety from violence at home"),
    "psychological": N_("Someone to talk to: a psychologist"),
    "legal": N_("Lawyer, documents, alimony"),
    "medical": N_("Doctor, medical help"),
    "material": N_("Food, clothes, baby things"),
    "hiv": N_("Living with HIV"),
    "trafficking": N_("Forced work or sexual exploitation"),
    "work_study": N_("Job, training, school"),
}
# The same needs in a few words, for "Helps with: …" lines.
NEED_SHORT: dict[str, str] = {
    "shelter": N_("a place to live"),
    "keep_baby": N_("keeping the baby"),
    "pregnancy": N_("pregnancy support"),
    "violence": N_("safety from violence"),
    "psychological": N_("a psychologist"),
    "legal": N_("legal help"),
    "medical": N_("medical help"),
    "material": N_("food and things for the baby"),
    "hiv": N_("support with HIV"),
    "trafficking": N_("help after exploitation"),
    "work_study": N_("job and training"),
}
REQUIREMENT_TEXT: dict[str, str] = {
    "police_complaint": N_("Takes women only with a written complaint to the police."),
    "commission_approval": N_("A commission decides who is admitted."),
    "documents": N_("Bring any documents you have."),
}
EXCLUSION_TEXT: dict[str, str] = {
    "hiv": N_("Does not accept women living with HIV."),
    "mental_illness": N_("Does not accept women with a mental illness."),
    "substance_use": N_("Does not accept women who use alcohol or drugs."),
}
# Texts that never open a message (buttons and lines below a neutral first line); every other
# message's first line must be neutral, because phones show it on the lock screen.
DETAIL_ONLY: frozenset[str] = frozenset(
    [*NEED_LABELS.values(), *NEED_SHORT.values(), *REQUIREMENT_TEXT.values(),
     *EXCLUSION_TEXT.values()]
)  # fmt: skip
_TAG = re.compile(r"<[^>]+>")


def plain(text: str) -> str:
    """Telegram HTML as plain text, for the terminal."""
    return html.unescape(_TAG.sub("", text))


def _place_name(catalog: Catalog, place_id: str | None, t: Translator) -> str:
    place = catalog.place(place_id) if place_id else None
    return place.name.get(t.lang) if place else ""


def _region_name(catalog: Catalog, region_id: str | None, t: Translator) -> str:
    region = catalog.region(region_id) if region_id else None
    return region.name.get(t.lang) if region else ""


def location_name(catalog: Catalog, place_id: str | None, region_id: str, t: Translator) -> str:
    """Her place as she would say it: the city if known, else the region."""
    return _place_name(catalog, place_id, t) or _region_name(catalog, region_id, t)


def _age_line(reason: Reason, t: Translator) -> str:
    low, high = reason.params["min"], reason.params["max"]
    if low is not None and high is not None:
        return t.ngettext(
            "Accepts mothers aged {min} to {max} year.",
            "Accepts mothers aged {min} to {max} years.",
            high,
        ).format(min=low, max=high)
    if high is not None:
        return t.ngettext(
            "Accepts mothers up to {max} year old.", "Accepts mothers up to {max} years old.", high
        ).format(max=high)
    return t.ngettext(
        "Accepts mothers from {min} year old.", "Accepts mothers from {min} years old.", low
    ).format(min=low)


def _stay_line(reason: Reason, t: Translator) -> str:
    low, high, extra = reason.params["min"], reason.params["max"], reason.params["exceptional"]
    if low is not None:
        line = t._("Stay: from {min} to {max}.").format(min=t.duration(low), max=t.duration(high))
    else:
        line = t._("Longest stay: {max}.").format(max=t.duration(high))
    if extra is not None:
        line += " " + t._("In exceptional cases: {max}.").format(max=t.duration(extra))
    return line


def reason_text(reason: Reason, catalog: Catalog, t: Translator) -> str:
    """One reason a center fits, as a sentence."""
    p = reason.params
    texts: dict[str, Callable[[], str]] = {
        "in_your_city": lambda: t._("In your city, {place}.").format(
            place=_place_name(catalog, p["place"], t)
        ),
        "in_your_region": lambda: t._("In your region: {region}.").format(
            region=_region_name(catalog, p["region"], t)
        ),
        "nearby": lambda: (
            t._("In {place}, about {km} km from you.").format(
                place=location_name(catalog, p["place"], p["region"], t), km=round(p["km"])
            )
            if p["km"] is not None
            else t._("In {place}.").format(place=location_name(catalog, p["place"], p["region"], t))
        ),
        "national": lambda: t._("Works across Kazakhstan."),
        "offers": lambda: t._("Helps with: {needs}.").format(
            needs=t.join([t._(NEED_SHORT[n]) for n in p["needs"]])
        ),
        "accepts_mothers": lambda: _age_line(reason, t),
        "accepts_pregnant": lambda: t._("Accepts pregnant women."),
        "accepts_child_up_to": lambda: t.ngettext(
            "Accepts a child up to {months} month old.",
            "Accepts a child up to {months} months old.",
            p["months"],
        ).format(months=p["months"]),
        "stay": lambda: _stay_line(reason, t),
    }
    return texts[reason.code]()


def condition_text(reason: Reason, t: Translator) -> str:
    """One thing she should know before she goes, as a sentence."""
    code = reason.code
    if code == "requires":
        requirement = REQUIREMENT_TEXT[reason.params["code"]]
        return t._(requirement)
    if code == "does_not_accept":
        exclusion = EXCLUSION_TEXT[reason.params["code"]]
        return t._(exclusion)
    texts = {
        "minor_call_first": N_(
            "If you are under 18, call first and ask whether they can take you."
        ),
        "pregnancy_unknown": N_("Call first and ask whether they take pregnant women."),
        "unconfirmed": N_("We could not confirm it still works: call before you go."),
    }
    return t._(texts[code])


def _phone_lines(center: Center, t: Translator) -> list[str]:
    lines = []
    kinds = {"voice": "📞", "whatsapp": "💬 WhatsApp", "telegram": "✈️ Telegram"}
    for phone in center.phones:
        details = []
        if phone.hours:
            details.append(t._("around the clock") if phone.hours == "24/7" else phone.hours)
        if phone.languages:
            names = {"kk": t._("in Kazakh"), "ru": t._("in Russian")}
            details.append(t.join([names[lang] for lang in phone.languages]))
        suffix = f" ({'; '.join(details)})" if details else ""
        lines.append(f"{kinds.get(phone.kind, '📞')} {html.escape(phone.number)}{suffix}")
    return lines


def center_card(match: Match, catalog: Catalog, t: Translator, index: int, total: int) -> str:
    """A center as one message. The first line is neutral: phones show it on the lock screen."""
    center = match.center
    lines = [
        t._("Option {index} of {total}").format(index=index, total=total),
        f"<b>{html.escape(center.name.get(t.lang))}</b>",
    ]
    if center.summary:
        lines.append(html.escape(center.summary.get(t.lang)))
    lines.append("")
    lines += [f"✅ {html.escape(reason_text(r, catalog, t))}" for r in match.reasons]
    lines += [f"⚠️ {html.escape(condition_text(c, t))}" for c in match.conditions]
    lines.append("")
    phones = _phone_lines(center, t)
    if phones:
        lines += phones
    else:
        lines.append(
            t._("We do not know a direct number. Call 111 or 150: they will put you in touch.")
        )
    if center.website:
        lines.append(f"🌐 {html.escape(center.website)}")
    address = center.shown_address.get(t.lang)
    if address:
        lines.append(f"📍 {html.escape(address)}")
    lines.append(t._("<i>Checked: {date}</i>").format(date=t.date(center.provenance.verified_at)))
    return "\n".join(lines)


def hotline_line(hotline: Hotline, t: Translator) -> str:
    """ "<b>112</b> — what it is for", with hours when known."""
    line = f"<b>{html.escape(hotline.number)}</b> — {html.escape(hotline.purpose.get(t.lang))}"
    if hotline.hours == "24/7":
        note = t._("(around the clock, free)") if hotline.free else t._("(around the clock)")
        line += f" {note}"
    elif hotline.free:
        line += " " + t._("(free)")
    return line


def hotlines_block(hotlines: tuple[Hotline, ...], t: Translator) -> str:
    """Every national line, emergency numbers first, one line each."""
    return "\n".join(hotline_line(h, t) for h in sorted(hotlines, key=lambda h: not h.emergency))


def summary_line(result: MatchResult, catalog: Catalog, where: str, t: Translator) -> str:
    """The one line above the cards: how many places can help, and where."""
    local = result.local_count
    if local:
        return t.ngettext(
            "{count} place in {where} can help you.",
            "{count} places in {where} can help you.",
            local,
        ).format(count=local, where=where)
    if result.matches:
        return t._(
            "We found nothing that fits you in {where}. Here are the nearest places that can "
            "help, and the national lines."
        ).format(where=where)
    return t._(
        "We found no center that fits you yet. The national lines below work for all of "
        "Kazakhstan: call them, they will find help near you."
    )
