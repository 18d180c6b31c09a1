"""QR codes and printable posters with which staff hand the bot to a woman.

A hotline operator sends the QR code as a picture; a maternity ward prints a poster for its
waiting room. The poster is neutral on purpose: it hangs where anyone can read it and a woman
may be photographed next to it, so it says only who the bot is for (young mothers and pregnant
women, in Kazakh and Russian), never what trouble it helps with. `poster_lines` is the whole
text it draws, so a test can hold it to that.

Everything is rendered in memory at 300 dpi, the resolution print shops expect, with fonts
bundled in `fonts/` (a DejaVu Sans subset with Cyrillic and the Kazakh letters; see
`fonts/LICENSE-DejaVu.txt`), so every machine draws the same bytes without system fonts.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Final, Literal

import segno
from PIL import Image, ImageDraw, ImageFont

Paper = Literal["A4", "A5"]
Format = Literal["pdf", "png"]

DPI: Final = 300
QUIET_ZONE: Final = 4
"""White modules around the code: the standard's minimum; less and some phones fail to read it."""
QR_MIN_PX: Final = math.ceil(4 / 2.54 * DPI)
"""4 cm at 300 dpi: small enough for any printout, large enough to scan from arm's length."""
PAPER_PX: Final[dict[str, tuple[int, int]]] = {"A4": (2480, 3508), "A5": (1748, 2480)}

TAGLINE_KK: Final = "Жас аналар мен жүкті әйелдерге көмек"
TAGLINE_RU: Final = "Помощь молодым мамам и беременным"
SCAN_KK: Final = "Телефон камерасын кодқа бағыттаңыз"
SCAN_RU: Final = "Наведите камеру телефона на код"

_WHITE: Final = 255
_TEXT: Final = 0x1A  # near black: dark on white, as legible as print gets
_MARGIN: Final = 0.07  # of the page width, all around: printers cannot print to the edge
_QR_SIDE: Final = 0.7  # of the page width, when the text leaves room for it
_ROW_PITCH: Final = 1.22  # line height in font sizes
_FONT_FILES: Final = {False: "DejaVuSans-subset.ttf", True: "DejaVuSans-Bold-subset.ttf"}


def qr_png(link: str) -> bytes:
    """The link as a QR code PNG of at least 4 cm at 300 dpi (error correction M or better).

    Whole pixels per module keep every edge sharp after printing; the PNG carries 300 dpi so
    that printing it at "actual size" gives the physical size.
    """
    code = _qr(link)
    modules = int(code.symbol_size(scale=1, border=QUIET_ZONE)[0])
    out = io.BytesIO()
    code.save(out, kind="png", scale=math.ceil(QR_MIN_PX / modules), border=QUIET_ZONE, dpi=DPI)
    return out.getvalue()


def poster_lines(bot_name: str, link: str) -> list[str]:
    """Every text the poster shows, in order; the poster draws these and nothing else."""
    name = " ".join(bot_name.split())
    if not name:
        raise ValueError("the poster needs the bot's name")
    return [name, TAGLINE_KK, TAGLINE_RU, SCAN_KK, SCAN_RU, link]


def poster(link: str, bot_name: str, paper: Paper, fmt: Format) -> bytes:
    """A one-page poster at 300 dpi: PNG (grayscale) or PDF of the paper's physical size.

    The PDF holds a lossless black-and-white image (CCITT G4): printers print in black and
    white anyway, the QR stays crisp, the file stays small, and it carries no date, so the
    same poster is the same bytes.
    """
    if paper not in PAPER_PX:
        raise ValueError(f"paper must be A4 or A5, got {paper!r}")
    if fmt not in ("pdf", "png"):
        raise ValueError(f"format must be pdf or png, got {fmt!r}")
    image = _render(poster_lines(bot_name, link), PAPER_PX[paper])
    out = io.BytesIO()
    if fmt == "png":
        image.save(out, format="PNG", dpi=(DPI, DPI))
    else:
        image.convert("1", dither=Image.Dither.NONE).save(
            out, format="PDF", resolution=DPI, title=None, creationDate=None, modDate=None
        )
    return out.getvalue()


@dataclass(frozen=True, slots=True)
class _Block:
    """Lines drawn at one font size, e.g. the Kazakh and Russian taglines side by side."""

    lines: tuple[str, ...]
    bold: bool
    size: float  # the wished font size, as a fraction of the page width
    smallest: float  # the least it may shrink to
    break_words: bool = False  # may split a word between letters (a link has no spaces)


