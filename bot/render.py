"""Words for what matching decided: reasons, conditions, center cards, hotlines, results.

Shared by the Telegram conversation and the CLI, so a mother and an admin read the same
sentences. Output is Telegram HTML, and this is the one place where text becomes HTML:
every value from the catalog, from a user or from a number goes through `esc` (directly or
through `fill`), and only the translated templates may carry tags. `plain()` strips the
tags for the terminal.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import assert_never

from bot.core.codes import Checked, Exclusion, Need, Requirement, Status
from bot.core.limits import (
    MAX_ADDRESS_CHARS,
    MAX_HOURS_CHARS,
    MAX_NAME_CHARS,
    MAX_PHONES,
    MAX_SUMMARY_CHARS,
    MAX_URL_CHARS,
    cut,
)
from bot.core.matching import NEAR_KM, Match, MatchResult
from bot.core.model import Center, CenterHead, Geography, Hotline
from bot.core.reasons import (
    AcceptsChildUpTo,
    AcceptsMothers,
    AcceptsPregnant,
    CheckLimit,
    ChildTooOld,
    ChildTooYoung,
    Condition,
    DoesNotAccept,
    Excludes,
    FartherThanOthers,
    InYourCity,
    InYourRegion,
    LeftOut,
    LimitKind,
    MinorCallFirst,
    MotherTooOld,
    MotherTooYoung,
    National,
    Nearby,
    NoNeededService,
    NoPregnant,
    NotActive,
    Offers,
    PregnancyUnknown,
    Reason,
    Requires,
    Span,
    StaysFor,
    Unconfirmed,
)
from bot.i18n import N_, Translator


def need_words(need: Need) -> tuple[str, str]:
    """A need's button label and its few words for "Helps with: …" lines (untranslated).

    A `match` with `assert_never`: a new `Need` without words here is a mypy error, and the
    tables below, built from every `Need` when the module is imported, stop the bot at start-up
    before any mother could meet a `KeyError`.
    """
    match need:
        case Need.SHELTER:
            return N_("A place to live now"), N_("a place to live")
        case Need.KEEP_BABY:
            return N_("Keeping my baby"), N_("keeping the baby")
        case Need.PREGNANCY:
            return N_("Pregnancy: support and advice"), N_("pregnancy support")
        case Need.VIOLENCE:
            return N_("Safety from violence at home"), N_("safety from violence")
        case Need.PSYCHOLOGICAL:
            return N_("Someone to talk to: a psychologist"), N_("a psychologist")
        case Need.LEGAL:
            return N_("Lawyer, documents, alimony"), N_("legal help")
        case Need.MEDICAL:
            return N_("Doctor, medical help"), N_("medical help")
        case Need.MATERIAL:
            return N_("Food, clothes, baby things"), N_("food and things for the baby")
        case Need.HIV:
            return N_("Living with HIV"), N_("support with HIV")
        case Need.TRAFFICKING:
            return N_("Forced work or sexual exploitation"), N_("help after exploitation")
        case Need.WORK_STUDY:
            return N_("Job, training, school"), N_("job and training")
        case _:
            assert_never(need)


# The needs keyboard's labels, and the same needs in a few words.
NEED_LABELS: dict[Need, str] = {need: need_words(need)[0] for need in Need}
NEED_SHORT: dict[Need, str] = {need: need_words(need)[1] for need in Need}
REQUIREMENT_TEXT: dict[Requirement, str] = {
    Requirement.POLICE_COMPLAINT: N_("Takes women only with a written complaint to the police."),
    Requirement.COMMISSION_APPROVAL: N_("A commission decides who is admitted."),
    Requirement.DOCUMENTS: N_("Bring any documents you have."),
    Requirement.ABUSER_COMPLAINT: N_(
        "May ask for a written complaint against the abuser: check by phone."
    ),
}
EXCLUSION_TEXT: dict[Exclusion, str] = {
    Exclusion.HIV: N_("Does not accept women living with HIV."),
    Exclusion.MENTAL_ILLNESS: N_("Does not accept women with a mental illness."),
    Exclusion.SUBSTANCE_USE: N_("Does not accept women who use alcohol or drugs."),
}
# Texts that never open a message (buttons and lines below a neutral first line); every other
# message's first two lines must be neutral, because phones show them on the lock screen.
DETAIL_ONLY: frozenset[str] = frozenset(
    [*NEED_LABELS.values(), *NEED_SHORT.values(), *REQUIREMENT_TEXT.values(),
     *EXCLUSION_TEXT.values()]
)  # fmt: skip
# Telegram's limit for one message; a results page holds as many cards as fit under it.
MAX_MESSAGE = 4096
# Free places change from day to day: a number older than this is not shown to her.
FREE_PLACES_FRESH_DAYS = 7
_TAG = re.compile(r"<[^>]+>")


def esc(value: object) -> str:
    """Any value as text that Telegram's HTML parser shows verbatim."""
    return html.escape(str(value), quote=False)


