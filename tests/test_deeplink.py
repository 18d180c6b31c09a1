"""Start links: what staff hand out must open the bot exactly as chosen, anything else nothing."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path

import pytest

from bot.core.codes import LANGUAGES
from bot.core.deeplink import (
    MAX_PAYLOAD_LENGTH,
    StartLink,
    parse_source,
    parse_start_payload,
)

TELEGRAM_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")
KNOWN = frozenset({"almaty", "shymkent", "north-kazakhstan", "x1", "9"})
GEOGRAPHY = Path(__file__).resolve().parent.parent / "data" / "geography.toml"


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("kk", StartLink("kk")),
        ("ru", StartLink("ru")),
        ("kk_almaty", StartLink("kk", "almaty")),
        ("ru_north-kazakhstan", StartLink("ru", "north-kazakhstan")),
        ("ru_9", StartLink("ru", "9")),
        ("kk_shymkent_roddom5", StartLink("kk", "shymkent", "roddom5")),
        ("ru_almaty_h111", StartLink("ru", "almaty", "h111")),
        ("kk_x1_0", StartLink("kk", "x1", "0")),
        ("ru_almaty_" + "a1" * 8, StartLink("ru", "almaty", "a1" * 8)),
    ],
)
def test_parses_every_form_of_the_grammar(payload: str, expected: StartLink) -> None:
    assert parse_start_payload(payload, KNOWN) == expected


@pytest.mark.parametrize(
    "payload",
    [
        "",  # empty
        "en",  # another language
        "KK",  # languages are lower case
        "kz",
        "kk_",  # empty place
        "kk__h111",  # empty place with a source
        "kk_astana",  # a place the catalog does not know
        "kk_Almaty",  # place ids are lower case
        "kk_almaty_",  # empty source
        "kk_almaty_H111",  # sources are lower case
        "kk_almaty_h-111",  # a hyphen is not allowed in a source
        "kk_almaty_" + "a" * 17,  # source too long
        "kk_almaty_h111_x",  # a fourth part
        "kk_almaty_h111_",
        "_kk",
        "kk-almaty",  # wrong separator
        "kk almaty",  # a space (Telegram would not send it, a hand-edited link might)
        "kk_almaty\n",  # a trailing newline must not slip through
        "kk_алматы",  # not ASCII
        "kk_almaty_роддом",
        "kk_almaty.h111",
        "ru_almaty_h111%20",
        "kk" + "_almaty" * 10,  # extra parts, and too long
    ],
)
def test_rejects_everything_else(payload: str) -> None:
    assert parse_start_payload(payload, KNOWN) is None


def test_a_place_must_look_like_a_place_id_even_if_known() -> None:
    odd = frozenset({"-almaty", "Almaty", "al maty"})
    for place in odd:
        assert parse_start_payload(f"kk_{place}", odd) is None
    assert parse_start_payload("kk_a-lmaty", frozenset({"a-lmaty"})) == StartLink("kk", "a-lmaty")


def test_the_64_character_rule() -> None:
    # "kk_" + place + "_" + 16-character source: 64 exactly with a 44-character place.
    place_44, place_45, source = "p" * 44, "p" * 45, "s" * 16
    places = frozenset({place_44, place_45})
    at_limit = StartLink("kk", place_44, source)
    over = StartLink("kk", place_45, source)

    assert len(at_limit.payload()) == MAX_PAYLOAD_LENGTH
    assert parse_start_payload(at_limit.payload(), places) == at_limit
    with pytest.raises(ValueError, match="64"):
        over.payload()
    # Grammatical and about a known place, but Telegram would not pass it on: refused too.
    assert parse_start_payload(f"kk_{place_45}_{source}", places) is None
    assert parse_start_payload("ru_" + "p" * 61, frozenset({"p" * 61})) is not None
    assert parse_start_payload("ru_" + "p" * 62, frozenset({"p" * 62})) is None


@pytest.mark.parametrize(
    "link",
    [
        StartLink("kk"),
        StartLink("ru"),
        StartLink("kk", "almaty"),
        StartLink("ru", "north-kazakhstan", "h150"),
        StartLink("kk", "9", "z"),
    ],
)
def test_round_trip(link: StartLink) -> None:
    payload = link.payload()
    assert TELEGRAM_PAYLOAD.fullmatch(payload)
    assert parse_start_payload(payload, KNOWN) == link


def test_every_catalog_place_fits_a_link_with_the_longest_source() -> None:
    geography = tomllib.loads(GEOGRAPHY.read_text(encoding="utf-8"))
    places = frozenset(place["id"] for place in geography["place"])
    assert len(places) > 20  # the real catalog, not an empty file
    for lang in LANGUAGES:
        for place in sorted(places):
            link = StartLink(lang, place, "s" * 16)
            payload = link.payload()
            assert TELEGRAM_PAYLOAD.fullmatch(payload), payload
            assert parse_start_payload(payload, places) == link


def test_payload_refuses_what_the_grammar_cannot_say() -> None:
    with pytest.raises(ValueError, match="language"):
        StartLink("en").payload()
    with pytest.raises(ValueError, match="place"):
        StartLink("kk", "Almaty").payload()
    with pytest.raises(ValueError, match="place"):
        StartLink("kk", "alm_aty").payload()  # would read as place "alm", source "aty"
    with pytest.raises(ValueError, match="place"):
        StartLink("kk", "").payload()
    with pytest.raises(ValueError, match="with a place"):
        StartLink("kk", None, "h111").payload()
    with pytest.raises(ValueError, match="source"):
        StartLink("kk", "almaty", "H111").payload()
    with pytest.raises(ValueError, match="source"):
        StartLink("kk", "almaty", "a" * 17).payload()
    with pytest.raises(ValueError, match="source"):
        StartLink("kk", "almaty", "").payload()


def test_link() -> None:
    link = StartLink("kk", "shymkent", "roddom5")
    assert link.link("AnaKomekBot") == "https://t.me/AnaKomekBot?start=kk_shymkent_roddom5"
    assert StartLink("ru").link("ana_komek_bot") == "https://t.me/ana_komek_bot?start=ru"
    for username in ("", "@AnaKomekBot", "1bot", "ana-komek-bot", "a" * 33, "bot?start=kk"):
        with pytest.raises(ValueError, match="username"):
            link.link(username)
    with pytest.raises(ValueError, match="language"):
        StartLink("de").link("AnaKomekBot")


def test_start_link_is_immutable() -> None:
    link = StartLink("kk", "almaty")
    with pytest.raises(dataclasses.FrozenInstanceError):
        link.lang = "ru"  # type: ignore[misc]
    assert link == StartLink("kk", "almaty")
    assert hash(link) == hash(StartLink("kk", "almaty"))


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("roddom5", "roddom5"),
        (" Roddom5 ", "roddom5"),
        ("\tH111\n", "h111"),
        ("150", "150"),
        ("a" * 16, "a" * 16),
        ("", None),
        ("   ", None),
        ("a" * 17, None),
        ("rod dom", None),
        ("roddom-5", None),
        ("roddom_5", None),
        ("роддом", None),
        ("h111!", None),
        ("ｈ111", None),  # full-width letter
    ],
)
def test_parse_source(typed: str, expected: str | None) -> None:
    assert parse_source(typed) == expected
