"""News pages: the index (paginated), one page per article, tag pages, Atom feeds, the article
links checked, and the items each region page lists (model.news decides which articles those are)."""

from __future__ import annotations

import datetime as dt
import posixpath
import re
from pathlib import Path

from markupsafe import Markup

from ..inputs.articles import Article
from ..errors import Problems, tr
from ..model.cube import Tree
from ..model.news import News
from .urls import relative_url

PER_PAGE = 10
ON_REGION_PAGE = 5


def article_path(article: Article) -> str:
    return f"berita/{article.slug}/"


def tag_path(tag: str) -> str:
    return f"berita/tag/{tag}/"


def index_path(page: int) -> str:
    return "berita/" if page == 1 else f"berita/{page}/"


def check_links(articles: list[Article], region_folders: set[str], problems: Problems) -> None:
    """Every internal link of every article (drafts too) must point at a page or file of the site."""
    by_file = {a.path.name: a for a in articles}
    targets = set(region_folders) | site_files(articles)
    for article in articles:
        for href, line in article.links:
            target = internal_target(href, by_file)
            if target is not None and target not in targets:
                problems.error(article.path, line, tr("link {href} points to no page of the site", href=repr(href)))


def check_published_links(news: News, region_folders, problems: Problems) -> None:
    """A published article must not link to one held back (a draft, or dated later)."""
    published = list(news.articles)
    if not any(article.links for article in published):
        return
    by_file = {a.path.name: a for a in published}
    folders = set(region_folders) | site_files(published)

    def exists(target: str) -> bool:
        return target in folders or (target.endswith("/index.html") and target[:-len("index.html")] in folders)

    for article in published:
        for href, line in article.links:
            target = internal_target(href, by_file)
            if target is not None and not exists(target):
                problems.error(article.path, line, tr("link {href} points to a page that this build does not "
                                                      "publish (a draft, or an article dated later)",
                                                      href=repr(href)))


def site_files(articles: list[Article]) -> set[str]:
    """Folders and files that news and the site itself add, as a link may name them."""
    tags = {t for a in articles for t in a.tags}
    folders = {index_path(p) for p in range(1, page_numbers(len(articles)) + 1)}
    folders |= {article_path(a) for a in articles} | {tag_path(t) for t in tags}
    files = {f + "index.html" for f in folders} | {tag_path(t) + "atom.xml" for t in tags}
    files |= {f"{article_path(a)}{posixpath.basename(a.image)}" for a in articles if a.image}
    return folders | files | {"berita/atom.xml", "sitemap.xml", "robots.txt", "404.html"}


def internal_target(href: str, articles_by_file: dict) -> str | None:
    """The site-relative folder a link points to; None for external links and anchors."""
    if re.match(r"^[a-z][a-z0-9+.-]*:", href) or href.startswith(("#", "//")):
        return None
    path = href.split("#", 1)[0].split("?", 1)[0]
    if path.endswith(".md"):
        article = articles_by_file.get(posixpath.basename(path))
        return article_path(article) if article else f"<missing article {path}>"
    if path.startswith("/"):
        target = path.lstrip("/")
        if target.endswith("/") or target == "" or "." in posixpath.basename(target):
            return target
        return target + "/"
    return None


def localise_links(html: str, from_dir: str, articles_by_file: dict, base_url: str | None = None) -> Markup:
    """Rewrite site links (`/desa/...`, `other-article.md`) relative to the page, for any base path
    (or absolute under `base_url`, for feeds)."""
    def replace(match):
        href = match.group(1)
        target = internal_target(href, articles_by_file)
        if target is None or target.startswith("<"):
            return match.group(0)
        anchor = "#" + href.split("#", 1)[1] if "#" in href else ""
        url = base_url + target if base_url else relative_url(from_dir, target)
        return f'href="{url}{anchor}"'
    return Markup(re.sub(r'href="([^"]*)"', replace, html))


def absolute_images(html: str, page_url: str) -> Markup:
    """Feed readers resolve nothing against the article's page: image addresses become absolute."""
    def replace(match):
        src = match.group(1)
        if re.match(r"^[a-z][a-z0-9+.-]*:", src) or src.startswith(("/", "#")):
            return match.group(0)
        return f'src="{page_url}{src}"'
    return Markup(re.sub(r'src="([^"]*)"', replace, str(html)))


def image_size(path: Path) -> tuple[int, int] | None:
    import imagesize  # lazy: imported by builds whose articles have images, not by every build

    try:
        width, height = imagesize.get(str(path))
    except (OSError, ValueError):
        return None
    return (width, height) if width > 0 and height > 0 else None


