"""Per-field changes to one center, as plain data: a field, a value as an admin typed it, and
the new `Center` or a typed error.

Every value is validated exactly as the data files are: the center is written as its data
file's table (`writer.center_to_table`), the one key is changed, and the table is read back
with `files.read_center_table`. Any problem the data files would have refuses the change, so
an edit from a phone can never store what `catalog check` would reject.

How an entry was checked is part of every change. Contact facts a mother acts on (phones,
hours, address, website, free places) are stamped with how, when and by whom they were
learned: an admin who adds a number has phoned (`phoned`, today, "Telegram admin <id>"); a
center's own word, approved by an admin, is `center`. A phone from Telegram has no URL,
which the data files accept only for an entry checked that way.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as default
from datetime import date
from enum import StrEnum
from typing import Any

from bot.catalog.files import (
    CENTERS_DIR,
    FIRST_SOURCE_YEAR,
    MAX_FREE_PLACES,
    MAX_ID_LENGTH,
    Problem,
    phone_problem,
    read_center_table,
)
from bot.catalog.writer import center_to_table
from bot.core.codes import (
    Checked,
    Coverage,
    Exclusion,
    Need,
    OrgType,
    PhoneKind,
    Requirement,
    Status,
)
from bot.core.durations import parse_duration
from bot.core.limits import (
    MAX_ADDRESS_CHARS,
    MAX_HOURS_CHARS,
    MAX_NAME_CHARS,
    MAX_NOTES_CHARS,
    MAX_PHONES,
    MAX_SOURCE_URL_CHARS,
    MAX_SOURCES,
    MAX_STATUS_REASON_CHARS,
    MAX_STAY_HOURS,
    MAX_SUMMARY_CHARS,
    MAX_URL_CHARS,
    MIN_LONGEST_STAY_HOURS,
    MIN_STAY_HOURS,
)
from bot.core.model import UNKNOWN_YEAR, Center, Disputed, Limit, Localized, Phone, SourceYear
from bot.core.web import is_url


class Field(StrEnum):
    """What one change changes; the value is the name admins type after /set."""

    PHONE = "phone"  # add one number (or "-+7…" to remove one)
    PHONES = "phones"  # all numbers at once; "-" removes them all
    HOURS = "hours"
    FREE_PLACES = "free_places"
    STATUS = "status"
    NEEDS = "needs"
    SHELTER = "shelter"
    MOTHER_AGE_MIN = "mother_age_min"
    MOTHER_AGE_MAX = "mother_age_max"
    CHILD_AGE_MIN = "child_age_min_months"
    CHILD_AGE_MAX = "child_age_max_months"
    ACCEPTS_PREGNANT = "accepts_pregnant"
    EXCLUSIONS = "exclusions"
    REQUIREMENTS = "requirements"
    STAY_MIN = "stay_min"
    STAY_MAX = "stay_max"
    STAY_MAX_EXCEPTIONAL = "stay_max_exceptional"
    NAME_KK = "name_kk"
    NAME_RU = "name_ru"
    SUMMARY_KK = "summary_kk"
    SUMMARY_RU = "summary_ru"
    ADDRESS_KK = "address_kk"
    ADDRESS_RU = "address_ru"
    ADDRESS_PUBLIC = "address_public"
    WEBSITE = "website"
    PLACE = "place"
    ORG_TYPE = "org_type"
    SOURCE = "source"  # add a public source URL (or "-https://…" to remove one)
    NOTES = "notes"
    VERIFIED = "verified"  # how it was checked, today: desk | phoned (| center, approved)
    # The year the newest source was published, or "unknown" (last: button codes are
    # positions, and buttons already sent keep theirs).
    NEWEST_SOURCE = "newest_source"

    @property
    def code(self) -> str:
        """A short code for button data (a center id takes up to 48 of its 64 bytes)."""
        return _CODES[self]


_CODES: dict[Field, str] = {field: f"{i:02d}" for i, field in enumerate(Field)}
_BY_CODE = {code: field for field, code in _CODES.items()}
# Other names admins may type after /set.
_ALIASES: dict[str, Field] = {
    "stay": Field.STAY_MAX,
    "age_min": Field.MOTHER_AGE_MIN,
    "age_max": Field.MOTHER_AGE_MAX,
    "child_min": Field.CHILD_AGE_MIN,
    "child_max": Field.CHILD_AGE_MAX,
    "pregnant": Field.ACCEPTS_PREGNANT,
    "places": Field.FREE_PLACES,
    "url": Field.WEBSITE,
    "sources": Field.SOURCE,
    "source_year": Field.NEWEST_SOURCE,
}
# Facts a mother acts on from the card: whoever changes them has just learned them, so the
# entry is stamped with how, when and by whom.
STAMPED: frozenset[Field] = frozenset(
    {
        Field.PHONE,
        Field.PHONES,
        Field.HOURS,
        Field.FREE_PLACES,
        Field.ADDRESS_KK,
        Field.ADDRESS_RU,
        Field.ADDRESS_PUBLIC,
        Field.WEBSITE,
        Field.VERIFIED,
    }
)
# What a center's coordinator may correct through an invite link.
CENTER_FIELDS: tuple[Field, ...] = (Field.PHONES, Field.HOURS, Field.FREE_PLACES, Field.STATUS)
_LIMITS = {Field.MOTHER_AGE_MIN, Field.MOTHER_AGE_MAX, Field.CHILD_AGE_MIN, Field.CHILD_AGE_MAX}
_STAYS = {Field.STAY_MIN, Field.STAY_MAX, Field.STAY_MAX_EXCEPTIONAL}
_FLAGS = {Field.SHELTER, Field.ACCEPTS_PREGNANT, Field.ADDRESS_PUBLIC}
_REQUIRED_TEXT = {
    Field.NAME_KK: MAX_NAME_CHARS,
    Field.NAME_RU: MAX_NAME_CHARS,
    Field.SUMMARY_KK: MAX_SUMMARY_CHARS,
    Field.SUMMARY_RU: MAX_SUMMARY_CHARS,
}
_OPTIONAL_TEXT = {
    Field.HOURS: MAX_HOURS_CHARS,
    Field.ADDRESS_KK: MAX_ADDRESS_CHARS,
    Field.ADDRESS_RU: MAX_ADDRESS_CHARS,
    Field.NOTES: MAX_NOTES_CHARS,
}
_CODE_LISTS: dict[Field, type[StrEnum]] = {
    Field.NEEDS: Need,
    Field.EXCLUSIONS: Exclusion,
    Field.REQUIREMENTS: Requirement,
}
# "-" (or an em dash) clears a value: unknown stays empty.
CLEAR = frozenset({"-", "—", "–"})
_YES = frozenset({"yes", "y", "true", "1", "да", "иә", "ия", "иа"})
_NO = frozenset({"no", "n", "false", "0", "нет", "жоқ", "жок"})
_STATUS_WORDS = {
    "active": Status.ACTIVE,
    "open": Status.ACTIVE,
    "temporarily_closed": Status.TEMPORARILY_CLOSED,
    "paused": Status.TEMPORARILY_CLOSED,
    "closed": Status.CLOSED,
}
_NUMBER_PART = re.compile(r"^[+\d()\-.]+$")
_SHORT_DURATION = re.compile(r"^(\d{1,3})\s*([ymwdh])$")
_SEPARATORS = re.compile(r"[\s,;]+")


def field_named(name: str) -> Field | None:
    """The field an admin means by `name` ("phone", "stay", "Summary_RU"), if any."""
    key = name.strip().lower().replace("-", "_")
    if key in tuple(Field):
        return Field(key)
    return _ALIASES.get(key)


def field_of_code(code: str) -> Field | None:
    """The field of a button's short code."""
    return _BY_CODE.get(code)


