"""Share images: the 1200×630 card WhatsApp, Facebook and X show when a page is shared.

A card is drawn with Pillow from a `ShareCard` of already formatted text, so the same card in
the same Pillow version always gives the same PNG bytes. The font is the one Pillow ships
(Aileron, drawn by FreeType), so nothing is fetched and nothing depends on the fonts a machine
has installed. A palette image with a handful of colours keeps each PNG near 10 KB, far under the
300 KB WhatsApp shows.
"""

from __future__ import annotations

import functools
import io
import zlib
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont, __version__ as PILLOW_VERSION

WIDTH, HEIGHT = 1200, 630
MARGIN = 60
# Palette entries: the site's colours (style.css: --brand, --ink, the table bars' #cfe0ec, --warn-line, --muted).
WHITE, BRAND, INK, LIGHT, WARN, GREY = range(6)
PALETTE = [0xff, 0xff, 0xff, 0x1f, 0x5f, 0x8b, 0x1b, 0x1f, 0x24, 0xcf, 0xe0, 0xec, 0x8a, 0x5d, 0x00, 0x4a, 0x55, 0x60]

# What a card's bytes depend on besides its text: a cache of drawn cards keys on this.
VERSION = f"shareimage-1 pillow-{PILLOW_VERSION}"


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
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size)


def fitted_font(text: str, size: int, width: int):
    """The font at `size`, or smaller until `text` fits in `width` pixels (long village names)."""
    while size > 24 and font(size).getlength(text) > width:
        size -= 4
    return font(size)


def canvas() -> tuple[Image.Image, ImageDraw.ImageDraw]:
    image = Image.new("P", (WIDTH, HEIGHT), WHITE)
    image.putpalette(PALETTE)
    draw = ImageDraw.Draw(image)
    draw.fontmode = "1"  # a palette image cannot show anti-aliasing anyway, and whole pixels draw faster
    return image, draw


@functools.lru_cache(maxsize=8)
def background(site_title: str, notice: str, footer: str) -> Image.Image:
    """What every card of a site in one language shares (drawn once, then copied)."""
    image, draw = canvas()
    draw.rectangle((0, 0, WIDTH, 96), fill=BRAND)
    draw.text((MARGIN, 26), site_title, font=fitted_font(site_title, 40, WIDTH - 2 * MARGIN), fill=WHITE)
    if notice:
        draw.text((MARGIN, 540), notice, font=fitted_font(notice, 34, WIDTH - 2 * MARGIN), fill=WARN)
    footer_font = font(28)
    draw.text((WIDTH - MARGIN - footer_font.getlength(footer), 590), footer, font=footer_font, fill=GREY)
    return image


def draw_card(card: ShareCard) -> bytes:
    """The card as PNG bytes."""
    image = background(card.site_title, card.notice, card.footer).copy()
    draw = ImageDraw.Draw(image)
    draw.fontmode = "1"
    inner = WIDTH - 2 * MARGIN
    draw.text((MARGIN, 130), card.heading, font=fitted_font(card.heading, 64, inner), fill=INK)
    draw.text((MARGIN, 225), card.figure, font=font(132), fill=BRAND)
    figure_width = int(font(132).getlength(card.figure))
    label_x = MARGIN + figure_width + 32
    draw.text((label_x, 300), card.figure_label, font=fitted_font(card.figure_label, 36, WIDTH - MARGIN - label_x),
              fill=INK)
    if card.gap_line:
        draw.text((MARGIN, 392), card.gap_line, font=fitted_font(card.gap_line, 44, inner), fill=INK)
    top, bottom = 468, 500
    draw.rectangle((MARGIN, top, WIDTH - MARGIN, bottom), fill=LIGHT)
    if card.rate is not None:
        filled = MARGIN + round(inner * min(max(card.rate, 0.0), 100.0) / 100)
        if filled > MARGIN:
            draw.rectangle((MARGIN, top, filled, bottom), fill=BRAND)
    mark = MARGIN + round(inner * card.target / 100)
    draw.rectangle((mark - 2, top - 10, mark + 2, bottom + 10), fill=INK)
    label_font = font(26)
    draw.text((WIDTH - MARGIN - label_font.getlength(card.target_label), bottom + 12), card.target_label,
              font=label_font, fill=GREY)
    out = io.BytesIO()
    # Run-length matching suits a flat card: faster than zlib's default and smaller.
    image.save(out, "PNG", compress_level=9, compress_type=zlib.Z_RLE)
    return out.getvalue()
