"""Embeds: a region's card and charts on another site, in an iframe.

Each region page with an embed has `sematkan.html` beside its `index.html` (so every relative link
and chart of the page works there unchanged): the card (name, headline figures, the illustrative
notice, the source and the period, a link back) and the charts, each chart also alone at
`sematkan.html#<chart id>`, which CSS alone shows without the rest. Its tables work without
JavaScript; with it, the page tells the iframe's parent its height (assets/embed.js), and the code
the region page offers to copy resizes the iframe to it.
"""

from __future__ import annotations

from markupsafe import escape

from .site import Page, Site

FILE = "sematkan.html"  # beside the page's index.html, in each language's folder
HEIGHT = 560            # the iframe's height before (or without) the page telling its own
CHART_HEIGHT = 480

# Resizes the iframe whose page sent its height (it compares the sender with each iframe's window,
# so it needs no origin check and resizes nothing else). Shared by every embed of the site.
RESIZE_SCRIPT = ('<script>window.addEventListener("message",function(e){var h=e.data&&e.data["sitegen-height"];'
                 'if(!h)return;Array.prototype.forEach.call(document.getElementsByTagName("iframe"),function(f){'
                 'if(f.contentWindow===e.source)f.style.height=Math.ceil(h)+"px"})})</script>')


def has_embed(site: Site, r: int) -> bool:
    return site.tree.regions[r].level in site.embed_levels


def embed_path(site: Site, r: int, prefix: str) -> str:
    return prefix + site.paths[r] + FILE


def iframe_code(url: str, title: str, height: int) -> str:
    return (f'<iframe src="{escape(url)}" title="{escape(title)}" width="100%" height="{height}" '
            f'style="border:0;max-width:720px" loading="lazy"></iframe>' + RESIZE_SCRIPT)


def embed_codes(site: Site, r: int, prefix: str, title: str, charts, _) -> list[dict]:
    """What the region page offers to copy: the card's iframe code, then each chart's."""
    url = site.config.base_url + embed_path(site, r, prefix)
    codes = [{"id": "kartu", "label": _("Kartu wilayah (angka ringkasan)"),
              "code": iframe_code(url, _("%(name)s: cakupan BPJS Ketenagakerjaan") % {"name": title}, HEIGHT)}]
    codes += [{"id": chart.id, "label": chart.title,
               "code": iframe_code(f"{url}#{chart.id}-embed", f"{title}: {chart.title}", CHART_HEIGHT)}
              for chart in charts]
    return codes


def embed_page(page: Page) -> Page:
    """The embed page of a region page (same folder, same context)."""
    return Page(page.path.removesuffix("index.html") + FILE, "embed.html", page.context)