class Err(StrEnum):
    """Why a value was refused; the Telegram side words each in the admin's language."""

    PHONE = "phone"  # not +7XXXXXXXXXX: {value}
    NOT_FOUND = "not_found"  # removing a number or source the entry does not have: {value}
    NUMBER = "number"  # not a whole number in {low}..{high}
    CODE = "code"  # unknown code {value}; {known}
    YES_NO = "yes_no"
    DURATION = "duration"
    URL = "url"  # not an http(s) address: {value}
    TOO_LONG = "too_long"  # longer than {limit}
    TOO_MANY = "too_many"  # more than {limit} phone numbers
    TOO_MANY_SOURCES = "too_many_sources"  # more than {limit} sources
    STAY = "stay"  # a stay out of what a shelter can mean
    EMPTY = "empty"  # this field cannot be empty
    PLACE = "place"  # no such place or region: {value}
    NOT_ALLOWED = "not_allowed"  # this value is not for this way of changing
    RULE = "rule"  # the data files' rules refuse it: {problem}
    SAME = "same"  # the entry already says this


class ChangeError(ValueError):
    """A value that cannot be taken; `code` says why, `values` fill the admin's sentence."""

    def __init__(self, code: Err, **values: str) -> None:
        super().__init__(code.value)
        self.code = code
        self.values = values