def fill(template: str, **values: object) -> str:
    """A translated template with its placeholders filled, every value escaped."""
    return template.format(**{key: esc(value) for key, value in values.items()})


def plain(text: str) -> str:
    """Telegram HTML as plain text, for the terminal."""
    return html.unescape(_TAG.sub("", text))


def _place_name(catalog: Geography, place_id: str | None, t: Translator) -> str:
    place = catalog.place(place_id) if place_id else None
    return place.name.get(t.lang) if place else ""


def _region_name(catalog: Geography, region_id: str | None, t: Translator) -> str:
    region = catalog.region(region_id) if region_id else None
    return region.name.get(t.lang) if region else ""


def location_name(catalog: Geography, place_id: str | None, region_id: str, t: Translator) -> str:
    """Her place as she would say it: the city if known, else the region."""
    return _place_name(catalog, place_id, t) or _region_name(catalog, region_id, t)


def _span(value: Span) -> str:
    return str(value.low) if not value.disputed else f"{value.low}–{value.high}"


def _age_line(reason: AcceptsMothers, t: Translator) -> str:
    low, high = reason.min, reason.max
    if low is not None and high is not None:
        return fill(
            t.ngettext(
                "Accepts mothers aged {min} to {max} year.",
                "Accepts mothers aged {min} to {max} years.",
                high.high,
            ),
            min=_span(low),
            max=_span(high),
        )
    if high is not None:
        return fill(
            t.ngettext(
                "Accepts mothers up to {max} year old.",
                "Accepts mothers up to {max} years old.",
                high.high,
            ),
            max=_span(high),
        )
    assert low is not None
    return fill(
        t.ngettext(
            "Accepts mothers from {min} year old.",
            "Accepts mothers from {min} years old.",
            low.high,
        ),
        min=_span(low),
    )


def _stay_line(reason: StaysFor, t: Translator) -> str:
    if reason.disputed_to is not None:
        line = fill(
            t._("Longest stay: from {low} to {high}: sources differ, check by phone."),
            low=t.duration(reason.max),
            high=t.duration(reason.disputed_to),
        )
    elif reason.min is not None:
        line = fill(
            t._("Stay: from {min} to {max}."),
            min=t.duration(reason.min),
            max=t.duration(reason.max),
        )
    else:
        line = fill(t._("Longest stay: {max}."), max=t.duration(reason.max))
    if reason.exceptional is not None:
        line += " " + fill(t._("In exceptional cases: {max}."), max=t.duration(reason.exceptional))
    return line


def _far_line(where: str, km: float, approximate: bool, t: Translator) -> str:
    """ "In Stepnogorsk, about 197 km from you." — never "near" for what is not."""
    if approximate:
        template = t._("In {place}, roughly {km} km from you (measured to the region's main town).")
    else:
        template = t._("In {place}, about {km} km from you.")
    return fill(template, place=where, km=round(km))


def reason_text(reason: Reason, catalog: Geography, t: Translator) -> str:
    """One reason a center fits, as a sentence (HTML)."""
    match reason:
        case InYourCity(place):
            # Also a village's: not "in your city".
            return fill(t._("Where you are: {place}."), place=_place_name(catalog, place, t))
        case InYourRegion(region, km, approximate, place):
            if km is None:
                name = _region_name(catalog, region, t)
                return fill(t._("In your region: {region}."), region=name)
            return _far_line(location_name(catalog, place, region, t), km, approximate, t)
        case Nearby(place, region, km, approximate):
            where = location_name(catalog, place, region or "", t)
            if km is None:
                return fill(t._("In {place}."), place=where)
            return _far_line(where, km, approximate, t)
        case National():
            return esc(t._("Works across Kazakhstan."))
        case Offers(needs):
            return fill(
                t._("Helps with: {needs}."), needs=t.join([t._(NEED_SHORT[n]) for n in needs])
            )
        case AcceptsMothers():
            return _age_line(reason, t)
        case AcceptsPregnant():
            return esc(t._("Accepts pregnant women."))
        case AcceptsChildUpTo(months):
            return fill(
                t.ngettext(
                    "Accepts a child up to {months} month old.",
                    "Accepts a child up to {months} months old.",
                    months.high,
                ),
                months=_span(months),
            )
        case StaysFor():
            return _stay_line(reason, t)
        case _:
            assert_never(reason)


