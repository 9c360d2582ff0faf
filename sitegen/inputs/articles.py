"""`content/news/*.md`: front matter + Markdown → validated, sanitised news articles.

Markdown is rendered by Python-Markdown and the HTML is then cleaned by nh3 with
an allowlist, so an article can never carry a script, an event handler, a
`javascript:` URL or an iframe, whatever its author wrote.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import nh3
import yaml

from .config import URL_RE
from ..errors import Problems, tr
from .files import LineDict, _LineLoader, decode_utf8, line_of, read_bytes, slugify

NEWS_KEYS = {"title", "date", "summary", "places", "tags", "author", "source", "image", "image_alt", "draft", "lang"}
LANGS = ("id", "en")
FILENAME_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})-([a-z0-9]+(?:-[a-z0-9]+)*)\.md$")
TAG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MARKDOWN_EXTENSIONS = ["tables", "footnotes", "toc", "attr_list", "sane_lists", "fenced_code"]

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "del", "div", "em", "figcaption", "figure",
    "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "span", "strong", "sub",
    "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul", "dl", "dt", "dd", "section", "small",
}
ALLOWED_ATTRIBUTES = {
    "*": {"id", "class", "title", "lang"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height", "loading"},
    "th": {"scope", "colspan", "rowspan", "align"},
    "td": {"colspan", "rowspan", "align"},
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https", "mailto"}


@dataclass(frozen=True)
class Article:
    slug: str
    path: Path                    # the Markdown file
    title: str
    date: dt.datetime
    summary: str
    places: tuple[str, ...]
    tags: tuple[str, ...]
    author: str
    source_name: str
    source_url: str
    image: str                    # path relative to the article file, '' if none
    image_alt: str
    draft: bool
    lang: str
    body_html: str                # sanitised
    links: tuple[tuple[str, int], ...]   # (href, line) of every link, for the link check
    body_images: tuple[str, ...] = ()    # images in the body, relative to the article file


def split_front_matter(text: str) -> tuple[str | None, str, int]:
    """(front matter, body, line where the body starts); None when the file has no front matter."""
    if not text.startswith("---"):
        return None, text, 1
    lines = text.split("\n")
    if lines[0].strip() != "---":
        return None, text, 1
    for i, line in enumerate(lines[1:], start=1):
        if line.strip() in ("---", "..."):
            return "\n".join(lines[1:i]), "\n".join(lines[i + 1:]), i + 2
    return None, text, 1


def parse_front_matter(path: Path, text: str, problems: Problems):
    try:
        data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problems.error(path, (mark.line + 2) if mark else None,
                       tr("invalid front matter: {reason}", reason=exc.problem or exc))
        return None
    except yaml.YAMLError as exc:  # e.g. a control character pasted from a word processor
        problems.error(path, None, tr("invalid front matter: {reason}", reason=exc))
        return None
    if not isinstance(data, LineDict):
        problems.error(path, 1, tr("front matter must be a mapping (title: ..., date: ...)"))
        return None
    shift_lines(data, 1)  # the YAML starts on the file's second line
    return data


def shift_lines(mapping: LineDict, offset: int) -> None:
    mapping.line += offset
    mapping.key_lines = {k: v + offset for k, v in mapping.key_lines.items()}
    for value in mapping.values():
        if isinstance(value, LineDict):
            shift_lines(value, offset)


def load_articles(content_dir: Path, region_codes: set[str], problems: Problems,
                  site_offset: dt.timezone = dt.timezone.utc, rendered=None) -> list[Article]:
    """Every article of `content/news/`; `rendered` turns a body into sanitised HTML (default: PlainMarkdown)."""
    folder = content_dir / "news"
    if not folder.is_dir():
        return []
    articles = []
    seen: dict[str, Path] = {}
    rendered = rendered or PlainMarkdown()
    for path in sorted(folder.glob("*.md")):
        article = load_article(path, region_codes, problems, site_offset, rendered)
        if article is None:
            continue
        if article.slug in seen:
            problems.error(path, None, tr("slug {slug} is already used by {file}; rename one of the files",
                                          slug=repr(article.slug), file=seen[article.slug].name))
            continue
        seen[article.slug] = path
        articles.append(article)
    warn_unused_files(folder, articles, problems)
    rendered.forget_the_rest()
    return articles


class PlainMarkdown:
    """Article bodies rendered as they are read (fast.markdown.StoredMarkdown keeps them instead)."""

    def get(self, body: str, first_line: int) -> tuple[str, tuple[tuple[str, int], ...]]:
        return render_markdown(body, first_line)

    def forget_the_rest(self) -> None:
        pass


def warn_unused_files(folder: Path, articles: list[Article], problems: Problems) -> None:
    """Nothing is silently dropped: a file that is neither an article nor an image one uses is named."""
    used = {(a.path.parent / a.image).resolve() for a in articles if a.image}
    used |= {(a.path.parent / src).resolve() for a in articles for src in a.body_images}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.suffix != ".md" and path.resolve() not in used and not path.name.startswith("."):
            problems.warn(path, None, tr("is neither an article (.md) nor an image that an article uses; "
                                         "it is not published"))


def load_article(path: Path, region_codes: set[str], problems: Problems,
                 site_offset: dt.timezone = dt.timezone.utc, rendered: PlainMarkdown | None = None) -> Article | None:
    match = FILENAME_RE.match(path.name)
    if not match:
        problems.error(path, None, tr("name must be YYYY-MM-DD-slug.md (lower-case letters, digits and hyphens)"))
        return None
    if match.group(2).isdigit():
        problems.error(path, None, tr("the slug after the date must not be only digits (it would clash with "
                                      "the news index pages /berita/2/, /berita/3/, ...)"))
        return None
    raw = read_bytes(path, problems)
    text = decode_utf8(path, raw, problems) if raw is not None else None
    if text is None:
        return None
    text = text.replace("\r\n", "\n")
    front, body, body_line = split_front_matter(text)
    if front is None:
        problems.error(path, 1, tr("missing front matter: start the file with a '---' line, "
                                   "then title: and date:, then another '---' line"))
        return None
    meta = parse_front_matter(path, front, problems)
    if meta is None:
        return None
    before = problems.error_count()
    for key in meta:
        if key not in NEWS_KEYS:
            problems.warn(path, line_of(meta, key), tr("unknown front-matter key {key} (a typo?)", key=repr(key)))
    title = text_field(meta, "title", path, problems, required=True)
    date = date_field(meta, path, problems, site_offset)
    places = list_field(meta, "places", path, problems)
    for code in places:
        if str(code) not in region_codes:
            problems.error(path, line_of(meta, "places"), tr("places: {code} is not a region code in regions.csv",
                                                                 code=repr(code)))
    tags = list_field(meta, "tags", path, problems)
    for tag in tags:
        if not TAG_RE.match(str(tag)):
            problems.error(path, line_of(meta, "tags"), tr("tags: {tag} must be lower-case letters, digits and hyphens",
                                                               tag=repr(tag)))
    lang = meta.get("lang", "id")
    if lang not in LANGS:
        problems.error(path, line_of(meta, "lang"), tr("lang {lang} must be one of {allowed}",
                                                            lang=repr(lang), allowed=", ".join(LANGS)))
    image = text_field(meta, "image", path, problems)
    image_alt = text_field(meta, "image_alt", path, problems)
    if image and not image_alt:
        problems.error(path, line_of(meta, "image"), tr("image_alt is required when image is set "
                                                        "(describe the picture for people who cannot see it)"))
    if image and not inside_folder(path.parent, image):
        problems.error(path, line_of(meta, "image"), tr("image {image} must be a file in the article's folder "
                                                        "or below it", image=repr(image)))
    elif image and not (path.parent / image).is_file():
        problems.error(path, line_of(meta, "image"), tr("image {image} does not exist next to the article",
                                                                        image=repr(image)))
    source = meta.get("source") or {}
    if not isinstance(source, dict):
        problems.error(path, line_of(meta, "source"), tr("source must be a mapping with name and url"))
        source = {}
    if source.get("url") and not URL_RE.match(str(source["url"])):
        problems.error(path, line_of(source, "url") or line_of(meta, "source"),
                       tr("source.url {url} must be an http(s) address", url=repr(source["url"])))
    draft = meta.get("draft", False)
    if not isinstance(draft, bool):
        problems.error(path, line_of(meta, "draft"), tr("draft must be true or false"))
    if problems.error_count() > before:
        return None
    html, links = (rendered or PlainMarkdown()).get(body, body_line)
    body_images = local_images(path, html, body, body_line, problems)
    if problems.error_count() > before:
        return None
    return Article(
        slug=match.group(2), path=path, title=title, date=date,
        summary=text_field(meta, "summary", path, problems), places=tuple(str(p) for p in places),
        tags=tuple(str(t) for t in tags), author=text_field(meta, "author", path, problems),
        source_name=str(source.get("name") or ""), source_url=str(source.get("url") or ""),
        image=image, image_alt=image_alt, draft=draft, lang=lang, body_html=html, links=links,
        body_images=body_images,
    )


def text_field(meta, key, path, problems: Problems, required: bool = False) -> str:
    value = meta.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.error(path, line_of(meta, key) if key in meta else 1, tr("{key} is missing or empty", key=key))
        return ""
    if not isinstance(value, (str, int, float)):
        problems.error(path, line_of(meta, key), tr("{key} must be text", key=key))
        return ""
    return str(value).strip()


def list_field(meta, key, path, problems: Problems) -> list:
    value = meta.get(key) or []
    if isinstance(value, (str, int, float)):
        value = [value]
    if not isinstance(value, list):
        problems.error(path, line_of(meta, key), tr("{key} must be a list, e.g. {key}: [a, b]", key=key))
        return []
    return value


def in_site_time(value: dt.datetime, site_offset: dt.timezone) -> dt.datetime:
    """A naive datetime in the site's time zone (a time with its own offset is converted)."""
    return value.astimezone(site_offset).replace(tzinfo=None) if value.tzinfo else value