@dataclass(frozen=True)
class Stamp:
    """Who makes a change, how the facts were learned, and on which day."""

    today: date
    who: str
    how: Checked = Checked.PHONED
    # The reason kept with a status other than active when none is typed.
    closed_reason: Localized = default(default_factory=Localized)


@dataclass(frozen=True)
class Where:
    """Where a center works: a place (city), a region, or all of Kazakhstan."""

    coverage: Coverage
    region: str | None = None
    place: str | None = None


# Reads a place or region as an admin types it ("almaty", "Шымкент", "national").
Locate = Callable[[str], Where | None]


def admin_who(user_id: int) -> str:
    """How an admin is named in an entry and in the change history."""
    return f"Telegram admin {user_id}"


# --- reading values ---


def normalize_phone(text: str) -> str:
    """A number as people write it ("8 701 123-45-67") in +7XXXXXXXXXX form; formatting only,
    no digit is added or guessed. The result may still be invalid (`phone_problem`)."""
    digits = re.sub(r"[\s()\-.]", "", text)
    if re.fullmatch(r"8\d{10}", digits):
        return "+7" + digits[1:]
    if re.fullmatch(r"7\d{10}", digits):
        return "+" + digits
    return digits


def _phone_item(text: str) -> dict[str, Any]:
    """ "+7 701 123 45 67 whatsapp Пн–Пт 9–18": number, then kind, then hours."""
    words = text.split()
    taken: list[str] = []
    while words and _NUMBER_PART.match(words[0]) and len(re.sub(r"\D", "", "".join(taken))) < 11:
        taken.append(words.pop(0))
    number = normalize_phone("".join(taken))
    if not taken or phone_problem(number):
        raise ChangeError(Err.PHONE, value=text.strip())
    phone: dict[str, Any] = {"number": number}
    if words and words[0].lower() in tuple(PhoneKind):
        kind = words.pop(0).lower()
        if kind != PhoneKind.VOICE:
            phone["kind"] = kind
    hours = " ".join(words)
    if len(hours) > MAX_HOURS_CHARS:
        raise ChangeError(Err.TOO_LONG, limit=str(MAX_HOURS_CHARS))
    if hours:
        phone["hours"] = hours
    return phone


def _phones(table: dict[str, Any], field: Field, raw: str) -> None:
    current: list[dict[str, Any]] = list(table.get("phones", []))
    if raw in CLEAR:
        current = []
    elif field is Field.PHONE and raw.startswith("-"):
        number = normalize_phone(raw[1:])
        kept = [p for p in current if p["number"] != number]
        if len(kept) == len(current):
            raise ChangeError(Err.NOT_FOUND, value=raw[1:].strip())
        current = kept
    elif field is Field.PHONE:
        item = _phone_item(raw)
        if any(p["number"] == item["number"] for p in current):
            raise ChangeError(Err.SAME)
        current.append(item)
    else:
        known = {p["number"]: p for p in current}
        current = []
        for part in re.split(r"[,;\n]+", raw):
            if not part.strip():
                continue
            item = _phone_item(part)
            # A number given again as it was keeps its published source; a number with new
            # details is now known from whoever gave them.
            keep = len(item) == 1 and item["number"] in known
            current.append(known[item["number"]] if keep else item)
    if len(current) > MAX_PHONES:
        raise ChangeError(Err.TOO_MANY, limit=str(MAX_PHONES))
    if current:
        table["phones"] = current
    else:
        table.pop("phones", None)


def _flag(raw: str) -> bool | None:
    word = raw.strip().lower()
    if word in CLEAR:
        return None
    if word in _YES:
        return True
    if word in _NO:
        return False
    raise ChangeError(Err.YES_NO)