def _render(lines: list[str], page: tuple[int, int]) -> Image.Image:
    """Lays out name and taglines at the top, the link at the bottom, the QR large between.

    Text shrinks to fit the width, then wraps, so a long bot name is never cut off; the QR
    takes what height is left, up to 70 % of the page width.
    """
    name, tag_kk, tag_ru, scan_kk, scan_ru, link = lines
    width, height = page
    margin = round(_MARGIN * width)
    text_width = width - 2 * margin
    name_rows = _fit(_Block((name,), True, 0.085, 0.04), width, text_width)
    tag_rows = _fit(_Block((tag_kk, tag_ru), False, 0.042, 0.025), width, text_width)
    scan_rows = _fit(_Block((scan_kk, scan_ru), False, 0.032, 0.022), width, text_width)
    link_rows = _fit(_Block((link,), False, 0.022, 0.014, break_words=True), width, text_width)
    gap = round(0.035 * width)

    header_bottom = margin + _height(name_rows) + gap // 2 + _height(tag_rows)
    footer_top = height - margin - _height(link_rows)
    room = footer_top - header_bottom - 2 * gap  # for the QR, a gap and the instructions
    qr_pixels = _qr_matrix_image(link)
    modules = qr_pixels.width
    module_px = min(round(_QR_SIDE * width), room - gap - _height(scan_rows)) // modules
    if module_px * modules < QR_MIN_PX:
        raise ValueError("the text leaves no room for a QR code of 4 cm")
    qr_side = module_px * modules
    qr_top = header_bottom + gap + (room - qr_side - gap - _height(scan_rows)) // 2

    image = Image.new("L", page, _WHITE)
    draw = ImageDraw.Draw(image)
    _draw_rows(draw, name_rows, width // 2, margin)
    _draw_rows(draw, tag_rows, width // 2, margin + _height(name_rows) + gap // 2)
    image.paste(
        qr_pixels.resize((qr_side, qr_side), Image.Resampling.NEAREST),
        ((width - qr_side) // 2, qr_top),
    )
    _draw_rows(draw, scan_rows, width // 2, qr_top + qr_side + gap)
    _draw_rows(draw, link_rows, width // 2, footer_top)
    return image


_Rows = tuple[ImageFont.FreeTypeFont, list[str]]


def _fit(block: _Block, page_width: int, text_width: int) -> _Rows:
    """The largest size at which the block fits: on one row each down to 70 % of the wished
    size, else on two rows each down to the smallest size, else broken wherever needed."""
    target = round(block.size * page_width)
    smallest = round(block.smallest * page_width)
    for max_rows, floor in ((1, max(smallest, round(0.7 * target))), (2, smallest)):
        size = target
        while True:
            font = _font(block.bold, size)
            wrapped = [_wrap(line, font, text_width) for line in block.lines]
            if all(
                len(rows) <= max_rows and (block.break_words or not broken)
                for rows, broken in wrapped
            ):
                return font, [row for rows, _ in wrapped for row in rows]
            if size <= floor:
                break
            size = max(floor, math.floor(size * 0.95))
    font = _font(block.bold, smallest)
    return font, [row for line in block.lines for row in _wrap(line, font, text_width)[0]]


_LINK_BREAKS: Final = re.compile(r"(?<=[/?=_-])")


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> tuple[list[str], bool]:
    """Greedy rows of whole words (of a link: its parts after / ? = _ -), and whether a word
    too wide for any row had to be broken between letters."""
    link_like = " " not in text and _LINK_BREAKS.search(text) is not None
    tokens = [t for t in _LINK_BREAKS.split(text) if t] if link_like else text.split(" ")
    joiner = "" if link_like else " "
    rows: list[str] = []
    row = ""
    broken = False
    for token in tokens:
        candidate = row + joiner + token if row else token
        if _fits(candidate, font, width):
            row = candidate
            continue
        if row:
            rows.append(row)
        row = ""
        if _fits(token, font, width):
            row = token
            continue
        broken = True
        for char in token:
            if row and not _fits(row + char, font, width):
                rows.append(row)
                row = ""
            row += char
    rows.append(row)
    return rows, broken


def _fits(text: str, font: ImageFont.FreeTypeFont, width: int) -> bool:
    """Whether the ink of `text`, centred as `_draw_rows` centres it, stays within `width`."""
    left, _, right, _ = font.getbbox(text, anchor="ms")
    return 2 * max(-left, right) <= width


def _height(rows: _Rows) -> int:
    font, lines = rows
    return round(len(lines) * font.size * _ROW_PITCH)


def _draw_rows(draw: ImageDraw.ImageDraw, rows: _Rows, centre_x: int, top: int) -> None:
    font, lines = rows
    ascent = font.getmetrics()[0]
    for index, line in enumerate(lines):
        baseline = top + ascent + round(index * font.size * _ROW_PITCH)
        draw.text((centre_x, baseline), line, font=font, fill=_TEXT, anchor="ms")


def _qr(link: str) -> segno.QRCode:
    # Never a Micro QR (many phone cameras cannot read those); M or better (boosted when free).
    return segno.make_qr(link, error="m", boost_error=True)


def _qr_matrix_image(link: str) -> Image.Image:
    """The code with its quiet zone at one pixel per module, black on white."""
    code = _qr(link)
    matrix = code.matrix_iter(scale=1, border=QUIET_ZONE)
    rows = [bytes(0 if dark else _WHITE for dark in row) for row in matrix]
    return Image.frombytes("L", (len(rows[0]), len(rows)), b"".join(rows))


@cache
def _font(bold: bool, size: int) -> ImageFont.FreeTypeFont:
    # BASIC layout: Cyrillic needs no shaping, and it draws the same with or without libraqm.
    return ImageFont.truetype(
        io.BytesIO(_font_bytes(bold)), size, layout_engine=ImageFont.Layout.BASIC
    )


@cache
def _font_bytes(bold: bool) -> bytes:
    return files("bot.staff").joinpath("fonts", _FONT_FILES[bold]).read_bytes()