def _limit_text(check: CheckLimit, t: Translator) -> str:
    # The plural form follows the number read last ("до 30–31 года", "от 21 года").
    value, count = _span(check.span), check.span.high
    if check.span.unconfirmed:
        return _unconfirmed_limit_text(check, value, count, t)
    match check.limit:
        case LimitKind.MOTHER_AGE_MAX:
            template = t.ngettext(
                "Age limit up to {value} year: sources differ, check by phone.",
                "Age limit up to {value} years: sources differ, check by phone.",
                count,
            )
        case LimitKind.MOTHER_AGE_MIN:
            template = t.ngettext(
                "Age limit from {value} year: sources differ, check by phone.",
                "Age limit from {value} years: sources differ, check by phone.",
                count,
            )
        case LimitKind.CHILD_AGE_MAX:
            template = t._("Child's age up to {value} months: sources differ, check by phone.")
        case LimitKind.CHILD_AGE_MIN:
            template = t._("Child's age from {value} months: sources differ, check by phone.")
        case _:
            assert_never(check.limit)
    return fill(template, value=value)


def _unconfirmed_limit_text(check: CheckLimit, value: str, count: int, t: Translator) -> str:
    match check.limit:
        case LimitKind.MOTHER_AGE_MAX:
            template = t.ngettext(
                "Age limit up to {value} year: not confirmed, check by phone.",
                "Age limit up to {value} years: not confirmed, check by phone.",
                count,
            )
        case LimitKind.MOTHER_AGE_MIN:
            template = t.ngettext(
                "Age limit from {value} year: not confirmed, check by phone.",
                "Age limit from {value} years: not confirmed, check by phone.",
                count,
            )
        case LimitKind.CHILD_AGE_MAX:
            template = t._("Child's age up to {value} months: not confirmed, check by phone.")
        case LimitKind.CHILD_AGE_MIN:
            template = t._("Child's age from {value} months: not confirmed, check by phone.")
        case _:
            assert_never(check.limit)
    return fill(template, value=value)


def condition_text(condition: Condition, t: Translator) -> str:
    """One thing she should know before she goes, as a sentence (HTML)."""
    match condition:
        case Requires(code):
            return esc(t._(REQUIREMENT_TEXT[code]))
        case DoesNotAccept(code):
            return esc(t._(EXCLUSION_TEXT[code]))
        case MinorCallFirst():
            return esc(t._("If you are under 18, call first and ask whether they can take you."))
        case PregnancyUnknown():
            return esc(t._("Call first and ask whether they take pregnant women."))
        case Unconfirmed():
            # The card's last line already says to call before going.
            return esc(t._("We could not confirm that this place still works."))
        case CheckLimit():
            return _limit_text(condition, t)
        case _:
            assert_never(condition)


def left_out_text(reason: LeftOut, t: Translator) -> str:
    """Why a center was left out, for admins (`--explain`, `/find`)."""
    match reason:
        case NotActive(status):
            closed = status == Status.CLOSED
            return t._("closed") if closed else t._("temporarily closed")
        case MotherTooYoung(minimum):
            template = t.ngettext(
                "mother younger than {min} year", "mother younger than {min} years", minimum
            )
            return fill(template, min=minimum)
        case MotherTooOld(maximum):
            template = t.ngettext(
                "mother older than {max} year", "mother older than {max} years", maximum
            )
            return fill(template, max=maximum)
        case NoPregnant():
            return t._("does not take pregnant women")
        case ChildTooOld(months):
            return fill(t._("child older than {months} months"), months=months)
        case ChildTooYoung(months):
            return fill(t._("child younger than {months} months"), months=months)
        case Excludes(code):
            return esc(t._(EXCLUSION_TEXT[code]))
        case NoNeededService():
            return t._("offers nothing she asked for")
        case FartherThanOthers():
            return t._("farther away than the centers shown")
        case _:
            assert_never(reason)


@dataclass(frozen=True)
class _Caps:
    """How much of each free text a card shows (characters; phones: how many numbers)."""

    name: int
    summary: int
    phones: int
    phone_hours: int
    hours: int
    website: int
    address: int