def _limit(raw: str, field: Field) -> int | dict[str, Any] | None:
    """A number, "30-34" when sources disagree (shown as "check by phone"), or "-"."""
    low, high = (0, 216) if field in (Field.CHILD_AGE_MIN, Field.CHILD_AGE_MAX) else (10, 99)
    if raw in CLEAR:
        return None
    parts = re.split(r"\s*[-–—/]\s*", raw.strip())
    if not all(p.isdigit() for p in parts) or len(parts) > 2:
        raise ChangeError(Err.NUMBER, low=str(low), high=str(high))
    numbers = sorted({int(p) for p in parts})
    if any(not low <= n <= high for n in numbers):
        raise ChangeError(Err.NUMBER, low=str(low), high=str(high))
    return numbers[0] if len(numbers) == 1 else {"values": numbers}


def _duration(raw: str, field: Field) -> str | None:
    """ISO 8601 ("P6M") or a short form ("6m", "1y", "10d", "2h")."""
    if raw in CLEAR:
        return None
    text = raw.strip().lower()
    short = _SHORT_DURATION.match(text)
    if short:
        number, unit = short.groups()
        text = f"PT{number}H" if unit == "h" else f"P{number}{unit.upper()}"
    if len(text) > 20:  # "P99999999999Y": no stay is written like that
        raise ChangeError(Err.STAY)
    try:
        stay = parse_duration(text.upper())
    except ValueError:
        raise ChangeError(Err.DURATION) from None
    low = MIN_STAY_HOURS if field is Field.STAY_MIN else MIN_LONGEST_STAY_HOURS
    if not low <= stay.hours <= MAX_STAY_HOURS:
        raise ChangeError(Err.STAY)
    return stay.iso


def _codes(raw: str, kind: type[StrEnum], current: list[str]) -> list[str]:
    """ "shelter legal" replaces the list; "+legal -hiv" adds and removes."""
    if raw in CLEAR:
        return []
    words = [w for w in _SEPARATORS.split(raw.strip().lower()) if w]
    known = [member.value for member in kind]
    relative = bool(words) and all(w[0] in "+-" for w in words)
    result = list(current) if relative else []
    for word in words:
        code = word[1:] if relative else word
        if code not in known:
            raise ChangeError(Err.CODE, value=code, known=", ".join(known))
        if relative and word[0] == "-":
            result = [c for c in result if c != code]
        elif code not in result:
            result.append(code)
    return result  # in the order given: a list typed again as it was changes nothing


def _status(table: dict[str, Any], raw: str, stamp: Stamp) -> None:
    word, _, reason = raw.strip().partition(" ")
    status = _STATUS_WORDS.get(word.lower())
    if status is None:
        raise ChangeError(Err.CODE, value=word, known=", ".join(Status))
    table["status"] = str(status)
    for key in ("status_reason_kk", "status_reason_ru"):
        table.pop(key, None)
    if status is Status.ACTIVE:
        return
    kk, bar, ru = reason.partition("|")
    text = Localized(kk=kk.strip(), ru=(ru if bar else kk).strip()) or stamp.closed_reason
    if max(len(text.kk), len(text.ru)) > MAX_STATUS_REASON_CHARS:
        raise ChangeError(Err.TOO_LONG, limit=str(MAX_STATUS_REASON_CHARS))
    if text.kk:
        table["status_reason_kk"] = text.kk
    if text.ru:
        table["status_reason_ru"] = text.ru


def _text(table: dict[str, Any], key: str, raw: str, limit: int, required: bool) -> None:
    value = raw.strip()
    if value in CLEAR or not value:
        if required:
            raise ChangeError(Err.EMPTY)
        table.pop(key, None)
        return
    if len(value) > limit:
        raise ChangeError(Err.TOO_LONG, limit=str(limit))
    table[key] = value


def _url(raw: str, limit: int = MAX_URL_CHARS) -> str:
    value = raw.strip()
    if len(value) > limit:
        raise ChangeError(Err.TOO_LONG, limit=str(limit))
    if not is_url(value):
        raise ChangeError(Err.URL, value=value)
    return value


