"""Share images: the 1200×630 card WhatsApp, Facebook and X show when a page is shared.

A card is drawn with Pillow from a `ShareCard` of already formatted text, so the same card in
the same Pillow version always gives the same PNG bytes. The font is the one Pillow ships
(Aileron, drawn by FreeType), so nothing is fetched and nothing depends on the fonts a machine
has installed. Four colours at two bits a pixel keep each PNG near 9 KB, far under the 300 KB
WhatsApp shows. A card's own text is put together from masks of its characters drawn once, and
the text all cards of a language share is drawn once: a card takes about 2–3 ms, two thirds of it
Pillow's PNG encoder (~15,700 cards for the kabupaten and kecamatan of all Indonesia in two
languages: under a minute of CPU on a first build, cached afterwards).
"""

from __future__ import annotations

import functools
import io
import zlib
from dataclasses import dataclass
from importlib.metadata import version


WIDTH, HEIGHT = 1200, 630
MARGIN = 60
# Four colours, so that the PNG stores two bits a pixel (encoded in half the time of eight bits):
# the site's --paper, --brand and --ink, and the table bars' #cfe0ec (style.css).
WHITE, BRAND, INK, LIGHT = range(4)
PALETTE = [0xff, 0xff, 0xff, 0x1f, 0x5f, 0x8b, 0x1b, 0x1f, 0x24, 0xcf, 0xe0, 0xec]
LABEL_X = 560            # the figure's label, right of the widest figure ('100,0%')
BAR_TOP, BAR_BOTTOM = 468, 500

# What a card's bytes depend on besides its text: a cache of drawn cards keys on this.
@functools.lru_cache(maxsize=None)
def drawing_version() -> str:
    return f"shareimage-3 pillow-{version('pillow')}"


@dataclass(frozen=True)
class ShareCard:
    site_title: str      # 'Jamsostek Tanah Bumbu'
    heading: str         # 'Kecamatan Batu Licin'
    figure: str          # '72,4%': the coverage, as the page writes it
    figure_label: str    # 'pekerja desa terlindungi, April 2025'
    gap_line: str        # '1.234 pekerja belum terlindungi' ('' when unknown)
    rate: float | None   # the coverage in percent, for the bar
    target: float        # the target in percent, marked on the bar
    target_label: str    # 'target 99,5% pada 2045', under the mark
    notice: str          # 'ANGKA ILUSTRATIF · bukan data resmi', or ''
    footer: str          # the site's address, without the scheme


@functools.lru_cache(maxsize=None)
def font(size: int):
    from PIL import ImageFont  # lazy: a build that draws no card (an update, most often) never loads Pillow

    return ImageFont.load_default(size)


def fitted_size(text: str, size: int, width: int) -> int:
    """`size`, or smaller until `text` fits in `width` pixels (long village names)."""
    while size > 24 and font(size).getlength(text) > width:
        size -= 4
    return size


def fitted_font(text: str, size: int, width: int):
    return font(fitted_size(text, size, width))


@functools.lru_cache(maxsize=None)
def glyph(size: int, char: str):
    """One character of the font at `size`, drawn once: (its mask or None for a blank, where the mask
    goes from the pen, the pen's advance)."""
    from PIL import Image, ImageDraw  # lazy: see font()

    face = font(size)
    left, top, right, bottom = face.getbbox(char)
    if right <= left or bottom <= top:
        return None, (0, 0), face.getlength(char)
    mask = Image.new("1", (right - left, bottom - top), 0)
    draw = ImageDraw.Draw(mask)
    draw.fontmode = "1"
    draw.text((-left, -top), char, font=face, fill=1)
    return mask, (left, top), face.getlength(char)


def draw_text(image, xy: tuple[int, int], text: str, size: int, ink: int) -> None:
    """`text` as ImageDraw.text draws it with font(size), from masks of its characters drawn once
    (FreeType renders a whole string anew on every call: half of a card's time). The bundled font
    has whole-pixel advances and no kerning, so the characters land where the whole string's do."""
    x, y = xy
    for char in text:
        mask, (left, top), advance = glyph(size, char)
        if mask is not None:
            image.paste(ink, (round(x) + left, y + top), mask)
        x += advance


def canvas():
    from PIL import Image, ImageDraw  # lazy: see font()

    image = Image.new("P", (WIDTH, HEIGHT), WHITE)
    image.putpalette(PALETTE)
    draw = ImageDraw.Draw(image)
    draw.fontmode = "1"  # a palette image cannot show anti-aliasing anyway, and whole pixels draw faster
    return image, draw


@functools.lru_cache(maxsize=8)
def background(site_title: str, figure_label: str, target: float, target_label: str, notice: str,
               footer: str):
    """What the cards of a site in one language share (drawn once, then copied): all but the region's
    name, its figure, its gap and its bar."""
    image, draw = canvas()
    inner = WIDTH - 2 * MARGIN
    draw.rectangle((0, 0, WIDTH, 96), fill=BRAND)
    draw.text((MARGIN, 26), site_title, font=fitted_font(site_title, 40, inner), fill=WHITE)
    draw.text((LABEL_X, 300), figure_label, font=fitted_font(figure_label, 36, WIDTH - MARGIN - LABEL_X), fill=INK)
    draw.rectangle((MARGIN, BAR_TOP, WIDTH - MARGIN, BAR_BOTTOM), fill=LIGHT)
    label_font = font(26)
    draw.text((WIDTH - MARGIN - label_font.getlength(target_label), BAR_BOTTOM + 12), target_label,
              font=label_font, fill=INK)
    if notice:
        notice_font = fitted_font(notice, 34, inner - 24)
        draw.rectangle((MARGIN, 544, MARGIN + 24 + notice_font.getlength(notice), 590), fill=LIGHT)
        draw.text((MARGIN + 12, 550), notice, font=notice_font, fill=INK)
    footer_font = font(26)
    draw.text((WIDTH - MARGIN - footer_font.getlength(footer), 596), footer, font=footer_font, fill=BRAND)
    return image


def draw_card(card: ShareCard) -> bytes:
    """The card as PNG bytes."""
    from PIL import ImageDraw  # lazy: see font()

    image = background(card.site_title, card.figure_label, card.target, card.target_label, card.notice,
                       card.footer).copy()
    draw = ImageDraw.Draw(image)
    inner = WIDTH - 2 * MARGIN
    draw_text(image, (MARGIN, 130), card.heading, fitted_size(card.heading, 64, inner), INK)
    draw_text(image, (MARGIN, 225), card.figure, fitted_size(card.figure, 132, LABEL_X - MARGIN - 24), BRAND)
    if card.gap_line:
        draw_text(image, (MARGIN, 392), card.gap_line, fitted_size(card.gap_line, 44, inner), INK)
    if card.rate is not None:
        filled = MARGIN + round(inner * min(max(card.rate, 0.0), 100.0) / 100)
        if filled > MARGIN:
            draw.rectangle((MARGIN, BAR_TOP, filled, BAR_BOTTOM), fill=BRAND)
    mark = MARGIN + round(inner * card.target / 100)
    draw.rectangle((mark - 2, BAR_TOP - 10, mark + 2, BAR_BOTTOM + 10), fill=INK)
    out = io.BytesIO()
    # Two bits a pixel and run-length matching: a flat card encodes fastest so, and stays near 8 KB.
    image.save(out, "PNG", bits=2, compress_level=9, compress_type=zlib.Z_RLE)
    return out.getvalue()
