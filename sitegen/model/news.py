"""Which articles are published (drafts and future articles held back), and which each region lists:
its own and its descendants'."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..inputs.articles import Article
from .cube import Tree


@dataclass(frozen=True)
class News:
    articles: tuple[Article, ...]          # published, newest first
    held_back: int                         # drafts and future articles not published
    by_region: dict[int, tuple[int, ...]]  # region → indices into `articles`, newest first
    tags: dict[str, tuple[int, ...]]


def select_news(articles: list[Article], tree: Tree, now: dt.datetime, drafts: bool, future: bool) -> News:
    published = [a for a in articles if (drafts or not a.draft) and (future or a.date <= now)]
    published.sort(key=lambda a: (a.date, a.slug), reverse=True)
    by_region: dict[int, list[int]] = {}
    tags: dict[str, list[int]] = {}
    for i, article in enumerate(published):
        reached = set()
        for code in article.places:
            r = tree.index[code]
            for region in [r, *tree.ancestors(r)]:
                reached.add(region)
        for region in reached:
            by_region.setdefault(region, []).append(i)
        for tag in article.tags:
            tags.setdefault(tag, []).append(i)
    return News(tuple(published), len(articles) - len(published),
                {r: tuple(v) for r, v in by_region.items()}, {t: tuple(v) for t, v in sorted(tags.items())})