def date_field(meta, path, problems: Problems, site_offset: dt.timezone) -> dt.datetime | None:
    value = meta.get("date")
    line = line_of(meta, "date") if "date" in meta else 1
    if value is None:
        problems.error(path, line, tr("date is missing (YYYY-MM-DD, optionally with a time HH:MM)"))
        return None
    if isinstance(value, dt.datetime):
        return in_site_time(value, site_offset)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    try:
        return in_site_time(dt.datetime.fromisoformat(str(value).strip()), site_offset)
    except ValueError:
        problems.error(path, line, tr("date {value} is not a real date (YYYY-MM-DD, optionally HH:MM)",
                                          value=repr(value)))
        return None


def render_markdown(body: str, first_line: int) -> tuple[str, tuple[tuple[str, int], ...]]:
    import markdown  # lazy: a build without news does not pay for loading it

    def convert(baselevel: int) -> str:
        return markdown.markdown(body, extensions=MARKDOWN_EXTENSIONS, output_format="html",
                                 extension_configs={"toc": {"baselevel": baselevel},
                                                    # align="…", not style=: the sanitiser drops style
                                                    "tables": {"use_align_attribute": True}})

    # The article's title is the page's only <h1>. Editors are told to start sections with '##';
    # one who starts them with '#' gets every heading moved down a level, so none is skipped.
    html = convert(1)
    if "<h1" in html:
        html = convert(2)
    clean = nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES,
                      link_rel=None, strip_comments=True)
    links = []
    for href in re.findall(r'href="([^"]*)"', clean):
        links.append((href, first_line + line_in(body, href)))
    return clean, tuple(links)


