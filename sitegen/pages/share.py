"""Which region pages have a share image, where it lives, and what it says in each language."""

from __future__ import annotations

import re

from ..render.formatting import month_label
from ..render.shareimage import HEIGHT, WIDTH, ShareCard
from .site import Site, Texts, display_name

FILE = "pratinjau.png"  # beside the page's index.html, in each language's folder
ABOVE_DESA = ("nasional", "provinsi", "kabupaten", "kecamatan")
# `auto` makes a share image (and an embed page) for desa too up to this many desa: a kabupaten's
# few hundred cost a second or two; a province's thousands or the country's 83,000 would cost
# minutes, and gigabytes of images.
AUTO_DESA_LIMIT = 1_000


def region_levels(setting: str, desa_count: int) -> frozenset[str]:
    """The region levels whose pages get a per-page extra (site.yaml's `share_images`, `embeds`):
    auto, all, above-desa or none."""
    if setting == "none":
        return frozenset()
    with_desa = setting == "all" or (setting == "auto" and desa_count <= AUTO_DESA_LIMIT)
    return frozenset(ABOVE_DESA + (("desa",) if with_desa else ()))


def has_share_image(site: Site, r: int) -> bool:
    return site.tree.regions[r].level in site.share_levels


def share_image_path(site: Site, r: int, prefix: str) -> str:
    return prefix + site.paths[r] + FILE


def share_card(site: Site, facts: dict, texts: Texts) -> ShareCard:
    """The card of a region (`facts` from pages.region.region_facts) in one language."""
    _, fmt = texts._, texts.numbers
    headline = facts["headline"]
    if headline:
        figure = fmt.percent(headline["rate"])
        label = _("pekerja desa terlindungi, %(period)s") % {"period": month_label(headline["period"], texts.locale)}
        uncovered = headline["uncovered"]
        gap = _("%(num)s pekerja belum terlindungi") % {"num": fmt.integer(uncovered)} if uncovered is not None else ""
        rate = headline["rate"]
    else:
        figure, label, gap, rate = "–", _("belum ada data cakupan"), "", None
    return ShareCard(
        site_title=getattr(site.config.title, texts.lang),
        heading=drawable(display_name(facts["region"])),
        figure=drawable(figure),
        figure_label=label,
        gap_line=drawable(gap),
        rate=rate,
        target=float(site.config.target.coverage_pct),
        target_label=_("target %(target)s pada %(year)s") % {"target": fmt.percent(float(site.config.target.coverage_pct)),
                                                             "year": site.config.target.year},
        notice=_("ANGKA ILUSTRATIF · bukan data resmi") if facts["illustrative"] else "",
        footer=re.sub(r"^https?://|/$", "", site.config.base_url),
    )


def drawable(text: str) -> str:
    """Text in the characters Pillow's bundled font has: its subset lacks the en dash and the minus sign
    that mark a missing or negative number, and the no-break space."""
    return text.translate({0x2013: "-", 0x2212: "-", 0x00A0: " ", 0x202F: " "})


def share_meta(site: Site, r: int, texts: Texts, card: ShareCard) -> dict:
    """What the page's <head> says of its image (og:image needs an absolute address)."""
    return {"url": site.config.base_url + share_image_path(site, r, texts.prefix), "width": WIDTH, "height": HEIGHT,
            "alt": " ".join(part for part in (card.heading + ":", card.figure, card.figure_label + ".",
                                              card.gap_line + "." if card.gap_line else "",
                                              card.notice[:1] + card.notice[1:].lower()) if part)}


def default_share_image(site: Site, texts: Texts) -> dict | None:
    """The image of pages that have none of their own (news, downloads, methodology): the home page's."""
    root = site.tree.root
    if not has_share_image(site, root):
        return None
    return {"url": site.config.base_url + share_image_path(site, root, texts.prefix), "width": WIDTH, "height": HEIGHT,
            "alt": getattr(site.config.title, texts.lang)}