def _sources(table: dict[str, Any], raw: str) -> None:
    urls: list[str] = list(table.get("source_urls", []))
    value = raw.strip()
    if value.startswith("-") and value not in CLEAR:
        url = _url(value[1:], MAX_SOURCE_URL_CHARS)
        if url not in urls:
            raise ChangeError(Err.NOT_FOUND, value=url)
        urls.remove(url)
    else:
        url = _url(value, MAX_SOURCE_URL_CHARS)
        if url in urls:
            raise ChangeError(Err.SAME)
        urls.append(url)
        if len(urls) > MAX_SOURCES:
            raise ChangeError(Err.TOO_MANY_SOURCES, limit=str(MAX_SOURCES))
    if urls:
        table["source_urls"] = urls
    else:
        table.pop("source_urls", None)


def source_year(raw: str, today: date) -> SourceYear:
    """The year the newest source was published as an admin types it: a year the data files
    accept (`FIRST_SOURCE_YEAR` to this year) or "unknown"; "-" is None (not recorded)."""
    word = raw.strip().lower()
    if word in CLEAR:
        return None
    if word == UNKNOWN_YEAR:
        return UNKNOWN_YEAR
    if not (re.fullmatch(r"[0-9]{4}", word) and FIRST_SOURCE_YEAR <= int(word) <= today.year):
        raise ChangeError(Err.NUMBER, low=str(FIRST_SOURCE_YEAR), high=str(today.year))
    return int(word)


def _place(table: dict[str, Any], raw: str, locate: Locate | None) -> None:
    where = locate(raw.strip()) if locate is not None and raw.strip() else None
    if where is None:
        raise ChangeError(Err.PLACE, value=raw.strip())
    table["coverage"] = str(where.coverage)
    for key, value in (("place", where.place), ("region", where.region)):
        if value:
            table[key] = value
        else:
            table.pop(key, None)


def _verified(table: dict[str, Any], raw: str, stamp: Stamp) -> Checked:
    word = raw.strip().lower()
    if word not in tuple(Checked):
        raise ChangeError(Err.CODE, value=word, known=f"{Checked.DESK}, {Checked.PHONED}")
    how = Checked(word)
    # Only a center can say it confirmed itself, through its invite and an admin's approval.
    if how is Checked.CENTER and stamp.how is not Checked.CENTER:
        raise ChangeError(Err.NOT_ALLOWED)
    return how


def _set(
    table: dict[str, Any], field: Field, raw: str, stamp: Stamp, locate: Locate | None
) -> Checked:
    """Change the table's keys for this field; returns how the entry is now checked."""
    how = stamp.how
    key = field.value
    if field in (Field.PHONE, Field.PHONES):
        _phones(table, field, raw)
    elif field in _REQUIRED_TEXT:
        _text(table, key, raw, _REQUIRED_TEXT[field], required=True)
    elif field in _OPTIONAL_TEXT:
        _text(table, key, raw, _OPTIONAL_TEXT[field], required=False)
    elif field is Field.STATUS:
        _status(table, raw, stamp)
    elif field in _CODE_LISTS:
        codes = _codes(raw, _CODE_LISTS[field], list(table.get(key, [])))
        _put(table, key, codes or None)
    elif field in _FLAGS:
        flag = _flag(raw)
        # The data files leave address_public out when false.
        _put(table, key, None if field is Field.ADDRESS_PUBLIC and not flag else flag)
    elif field in _LIMITS:
        _put(table, key, _limit(raw, field))
    elif field in _STAYS:
        _put(table, key, _duration(raw, field))
    elif field is Field.WEBSITE:
        _put(table, key, None if raw.strip() in CLEAR else _url(raw))
    elif field is Field.FREE_PLACES:
        count = None if raw.strip() in CLEAR else raw.strip()
        if count is not None and not (count.isdigit() and int(count) <= MAX_FREE_PLACES):
            raise ChangeError(Err.NUMBER, low="0", high=str(MAX_FREE_PLACES))
        _put(table, "free_places", int(count) if count is not None else None)
        _put(table, "free_places_at", stamp.today if count is not None else None)
    elif field is Field.PLACE:
        _place(table, raw, locate)
    elif field is Field.ORG_TYPE:
        word = raw.strip().lower()
        if word not in tuple(OrgType):
            raise ChangeError(Err.CODE, value=word, known=", ".join(OrgType))
        table[key] = word
    elif field is Field.SOURCE:
        _sources(table, raw)
    elif field is Field.VERIFIED:
        how = _verified(table, raw, stamp)
    elif field is Field.NEWEST_SOURCE:
        _put(table, key, source_year(raw, stamp.today))
    return how