def local_images(path: Path, html: str, body: str, first_line: int, problems: Problems) -> tuple[str, ...]:
    """Images the body shows from files beside the article; a missing one is an error."""
    images = []
    for src in dict.fromkeys(re.findall(r'<img [^>]*src="([^"]*)"', html)):
        line = first_line + line_in(body, src)
        if re.match(r"^[a-z][a-z0-9+.-]*:", src) or src.startswith("//"):
            problems.error(path, line, tr("image {image} is on another website; the site loads nothing from "
                                          "other hosts, so save the image next to the article", image=repr(src)))
            continue
        if src.startswith(("/", "#")):
            continue
        if not inside_folder(path.parent, src) or not (path.parent / src).is_file():
            problems.error(path, line, tr("image {image} does not exist next to the article", image=repr(src)))
            continue
        images.append(src)
    return tuple(images)


def inside_folder(folder: Path, relative: str) -> bool:
    """True for a plain file path inside `folder` (no '..', no absolute path, no symbolic link)."""
    candidate = folder / relative
    if Path(relative).is_absolute() or ".." in Path(relative).parts or candidate.is_symlink():
        return False
    return candidate.resolve().is_relative_to(folder.resolve())


def line_in(body: str, href: str) -> int:
    """Line (0-based, within the body) where a link target is written; 0 when not found."""
    position = body.find(href)
    return body.count("\n", 0, position) if position >= 0 else 0


def slug_from_title(title: str) -> str:
    if not re.search(r"[A-Za-z0-9]", unicodedata.normalize("NFKD", title)):
        return "berita"
    return slugify(title)[:60].strip("-") or "berita"


def scaffold_article(content_dir: Path, title: str, today: dt.date) -> Path:
    """Write a new article file with its front matter filled in; refuses to overwrite one."""
    folder = content_dir / "news"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{today.isoformat()}-{slug_from_title(title)}.md"
    if path.exists():
        raise FileExistsError(path)
    quoted = title.replace("\\", "\\\\").replace('"', '\\"')
    path.write_text(
        "---\n"
        f'title: "{quoted}"\n'
        f"date: {today.isoformat()}\n"
        "summary: \n"
        "places: []        # region codes, e.g. [\"63.10.01.2005\"]\n"
        "tags: []\n"
        "author: \n"
        "draft: true       # remove this line to publish\n"
        "---\n\n"
        "Tulis isi berita di sini.\n", encoding="utf-8")
    return path
