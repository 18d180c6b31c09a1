"""Per-field changes as plain data: every value validated like the data files, every contact
fact stamped with how it was learned, and nothing changed by a refused value."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import msgspec
import pytest

from bot.catalog.changes import (
    STAMPED,
    ChangeError,
    Err,
    Field,
    NewCenter,
    Stamp,
    Where,
    apply_change,
    create_center,
    field_named,
    field_of_code,
    new_center_id,
    normalize_phone,
    slug,
    value_text,
)
from bot.catalog.files import read_center_table
from bot.catalog.writer import center_to_table
from bot.core.codes import Checked, Coverage, Need, OrgType
from bot.core.model import Catalog, Center, Disputed, Localized, Phone
from bot.i18n import translator
from bot.render import free_places_line
from bot.usecases.stale import stale_entries

TODAY = date.today()
ADMIN = Stamp(TODAY, "Telegram admin 9000", closed_reason=Localized("жабық", "закрыт"))


@pytest.fixture
def center(catalog: Catalog) -> Center:
    found = catalog.center("taraz-zhambyl-regional-center")
    assert found is not None
    return found


def refused(center: Center, field: Field, raw: str, stamp: Stamp = ADMIN) -> ChangeError:
    with pytest.raises(ChangeError) as error:
        apply_change(center, field, raw, stamp)
    return error.value


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("+77012345678", "+77012345678"),
        ("8 701 234 56 78", "+77012345678"),
        ("+7 (701) 234-56-78", "+77012345678"),
        ("77012345678", "+77012345678"),
        ("+7701234567", "+7701234567"),  # formatting only: a missing digit stays missing
    ],
)
def test_numbers_are_written_in_one_form_without_guessing(typed: str, stored: str) -> None:
    assert normalize_phone(typed) == stored


def test_a_phone_from_telegram_is_stamped_as_phoned_today(center: Center) -> None:
    assert center.provenance.verified_how == Checked.DESK
    changed = apply_change(center, Field.PHONE, "8 701 234 56 78 whatsapp 24/7", ADMIN)
    phone = changed.phones[-1]
    assert (phone.number, phone.kind, phone.hours, phone.source) == (
        "+77012345678",
        "whatsapp",
        "24/7",
        "",
    )
    prov = changed.provenance
    assert (prov.verified_how, prov.verified_at, prov.verified_by) == (
        Checked.PHONED,
        TODAY,
        "Telegram admin 9000",
    )
    assert prov.source_urls == center.provenance.source_urls
    # The same entry, read back from its data file's table, is the same entry.
    problems: list[object] = []
    assert read_center_table(center_to_table(changed), "x", problems) == changed  # type: ignore[arg-type]
    assert problems == []
    gone = apply_change(changed, Field.PHONE, "-+77012345678", ADMIN)
    assert gone.phones == center.phones


def test_phones_given_again_keep_their_published_source(center: Center) -> None:
    published = msgspec.structs.replace(
        center, phones=(Phone(number="+77260000000", source="https://example.kz"),)
    )
    changed = apply_change(published, Field.PHONES, "+77260000000, 8 701 234 56 78", ADMIN)
    assert [(p.number, p.source) for p in changed.phones] == [
        ("+77260000000", "https://example.kz"),
        ("+77012345678", ""),
    ]
    assert apply_change(changed, Field.PHONES, "-", ADMIN).phones == ()


def test_rules_are_not_stamped_as_phoned(center: Center) -> None:
    changed = apply_change(center, Field.NEEDS, "+medical -work_study", ADMIN)
    assert changed.needs == (*[n for n in center.needs if n != Need.WORK_STUDY], Need.MEDICAL)
    assert changed.provenance == center.provenance
    assert Field.NEEDS not in STAMPED and Field.PHONE in STAMPED


@pytest.mark.parametrize(
    ("field", "raw", "code"),
    [
        (Field.PHONE, "+7701", Err.PHONE),
        (Field.PHONE, "-+77000000000", Err.NOT_FOUND),
        (Field.HOURS, "x" * 121, Err.TOO_LONG),
        (Field.STATUS, "maybe", Err.CODE),
        (Field.NEEDS, "flying", Err.CODE),
        (Field.MOTHER_AGE_MAX, "300", Err.NUMBER),
        (Field.MOTHER_AGE_MAX, "thirty", Err.NUMBER),
        (Field.CHILD_AGE_MAX, "217", Err.NUMBER),
        (Field.SHELTER, "maybe", Err.YES_NO),
        (Field.STAY_MAX, "forever", Err.DURATION),
        (Field.WEBSITE, "ftp://example.kz", Err.URL),
        (Field.SUMMARY_RU, "-", Err.EMPTY),
        (Field.NAME_KK, "x" * 201, Err.TOO_LONG),
        (Field.FREE_PLACES, "-3", Err.NUMBER),
        (Field.FREE_PLACES, "5000", Err.NUMBER),
        (Field.PLACE, "Атлантида", Err.PLACE),
        (Field.ORG_TYPE, "private", Err.CODE),
        (Field.VERIFIED, "center", Err.NOT_ALLOWED),
        (Field.VERIFIED, "rumour", Err.CODE),
        (Field.SOURCE, "-https://not.there", Err.NOT_FOUND),
        (Field.SHELTER, "no", Err.RULE),  # a shelter need without a shelter
        (Field.ADDRESS_PUBLIC, "yes", Err.RULE),  # public, but there is no address
        (Field.MOTHER_AGE_MIN, "-", Err.SAME),
    ],
)
def test_a_bad_value_is_refused_with_a_reason(
    center: Center, field: Field, raw: str, code: Err
) -> None:
    assert refused(center, field, raw).code is code


def test_the_rules_of_the_data_files_apply(center: Center) -> None:
    young = apply_change(center, Field.MOTHER_AGE_MAX, "20", ADMIN)
    error = refused(young, Field.MOTHER_AGE_MIN, "25")
    assert error.code is Err.RULE and "greater than" in error.values["problem"]


def test_a_doubtful_limit_is_kept_as_disputed(center: Center) -> None:
    changed = apply_change(center, Field.MOTHER_AGE_MAX, "34-30", ADMIN)
    assert changed.eligibility.mother_age_max == Disputed(values=(30, 34))
    assert value_text(changed, Field.MOTHER_AGE_MAX) == "30–34"


def test_status_takes_a_reason_in_both_languages(center: Center) -> None:
    closed = apply_change(center, Field.STATUS, "temporarily_closed Жөндеу | Ремонт", ADMIN)
    assert closed.status_reason == Localized("Жөндеу", "Ремонт")
    plain = apply_change(center, Field.STATUS, "closed", ADMIN)
    assert plain.status_reason == ADMIN.closed_reason
    assert apply_change(plain, Field.STATUS, "open", ADMIN).status_reason == Localized()


def test_free_places_carry_the_day_and_go_stale(center: Center) -> None:
    changed = apply_change(center, Field.FREE_PLACES, "3", ADMIN)
    assert (changed.free_places, changed.free_places_at) == (3, TODAY)
    t = translator("ru")
    assert "3" in free_places_line(changed, t)
    assert free_places_line(changed, t, TODAY + timedelta(days=8)) == ""
    assert apply_change(changed, Field.FREE_PLACES, "-", ADMIN).free_places is None


def _locate(text: str) -> Where | None:
    return Where(Coverage.CITY, "zhambyl", "taraz") if text == "taraz" else None


@pytest.mark.parametrize("field", [f for f in Field if f not in (Field.PHONE, Field.SOURCE)])
def test_what_history_shows_is_what_set_takes_back(center: Center, field: Field) -> None:
    """A value as /history shows it, typed again, changes nothing (only the stamp)."""
    center = apply_change(center, Field.FREE_PLACES, "2", ADMIN)
    shown = value_text(center, field)
    raw = {
        Field.PLACE: center.place or "",
        Field.FREE_PLACES: "2",
        Field.VERIFIED: str(center.provenance.verified_how),
    }.get(field, "-" if shown == "—" else shown)
    try:
        again = apply_change(center, field, raw, ADMIN, _locate)
    except ChangeError as error:
        assert error.code is Err.SAME
    else:  # a contact fact typed again is a fresh confirmation: only the stamp differs
        assert field in STAMPED
        assert msgspec.structs.replace(again, provenance=center.provenance) == center


def test_fields_have_short_codes_and_names() -> None:
    for field in Field:
        assert field_of_code(field.code) is field
        assert len(f"ce:{field.code}:{'x' * 48}".encode()) <= 64
        assert field_named(field.value.upper()) is field
    assert field_named("stay") is Field.STAY_MAX
    assert field_named("colour") is None


def test_a_new_center_gets_a_unique_id_from_its_name(catalog: Catalog) -> None:
    assert slug("ОФ «Дом мамы» Қостанай") == "of-dom-mamy-kostanai"
    new = NewCenter(
        name=Localized("Дом мамы", "Дом мамы"),
        summary=Localized("Көмек.", "Помощь."),
        org_type=OrgType.NON_STATE,
        where=Where(Coverage.CITY, "kostanay", "kostanay"),
        needs=(Need.SHELTER,),
    )
    taken = {c.id for c in catalog.centers}
    assert "kostanay-dom-mamy" in taken
    center_id = new_center_id(new, taken)
    assert center_id == "kostanay-dom-mamy-2"
    long = dataclasses.replace(new, name=Localized("x", "очень " * 30))
    assert len(new_center_id(long, taken)) <= 48
    center = create_center(new, center_id, ADMIN)
    assert center.provenance.verified_how == Checked.PHONED and center.provenance.source_urls == ()
    sourced = create_center(
        dataclasses.replace(new, sources=("https://example.kz",)), center_id, ADMIN
    )
    assert sourced.provenance.verified_how == Checked.DESK
    with pytest.raises(ChangeError):
        create_center(dataclasses.replace(new, needs=()), center_id, ADMIN)


def test_stale_entries_put_desk_only_and_most_shown_first(catalog: Catalog) -> None:
    phoned_long_ago = msgspec.structs.replace(
        catalog.centers[0],
        provenance=msgspec.structs.replace(
            catalog.centers[0].provenance,
            verified_how=Checked.PHONED,
            verified_at=TODAY - timedelta(days=400),
        ),
    )
    phoned_lately = msgspec.structs.replace(
        catalog.centers[1],
        provenance=msgspec.structs.replace(
            catalog.centers[1].provenance, verified_how=Checked.PHONED, verified_at=TODAY
        ),
    )
    changed = catalog.with_center(phoned_long_ago).with_center(phoned_lately)
    shown = {catalog.centers[2].id: 7, phoned_long_ago.id: 99}
    found = stale_entries(changed, TODAY, 180, shown)
    ids = [s.center.id for s in found]
    assert phoned_lately.id not in ids
    assert ids[0] == catalog.centers[2].id  # desk-only, most shown
    assert ids[-1] == phoned_long_ago.id  # checked once, long ago: after every desk entry
    assert all(s.center.status != "closed" for s in found)