def _put(table: dict[str, Any], key: str, value: Any) -> None:
    if value is None:
        table.pop(key, None)
    else:
        table[key] = value


def _read(table: dict[str, Any], center_id: str) -> Center:
    problems: list[Problem] = []
    center = read_center_table(table, f"{CENTERS_DIR}/{center_id}.toml", problems)
    if problems:
        raise ChangeError(Err.RULE, problem=problems[0].message)
    return center


def apply_change(
    center: Center, field: Field, raw: str, stamp: Stamp, locate: Locate | None = None
) -> Center:
    """The center with one field changed, validated like a data file; ChangeError if the
    value cannot be taken or changes nothing."""
    table = center_to_table(center)
    how = _set(table, field, raw.strip(), stamp, locate)
    if field in STAMPED:
        table["verified_how"] = str(how)
        table["verified_at"] = stamp.today
        table["verified_by"] = stamp.who
    if table.get("verified_how") == Checked.DESK:
        del table["verified_how"]  # as the writer leaves it out
    changed = _read(table, center.id)
    if changed == center:
        raise ChangeError(Err.SAME)
    return changed


# --- showing values (history keeps them as text: what was, what became) ---


def _limit_text(value: Limit) -> str:
    if value is None:
        return "—"
    if isinstance(value, Disputed):
        return "–".join(str(v) for v in value.values)
    return str(value)


def _flag_text(value: bool | None) -> str:
    return "—" if value is None else ("yes" if value else "no")


def _phone_text(phone: Phone) -> str:
    parts = [phone.number]
    if phone.kind != PhoneKind.VOICE:
        parts.append(str(phone.kind))
    if phone.hours:
        parts.append(phone.hours)
    return " ".join(parts)


def value_text(center: Center, field: Field) -> str:
    """A field's value as plain, language-neutral text: what /set would take back."""
    rules, stay, prov = center.eligibility, center.stay, center.provenance
    match field:
        case Field.PHONE | Field.PHONES:
            text = ", ".join(_phone_text(p) for p in center.phones)
        case Field.STATUS:
            reason = center.status_reason
            text = " ".join(
                [
                    str(center.status),
                    " | ".join(dict.fromkeys(r for r in (reason.kk, reason.ru) if r)),
                ]
            ).strip()
        case Field.NEEDS | Field.EXCLUSIONS | Field.REQUIREMENTS:
            codes = {
                Field.NEEDS: center.needs,
                Field.EXCLUSIONS: rules.exclusions,
                Field.REQUIREMENTS: rules.requirements,
            }[field]
            text = ", ".join(codes)
        case Field.SHELTER:
            text = _flag_text(center.shelter)
        case Field.ACCEPTS_PREGNANT:
            text = _flag_text(rules.accepts_pregnant)
        case Field.ADDRESS_PUBLIC:
            text = _flag_text(center.address_public)
        case Field.MOTHER_AGE_MIN:
            text = _limit_text(rules.mother_age_min)
        case Field.MOTHER_AGE_MAX:
            text = _limit_text(rules.mother_age_max)
        case Field.CHILD_AGE_MIN:
            text = _limit_text(rules.child_age_min_months)
        case Field.CHILD_AGE_MAX:
            text = _limit_text(rules.child_age_max_months)
        case Field.STAY_MIN | Field.STAY_MAX | Field.STAY_MAX_EXCEPTIONAL:
            value = {
                Field.STAY_MIN: stay.min,
                Field.STAY_MAX: stay.max,
                Field.STAY_MAX_EXCEPTIONAL: stay.max_exceptional,
            }[field]
            text = value.iso if value else ""
        case Field.NAME_KK | Field.NAME_RU:
            text = getattr(center.name, field.value[-2:])
        case Field.SUMMARY_KK | Field.SUMMARY_RU:
            text = getattr(center.summary, field.value[-2:])
        case Field.ADDRESS_KK | Field.ADDRESS_RU:
            text = getattr(center.address, field.value[-2:])
        case Field.HOURS:
            text = center.hours
        case Field.WEBSITE:
            text = center.website
        case Field.FREE_PLACES:
            at = center.free_places_at
            text = (
                f"{center.free_places} ({at.strftime('%d.%m.%Y')})"
                if center.free_places is not None and at is not None
                else ""
            )
        case Field.PLACE:
            text = center.place or center.region or str(Coverage.NATIONAL)
        case Field.ORG_TYPE:
            text = str(center.org_type)
        case Field.SOURCE:
            text = " ".join(prov.source_urls)
        case Field.NOTES:
            text = prov.notes
        case Field.VERIFIED:
            text = f"{prov.verified_how} {prov.verified_at.strftime('%d.%m.%Y')}"
        case Field.NEWEST_SOURCE:
            text = "" if prov.newest_source is None else str(prov.newest_source)
    return text or "—"