# A card shows every field up to its bound (`bot.core.limits`), which also cuts an entry
# stored before the bounds existed. A card that still shows more than CARD_ROOM characters
# (every field at its bound, many conditions) is shown with its long texts cut further, with
# «…», so that one card and the page around it (under 1,300 characters of head, summary and
# national lines) always fit one Telegram message of 4,096.
CARD_ROOM = 2700
_CAPS = (
    _Caps(MAX_NAME_CHARS, MAX_SUMMARY_CHARS, MAX_PHONES, MAX_HOURS_CHARS, MAX_HOURS_CHARS,
          MAX_URL_CHARS, MAX_ADDRESS_CHARS),
    _Caps(MAX_NAME_CHARS, 300, MAX_PHONES, 40, MAX_HOURS_CHARS, 150, 150),
    _Caps(120, 120, 3, 20, 40, 80, 80),
    _Caps(80, 0, 2, 0, 30, 60, 60),
)  # fmt: skip


def _phone_lines(center: Center, t: Translator, caps: _Caps = _CAPS[0]) -> list[str]:
    lines = []
    kinds = {"voice": "📞", "whatsapp": "💬 WhatsApp", "telegram": "✈️ Telegram"}
    names = {"kk": t._("in Kazakh"), "ru": t._("in Russian")}
    for phone in center.phones[: caps.phones]:
        details = []
        hours = cut(phone.hours, caps.phone_hours) if caps.phone_hours else ""
        if hours:
            details.append(t._("around the clock") if phone.hours == "24/7" else hours)
        if phone.languages:
            details.append(t.join([names[lang] for lang in phone.languages]))
        suffix = f" ({'; '.join(details)})" if details else ""
        lines.append(esc(f"{kinds.get(phone.kind, '📞')} {phone.number}{suffix}"))
    return lines


def verification_line(center: Center | CenterHead, t: Translator) -> str:
    """How the card's facts were last checked, said plainly: never a bare "checked". Public
    sources are dated by the newest of them, not by the day someone read them."""
    prov = center.provenance
    day = prov.verified_at.strftime("%d.%m.%Y")
    match prov.verified_how:
        case Checked.DESK:
            if isinstance(prov.newest_source, int):
                return fill(
                    t._("From public sources of {year}: call before you go."),
                    year=prov.newest_source,
                )
            return esc(t._("From public sources of an unknown date: call before you go."))
        case Checked.PHONED:
            return fill(t._("Confirmed by phone on {date}."), date=day)
        case Checked.CENTER:
            return fill(t._("Confirmed by the center itself on {date}."), date=day)
        case _:
            assert_never(prov.verified_how)


def free_places_line(center: Center, t: Translator, today: date | None = None) -> str:
    """ "Free places: 3 (the center said so on 28.11.2026)", only while the number is fresh."""
    said = center.free_places_at
    if center.free_places is None or said is None:
        return ""
    if ((today or date.today()) - said).days > FREE_PLACES_FRESH_DAYS:
        return ""
    return fill(
        t.ngettext(
            "🛏 {count} free place (the center said so on {date}).",
            "🛏 {count} free places (the center said so on {date}).",
            center.free_places,
        ),
        count=center.free_places,
        date=said.strftime("%d.%m.%Y"),
    )


def center_card(
    match: Match,
    center: Center,
    catalog: Geography,
    t: Translator,
    index: int | None,
    room: int = CARD_ROOM,
) -> str:
    """A center as one block of a results page: the number, then the name, then the rest;
    showing at most `room` characters (long texts cut with «…» when needed).

    `match` says why it fits; `center` is the whole entry (read for the cards on her page).
    A card alone in its message (shared) has no number: `index` None.
    """
    for caps in _CAPS:
        text = _card(match, center, catalog, t, index, caps)
        if len(plain(text)) <= room:  # Telegram counts the characters it shows
            break
    return text


def _card(
    match: Match,
    center: Center,
    catalog: Geography,
    t: Translator,
    index: int | None,
    caps: _Caps,
) -> str:
    number = f"{index}. " if index is not None else ""
    lines = [f"<b>{number}{esc(cut(center.name.get(t.lang), caps.name))}</b>"]
    summary = cut(center.summary.get(t.lang), caps.summary) if caps.summary else ""
    if summary:
        lines.append(esc(summary))
    lines += [f"✅ {reason_text(r, catalog, t)}" for r in match.reasons]
    lines += [f"⚠️ {condition_text(c, t)}" for c in match.conditions]
    phones = _phone_lines(center, t, caps)
    if phones:
        lines += phones
    else:
        lines.append(
            esc(t._("We do not know a direct number. Call 111 or 150: they will put you in touch."))
        )
    if center.hours:
        lines.append(fill(t._("🕘 Hours: {hours}"), hours=cut(center.hours, caps.hours)))
    free = free_places_line(center, t)
    if free:
        lines.append(free)
    if center.website:
        lines.append(f"🌐 {esc(cut(center.website, caps.website))}")
    address = center.shown_address.get(t.lang)
    if address:
        lines.append(f"📍 {esc(cut(address, caps.address))}")
    lines.append(f"<i>{verification_line(center, t)}</i>")
    return "\n".join(lines)


