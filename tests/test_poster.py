"""QR codes and posters: they must scan to exactly the link, print at size, and stay neutral."""

from __future__ import annotations

import io
import re
from importlib.resources import files
from typing import Any

import pytest
import zxingcpp
from PIL import Image, ImageDraw, ImageFont

from bot.core.deeplink import StartLink
from bot.staff.poster import (
    SCAN_KK,
    SCAN_RU,
    TAGLINE_KK,
    TAGLINE_RU,
    Format,
    Paper,
    poster,
    poster_lines,
    qr_png,
)

LINK = StartLink("kk", "almaty", "roddom5").link("AnaKomekBot")
# The longest a link can get: a 32-character username and a 64-character payload.
LONGEST_LINK = "https://t.me/" + "A" * 29 + "bot" + "?start=" + "kk_" + "p" * 44 + "_" + "s" * 16
LONG_NAME = "Ана көмек — жас аналар мен жүкті әйелдерге арналған анықтамалық бот"
UNBROKEN_NAME = "Anakomeksupportforyoungmothersandpregnantwomeninkazakhstan123456"
PAGE_PX: dict[Paper, tuple[int, int]] = {"A4": (2480, 3508), "A5": (1748, 2480)}
PAGE_PT: dict[Paper, tuple[int, int]] = {"A4": (595, 842), "A5": (420, 595)}
KAZAKH_LETTERS = "ӘәҒғҚқҢңӨөҰұҮүҺһІі"

# Stems, lower case: a poster hangs in waiting rooms, none of these may be on it.
CRISIS_WORDS = (
    # ru
    "насил", "кризис", "приют", "убежищ", "суицид", "самоубий", "побо", "избие", "изнасил",
    "жертв", "аборт", "отказ", "полиц", "опасн", "бьют", "угроз", "вич", "торговл", "беда",
    # kk
    "зорлық", "зомбылық", "дағдарыс", "баспана", "пана", "қол жұмсау", "соққы", "қорқыт",
    "түсік", "құрбан", "қауіп", "қиындық",
    # en
    "violence", "abuse", "shelter", "crisis", "suicide", "rape", "victim", "abortion",
    "trafficking", "domestic", "police", "emergency", "danger", "sos", "hiv",
)  # fmt: skip


def crisis_words_in(text: str) -> list[str]:
    lowered = text.lower()
    return [word for word in CRISIS_WORDS if word in lowered]


def decode(image: Image.Image) -> list[str]:
    return [barcode.text for barcode in zxingcpp.read_barcodes(image)]


def glyph(font: ImageFont.FreeTypeFont, char: str) -> bytes:
    image = Image.new("L", (80, 80), 0)
    ImageDraw.Draw(image).text((10, 10), char, font=font, fill=255)
    return image.tobytes()


def open_png(data: bytes) -> Image.Image:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    return image


# --- QR code ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "link",
    [LINK, StartLink("ru").link("AnaKomekBot"), LONGEST_LINK],
    ids=["usual", "short", "longest"],
)
def test_qr_png_decodes_to_exactly_the_link(link: str) -> None:
    image = open_png(qr_png(link))
    assert decode(image) == [link]
    barcode = zxingcpp.read_barcodes(image)[0]
    assert barcode.format == zxingcpp.BarcodeFormat.QRCode  # not a Micro QR
    assert barcode.ec_level in ("M", "Q", "H")


@pytest.mark.parametrize("link", [LINK, LONGEST_LINK], ids=["usual", "longest"])
def test_qr_png_prints_at_least_4_cm_with_a_4_module_quiet_zone(link: str) -> None:
    image = open_png(qr_png(link)).convert("L")
    assert image.width == image.height
    assert image.width / 300 * 2.54 >= 4.0
    assert round(image.info["dpi"][0]) == 300

    # The top-left finder pattern is 7 modules of black: it gives the module size.
    left, top, right, bottom = Image.eval(image, lambda v: 255 - v).getbbox() or (0, 0, 0, 0)
    row = [image.getpixel((x, top)) for x in range(left, right)]
    finder = next(i for i, value in enumerate(row) if value != 0)
    assert finder % 7 == 0
    module = finder // 7
    assert module >= 1
    assert (left, top) == (4 * module, 4 * module)
    assert (image.width - right, image.height - bottom) == (4 * module, 4 * module)


# --- poster text -----------------------------------------------------------------------


def test_poster_lines_say_who_it_is_for_in_both_languages() -> None:
    lines = poster_lines("  Ana\nKomek ", LINK)
    assert lines == ["Ana Komek", TAGLINE_KK, TAGLINE_RU, SCAN_KK, SCAN_RU, LINK]
    assert TAGLINE_RU == "Помощь молодым мамам и беременным"
    assert TAGLINE_KK == "Жас аналар мен жүкті әйелдерге көмек"
    with pytest.raises(ValueError, match="name"):
        poster_lines(" \n", LINK)