# --- a new center ---


@dataclass(frozen=True)
class NewCenter:
    """What the /add dialog gathers; no source URL means an admin phoned the center."""

    name: Localized
    summary: Localized
    org_type: OrgType
    where: Where
    needs: tuple[Need, ...]
    sources: tuple[str, ...] = ()
    # When the newest of `sources` was published (None: not asked, as when she phoned).
    newest_source: SourceYear = None


_TRANSLIT = str.maketrans(
    {
        "а": "a",
        "ә": "a",
        "б": "b",
        "в": "v",
        "г": "g",
        "ғ": "g",
        "д": "d",
        "е": "e",
        "ё": "e",
        "ж": "zh",
        "з": "z",
        "и": "i",
        "й": "i",
        "к": "k",
        "қ": "k",
        "л": "l",
        "м": "m",
        "н": "n",
        "ң": "n",
        "о": "o",
        "ө": "o",
        "п": "p",
        "р": "r",
        "с": "s",
        "т": "t",
        "у": "u",
        "ұ": "u",
        "ү": "u",
        "ф": "f",
        "х": "kh",
        "һ": "h",
        "ц": "ts",
        "ч": "ch",
        "ш": "sh",
        "щ": "sch",
        "ъ": "",
        "ы": "y",
        "і": "i",
        "ь": "",
        "э": "e",
        "ю": "yu",
        "я": "ya",
    }
)


def slug(text: str, max_words: int = 4) -> str:
    """Latin [a-z0-9-] words of a name, for an id ("Дом мамы" → "dom-mamy")."""
    words = re.findall(r"[a-z0-9]+", text.lower().translate(_TRANSLIT))
    return "-".join(words[:max_words])


def new_center_id(new: NewCenter, taken: set[str]) -> str:
    """An id from the place and the Russian name, unique among `taken`, at most 48 chars."""
    prefix = new.where.place or new.where.region or "kz"
    base = f"{prefix}-{slug(new.name.ru or new.name.kk)}".strip("-")
    if base == prefix:  # a name without letters we can write: a short hash keeps it unique
        base += "-" + hashlib.sha256(new.name.ru.encode()).hexdigest()[:6]
    base = base[: MAX_ID_LENGTH - 3].rstrip("-")
    candidate, number = base, 2
    while candidate in taken:
        candidate = f"{base}-{number}"
        number += 1
    return candidate


def create_center(new: NewCenter, center_id: str, stamp: Stamp) -> Center:
    """The new entry, validated like a data file; ChangeError if the rules refuse it."""
    table: dict[str, Any] = {
        "id": center_id,
        "name_kk": new.name.kk,
        "name_ru": new.name.ru,
        "summary_kk": new.summary.kk,
        "summary_ru": new.summary.ru,
        "org_type": str(new.org_type),
        "coverage": str(new.where.coverage),
        "needs": [str(n) for n in Need if n in new.needs],
        "verified_at": stamp.today,
        "verified_by": stamp.who,
    }
    if new.where.place:
        table["place"] = new.where.place
    if new.where.region:
        table["region"] = new.where.region
    if new.sources:
        table["source_urls"] = list(new.sources)
        _put(table, "newest_source", new.newest_source)
    else:
        table["verified_how"] = str(Checked.PHONED)
    return _read(table, center_id)