def center_card_alone(center: Center, t: Translator) -> str:
    """A center on its own, without a search (a consultant sends it to her): name, summary,
    phones or how to reach it, hours, website, address, how it was checked."""
    lines = [f"<b>{esc(center.name.get(t.lang))}</b>"]
    if center.summary:
        lines.append(esc(center.summary.get(t.lang)))
    lines += _phone_lines(center, t) or [
        esc(t._("We do not know a direct number. Call 111 or 150: they will put you in touch."))
    ]
    if center.hours:
        lines.append(fill(t._("🕘 Hours: {hours}"), hours=center.hours))
    if center.website:
        lines.append(f"🌐 {esc(center.website)}")
    address = center.shown_address.get(t.lang)
    if address:
        lines.append(f"📍 {esc(address)}")
    lines.append(f"<i>{verification_line(center, t)}</i>")
    return "\n".join(lines)


def hotline_line(hotline: Hotline, t: Translator) -> str:
    """ "<b>112</b> — what it is for", with hours when known."""
    line = f"<b>{esc(hotline.number)}</b> — {esc(hotline.purpose.get(t.lang))}"
    if hotline.hours == "24/7":
        note = t._("(around the clock, free)") if hotline.free else t._("(around the clock)")
        line += f" {esc(note)}"
    elif hotline.free:
        line += " " + esc(t._("(free)"))
    return line


def anonymity_line(hotlines: tuple[Hotline, ...], t: Translator) -> str:
    """Which lines she may call without giving her name ("" when none): said once, under the
    lines, never again in a line's purpose."""
    anonymous = [h.number for h in hotlines if h.anonymous]
    if not anonymous:
        return ""
    return fill(t._("You do not have to give your name on {numbers}."), numbers=t.join(anonymous))


def hotlines_block(hotlines: tuple[Hotline, ...], t: Translator) -> str:
    """Every national line, emergency numbers first, one line each; then which need no name."""
    lines = [hotline_line(h, t) for h in sorted(hotlines, key=lambda h: not h.emergency)]
    anonymity = anonymity_line(hotlines, t)
    return "\n".join([*lines, anonymity] if anonymity else lines)


def summary_line(result: MatchResult, where: str, t: Translator) -> str:
    """How many organisations can help, and where."""
    local = result.local_count
    nearest = result.nearest_local_km
    if local and nearest is not None and nearest > NEAR_KM:
        return fill(
            t.ngettext(
                "{count} organisation in your region can help you; the nearest is about {km} "
                "km from you.",
                "{count} organisations in your region can help you; the nearest is about {km} "
                "km from you.",
                local,
            ),
            count=local,
            km=round(nearest),
        )
    if local:
        return fill(
            t.ngettext(
                "{count} organisation in {where} can help you.",
                "{count} organisations in {where} can help you.",
                local,
            ),
            count=local,
            where=where,
        )
    if result.matches:
        return fill(
            t._(
                "We found nothing that fits you in {where}. Here are the nearest places that "
                "can help, and the national lines."
            ),
            where=where,
        )
    return esc(
        t._(
            "We found no center that fits you yet. The national lines below work for all of "
            "Kazakhstan: call them, they will find help near you."
        )
    )


def pages(
    result: MatchResult,
    centers: Mapping[str, Center],
    catalog: Geography,
    t: Translator,
    budget: int,
    up_to: int,
) -> list[range]:
    """The first `up_to + 1` pages of at most three cards that fit into `budget` characters.

    Deterministic, so the page number she is on is enough to show the same page again; only
    the pages up to hers are put into words (a big city has hundreds of matches).
    """
    spans: list[range] = []
    start = 0
    total = len(result.matches)
    while start < total and len(spans) <= up_to:
        end, used = start, 0
        while end < total and end - start < 3:
            match = result.matches[end]
            size = len(center_card(match, centers[match.center.id], catalog, t, end + 1)) + 2
            if end > start and used + size > budget:
                break
            used += size
            end += 1
        spans.append(range(start, end))
        start = end
    return spans