def copy_body_images(article: Article, writer, html: str) -> Markup:
    """Copy the body's images next to the article's page; give each its size and lazy loading."""
    html = str(html)  # plain text: Markup.replace would escape the attributes added here
    for src in article.body_images:
        if article.image and posixpath.normpath(src) == posixpath.normpath(article.image):
            continue  # the same file as the article's main image, copied by copy_image
        source = article.path.parent / src
        writer.write(article_path(article) + posixpath.normpath(src), source.read_bytes())
        size = image_size(source)
        extra = f' width="{size[0]}" height="{size[1]}"' if size else ""
        html = html.replace(f'src="{src}"', f'src="{src}"{extra} loading="lazy"')
    if article.image and article.image in article.body_images:
        size = image_size(article.path.parent / article.image)
        extra = f' width="{size[0]}" height="{size[1]}"' if size else ""
        html = html.replace(f'src="{article.image}"', f'src="{posixpath.basename(article.image)}"{extra} loading="lazy"')
    return Markup(html)


def copy_image(article: Article, writer) -> dict | None:
    if not article.image:
        return None
    source = article.path.parent / article.image
    name = posixpath.basename(article.image)
    writer.write(article_path(article) + name, source.read_bytes())
    size = image_size(source)
    return {"src": name, "alt": article.image_alt, "width": size[0] if size else None,
            "height": size[1] if size else None}


def page_numbers(count: int) -> int:
    return max(1, -(-count // PER_PAGE))


def news_item(article: Article, from_dir: str, tree: Tree, paths, display) -> dict:
    return {
        "title": article.title, "url": relative_url(from_dir, article_path(article)), "date": article.date,
        "summary": article.summary,
        "places": [{"name": display(tree.regions[tree.index[code]]),
                    "url": relative_url(from_dir, paths[tree.index[code]])} for code in article.places],
    }


def write_news_pages(news: News, tree: Tree, paths, display, renderer, writer, base_url: str) -> list[str]:
    """Write the news index, articles, tag pages and feeds; returns their site-relative folders."""
    by_file = {a.path.name: a for a in news.articles}
    folders = []
    pages = page_numbers(len(news.articles))
    for page in range(1, pages + 1):
        folder = index_path(page)
        chunk = news.articles[(page - 1) * PER_PAGE: page * PER_PAGE]
        writer.write(folder + "index.html", renderer.render("news_index.html", {
            "base": relative_url(folder, ""), "page_path": folder, "items": [news_item(a, folder, tree, paths, display) for a in chunk],
            "page": page, "pages": pages, "tag": None, "feed_url": relative_url(folder, "berita/atom.xml"),
            "previous_url": relative_url(folder, index_path(page - 1)) if page > 1 else None,
            "next_url": relative_url(folder, index_path(page + 1)) if page < pages else None,
        }))
        folders.append(folder)
    for article in news.articles:
        folder = article_path(article)
        image = copy_image(article, writer)
        writer.write(folder + "index.html", renderer.render("article.html", {
            "base": relative_url(folder, ""), "page_path": folder, "article": article,
            "body": copy_body_images(article, writer, localise_links(article.body_html, folder, by_file)),
            "image": image,
            "item": news_item(article, folder, tree, paths, display),
            "tags": [{"tag": t, "url": relative_url(folder, tag_path(t))} for t in article.tags],
            "news_url": relative_url(folder, "berita/"),
        }))
        folders.append(folder)
    for tag, indices in news.tags.items():
        folder = tag_path(tag)
        writer.write(folder + "index.html", renderer.render("news_index.html", {
            "base": relative_url(folder, ""), "page_path": folder, "page": 1, "pages": 1, "tag": tag,
            "items": [news_item(news.articles[i], folder, tree, paths, display) for i in indices],
            "feed_url": relative_url(folder, folder + "atom.xml"), "previous_url": None, "next_url": None,
        }))
        writer.write(folder + "atom.xml", atom_feed(renderer, [news.articles[i] for i in indices], by_file,
                                                    base_url, folder, tag))
        folders.append(folder)
    writer.write("berita/atom.xml", atom_feed(renderer, list(news.articles), by_file, base_url, "berita/", None))
    return folders


def atom_feed(renderer, articles: list[Article], by_file: dict, base_url: str, folder: str, tag: str | None) -> str:
    entries = [{"article": a, "url": base_url + article_path(a),
                "body": absolute_images(localise_links(a.body_html, article_path(a), by_file, base_url),
                                        base_url + article_path(a))} for a in articles]
    updated = max((a.date for a in articles), default=dt.datetime(2000, 1, 1))
    return renderer.render("atom.xml", {"entries": entries, "updated": updated, "tag": tag,
                                        "feed_url": base_url + folder + "atom.xml", "page_url": base_url + folder})
