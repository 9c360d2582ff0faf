"""Check a built site's internal links: every href/src that stays on the site must reach a file.

Used by `sitegen check-links` (in CI, on the built site) and by the tests.
"""

from __future__ import annotations

import posixpath
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

LINK_ATTRIBUTES = {("a", "href"), ("link", "href"), ("script", "src"), ("script", "data-vega"), ("img", "src")}


class LinkCollector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if (tag, name) in LINK_ATTRIBUTES and value:
                self.links.append((tag, value))


def page_links(html: str) -> list[tuple[str, str]]:
    collector = LinkCollector()
    collector.feed(html)
    return collector.links


def resolve(site: Path, page: str, href: str, base_path: str) -> Path | None:
    """The file a link on `page` (site-relative) points to; None when it leaves the site."""
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or href.startswith(("#", "mailto:")):
        return None
    path = unquote(parts.path)
    if not path:
        return site / page
    if path.startswith("/"):
        if not path.startswith(base_path):
            return Path("/nonexistent") / path.lstrip("/")
        target = path[len(base_path):]
    else:
        target = posixpath.normpath(posixpath.join(posixpath.dirname(page), path))
        if target.startswith(".."):
            return Path("/nonexistent") / target
        if path.endswith("/") and target != ".":
            target += "/"
    target = "" if target == "." else target
    file = site / target
    return file / "index.html" if target.endswith("/") or target == "" or file.is_dir() else file


def broken_links(site: Path, base_path: str = "/") -> list[str]:
    """`page: href` for every internal link of every HTML page that reaches no file."""
    problems = []
    for page in sorted(site.rglob("*.html")):
        relative = page.relative_to(site).as_posix()
        for tag, href in page_links(page.read_text(encoding="utf-8")):
            target = resolve(site, relative, href, base_path)
            if target is not None and not target.is_file():
                problems.append(f"{relative}: <{tag}> {href} reaches no file")
    return problems