def test_the_crisis_word_check_works() -> None:
    assert crisis_words_in("Кризисный центр") == ["кризис"]
    assert crisis_words_in("Үйдегі ЗОРЛЫҚ-зомбылық") == ["зорлық", "зомбылық"]
    assert crisis_words_in("Domestic Violence shelter") == ["violence", "shelter", "domestic"]
    assert crisis_words_in("Ana Komek") == []


def test_no_crisis_word_on_the_poster() -> None:
    text = "\n".join(poster_lines("Ana Komek", LINK))
    assert crisis_words_in(text) == []


@pytest.mark.parametrize(
    ("name", "link"),
    [("Ana Komek", LINK), (LONG_NAME, LONGEST_LINK), (UNBROKEN_NAME, LONGEST_LINK)],
    ids=["usual", "long", "unbroken"],
)
def test_the_poster_draws_exactly_poster_lines(
    monkeypatch: pytest.MonkeyPatch, name: str, link: str
) -> None:
    drawn: list[str] = []
    draw_text = ImageDraw.ImageDraw.text

    def record(self: ImageDraw.ImageDraw, xy: Any, text: Any, *args: Any, **kwargs: Any) -> None:
        drawn.append(str(text))
        draw_text(self, xy, text, *args, **kwargs)

    monkeypatch.setattr(ImageDraw.ImageDraw, "text", record)
    poster(link, name, "A5", "png")

    def squeeze(texts: list[str]) -> str:
        return "".join(texts).replace(" ", "")

    # Rows may wrap a line, but every character drawn comes from poster_lines, in order.
    assert squeeze(drawn) == squeeze(poster_lines(name, link))
    assert all(row == row.strip() and row for row in drawn)


def test_the_fonts_have_every_letter_the_poster_needs() -> None:
    text = "".join(poster_lines(LONG_NAME, LONGEST_LINK)) + KAZAKH_LETTERS + "«»–—№…„“”"
    fonts = files("bot.staff") / "fonts"
    for name in ("DejaVuSans-subset.ttf", "DejaVuSans-Bold-subset.ttf"):
        font = ImageFont.truetype(io.BytesIO((fonts / name).read_bytes()), 40)
        missing = glyph(font, "中")  # not in the subset: drawn as the empty box
        assert glyph(font, "\u0800") == missing  # (so is any other missing letter)
        for char in sorted(set(text) - {" "}):
            assert glyph(font, char) != missing, f"{name} lacks {char!r}"
    assert "Bitstream Vera" in (fonts / "LICENSE-DejaVu.txt").read_text(encoding="utf-8")


# --- poster rendering ------------------------------------------------------------------


@pytest.mark.parametrize("paper", ["A4", "A5"])
def test_png_poster_has_the_page_size_and_a_readable_qr(paper: Paper) -> None:
    image = open_png(poster(LINK, "Ana Komek", paper, "png"))
    assert image.size == PAGE_PX[paper]
    assert round(image.info["dpi"][0]) == 300
    assert image.getpixel((0, 0)) == 255  # white paper
    assert decode(image) == [LINK]


@pytest.mark.parametrize("paper", ["A4", "A5"])
def test_pdf_poster_is_one_page_of_the_paper_size(paper: Paper) -> None:
    data = poster(LINK, "Ana Komek", paper, "pdf")
    assert data.startswith(b"%PDF-")
    assert data.rstrip().endswith(b"%%EOF")
    assert re.findall(rb"/Count\s+(\d+)", data) == [b"1"]
    boxes = re.findall(rb"/MediaBox\s*\[\s*([\d.\s]+)\]", data)
    assert len(boxes) == 1
    x0, y0, x1, y1 = (float(v) for v in boxes[0].split())
    width, height = PAGE_PT[paper]
    assert (x0, y0) == (0, 0)
    assert abs(x1 - width) < 1 and abs(y1 - height) < 1


@pytest.mark.parametrize("paper", ["A4", "A5"])
@pytest.mark.parametrize("name", [LONG_NAME, UNBROKEN_NAME], ids=["long", "unbroken"])
def test_long_names_and_links_are_not_cut_off(paper: Paper, name: str) -> None:
    image = open_png(poster(LONGEST_LINK, name, paper, "png"))
    width, height = image.size
    band = round(0.05 * width)  # inside the 7 % margin: no ink may reach it
    for box in (
        (0, 0, width, band),
        (0, height - band, width, height),
        (0, 0, band, height),
        (width - band, 0, width, height),
    ):
        assert image.crop(box).getextrema() == (255, 255), box
    assert decode(image) == [LONGEST_LINK]


def test_posters_are_deterministic() -> None:
    formats: tuple[Format, ...] = ("png", "pdf")
    for fmt in formats:
        first = poster(LINK, "Ana Komek", "A5", fmt)
        assert poster(LINK, "Ana Komek", "A5", fmt) == first
        assert poster(LINK + "x", "Ana Komek", "A5", fmt) != first


def test_bad_paper_or_format_is_refused() -> None:
    with pytest.raises(ValueError, match="paper"):
        poster(LINK, "Ana Komek", "A3", "png")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="format"):
        poster(LINK, "Ana Komek", "A4", "svg")  # type: ignore[arg-type]
