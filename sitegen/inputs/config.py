"""`data/site.yaml` → a frozen, typed site configuration."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from ..errors import Problems, tr
from .files import LineDict, line_of, load_yaml

# share_images and embeds, per region page; auto: desa pages only on sites of up to 1,000 desa (pages/share.py)
PER_REGION = ("auto", "all", "above-desa", "none")
SITE_KEYS = {"title", "base_url", "root_region", "as_of", "target", "contact", "utc_offset", "license", "admin",
             "share_images", "embeds"}
ADMIN_KEYS = {"repo", "branch", "auth_url", "local_port"}
REPO_RE = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
DEFAULT_LICENSE = {"name": "CC BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"}
TARGET_KEYS = {"coverage_pct", "year", "source"}
URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*$")


@dataclass(frozen=True)
class Text:
    """A string in Bahasa Indonesia (`id`) and English (`en`)."""

    id: str
    en: str


@dataclass(frozen=True)
class Target:
    coverage_pct: Decimal
    year: int
    source: str
    source_line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Admin:
    """The news editor at /admin/ (Decap CMS): where it commits, and how editors sign in."""

    repo: str = ""          # owner/name on GitHub; "" = $GITHUB_REPOSITORY of the build, if any
    branch: str = "main"
    auth_url: str = ""      # the OAuth proxy that signs editors in to GitHub (docs/editing.md)
    local_port: int = 8081  # decap-server's port, for editing a checkout on this computer


@dataclass(frozen=True)
class SiteConfig:
    title: Text
    base_url: str
    root_region: str
    as_of: dt.date
    target: Target
    contact: dict = field(default_factory=dict)
    utc_offset: str = "+07:00"
    license: dict = field(default_factory=lambda: dict(DEFAULT_LICENSE))
    admin: Admin | None = None   # None: no /admin/ page
    share_images: str = "auto"   # which pages get a share image: auto, all, above-desa, none (pages/share.py)
    embeds: str = "auto"         # which pages get an embed page, likewise (pages/embed.py)

    @property
    def timezone(self) -> dt.timezone:
        """The site's time zone, from utc_offset (+08:00 → UTC+8)."""
        sign = -1 if self.utc_offset.startswith("-") else 1
        hours, minutes = self.utc_offset[1:].split(":")
        return dt.timezone(sign * dt.timedelta(hours=int(hours), minutes=int(minutes)))

    @property
    def base_path(self) -> str:
        """The path part of base_url, e.g. '/jamsostek/' (used where relative links cannot be)."""
        match = re.match(r"^https?://[^/]+(/.*)?$", self.base_url)
        path = (match.group(1) if match else None) or "/"
        return path if path.endswith("/") else path + "/"


def normalise_base_url(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def read_text_pair(value, path, line, key, problems: Problems) -> Text | None:
    if isinstance(value, str) and value.strip():
        return Text(value.strip(), value.strip())
    if isinstance(value, dict):
        texts = {lang: value.get(lang) for lang in ("id", "en")}
        bad = [lang for lang, text in texts.items() if not isinstance(text, str) or not text.strip()]
        if not bad:
            return Text(texts["id"].strip(), texts["en"].strip())
        problems.error(path, line, tr("{key}.{lang} must be a non-empty text", key=key, lang=bad[0]))
        return None
    problems.error(path, line, tr("{key} must have texts for id and en, e.g. {key}: {{id: ..., en: ...}}", key=key))
    return None


def warn_unknown_keys(mapping: dict, known: set, path, problems: Problems, prefix: str = "") -> None:
    for key in mapping:
        if key not in known:
            problems.warn(path, line_of(mapping, key), tr("unknown key {key} (a typo?)", key=repr(prefix + str(key))))


def load_site_config(data_dir: Path, problems: Problems, base_url: str | None = None) -> SiteConfig | None:
    path = data_dir / "site.yaml"
    raw = load_yaml(path, problems)
    if raw is None:
        return None
    if not isinstance(raw, LineDict):
        problems.error(path, 1, tr("must be a mapping of settings (title, base_url, root_region, ...)"))
        return None
    warn_unknown_keys(raw, SITE_KEYS, path, problems)
    before = problems.error_count()

    def need(key):
        if key not in raw or raw[key] in (None, ""):
            problems.error(path, raw.line, tr("missing required setting {key}", key=repr(key)))
            return None
        return raw[key]

    title = need("title")
    title = read_text_pair(title, path, line_of(raw, "title"), "title", problems) if title else None
    url = base_url or need("base_url")
    if url is not None and (not isinstance(url, str) or not URL_RE.match(url)):
        where = "--base-url" if base_url else "base_url"
        problems.error(path if not base_url else "--base-url", line_of(raw, "base_url") if not base_url else None,
                       tr("{setting} {url} is not an http(s) URL", setting=where, url=repr(url)))
    root = need("root_region")
    as_of = need("as_of")
    if as_of is not None and not isinstance(as_of, dt.date):
        try:
            as_of = dt.date.fromisoformat(str(as_of))
        except ValueError:
            problems.error(path, line_of(raw, "as_of"), tr("as_of {value} is not a date (YYYY-MM-DD)", value=repr(as_of)))
    if isinstance(as_of, dt.datetime):
        as_of = as_of.date()
    target = load_target(need("target"), path, problems)
    contact = raw.get("contact") or {}
    if not isinstance(contact, dict):
        problems.error(path, line_of(raw, "contact"), tr("contact must be a mapping (e.g. email, phone, address)"))
    utc_offset = str(raw.get("utc_offset") or "+07:00")
    if not re.match(r"^[+-](0\d|1[0-4]):[0-5]\d$", utc_offset):
        problems.error(path, line_of(raw, "utc_offset"), tr("utc_offset {value} must look like +08:00", value=repr(utc_offset)))
    license = raw.get("license") or DEFAULT_LICENSE
    if not (isinstance(license, dict) and isinstance(license.get("name"), str) and license["name"].strip()
            and isinstance(license.get("url", ""), str) and (not license.get("url") or URL_RE.match(license["url"]))):
        problems.error(path, line_of(raw, "license"), tr("license must be a mapping with a name and an http(s) url, "
                                                         "e.g. {name: CC BY 4.0, url: https://creativecommons.org/licenses/by/4.0/}"))
    admin = load_admin(raw.get("admin", False), path, line_of(raw, "admin"), problems)
    per_region = {key: raw.get(key, "auto") for key in ("share_images", "embeds")}
    for key, value in per_region.items():
        if value not in PER_REGION:
            problems.error(path, line_of(raw, key), tr("{key} {value} must be one of {allowed}", key=key,
                                                       value=repr(value), allowed=", ".join(PER_REGION)))
    if problems.error_count() > before:
        return None
    return SiteConfig(
        title=title, base_url=normalise_base_url(url), root_region=str(root),
        as_of=as_of, target=target, contact=dict(contact), utc_offset=utc_offset,
        license={"name": license["name"].strip(), "url": license.get("url") or ""},
        admin=admin, **per_region,
    )


def load_admin(raw, path, line: int, problems: Problems) -> Admin | None:
    """`admin: true`, or a mapping of ADMIN_KEYS; absent or false: no /admin/ page."""
    if raw is False or raw is None:
        return None
    if raw is True:
        return Admin()
    if not isinstance(raw, dict):
        problems.error(path, line, tr("admin must be true, false or a mapping (repo, branch, auth_url, local_port)"))
        return None
    warn_unknown_keys(raw, ADMIN_KEYS, path, problems, prefix="admin.")
    repo, branch = str(raw.get("repo") or ""), str(raw.get("branch") or "main")
    auth_url, port = str(raw.get("auth_url") or ""), raw.get("local_port", 8081)
    if repo and not REPO_RE.match(repo):
        problems.error(path, line_of(raw, "repo") or line, tr("admin.repo {value} must be owner/name on GitHub", value=repr(repo)))
    if auth_url and not URL_RE.match(auth_url):
        problems.error(path, line_of(raw, "auth_url") or line, tr("admin.auth_url {value} is not an http(s) URL", value=repr(auth_url)))
    if not (isinstance(port, int) and not isinstance(port, bool) and 1 <= port <= 65535):
        problems.error(path, line_of(raw, "local_port") or line, tr("admin.local_port {value} must be a port number", value=repr(port)))
        port = 8081
    return Admin(repo, branch, auth_url, port)


def load_target(raw, path, problems: Problems) -> Target | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        problems.error(path, line_of(raw), tr("target must be a mapping with coverage_pct, year and source"))
        return None
    warn_unknown_keys(raw, TARGET_KEYS, path, problems, prefix="target.")
    line = line_of(raw)
    try:
        pct = Decimal(str(raw.get("coverage_pct")))
        if not (0 < pct <= 100):
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        problems.error(path, line_of(raw, "coverage_pct") or line,
                       tr("target.coverage_pct {value} must be a number above 0 and at most 100",
                          value=repr(raw.get("coverage_pct"))))
        return None
    year = raw.get("year")
    if not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= 2100:
        problems.error(path, line_of(raw, "year") or line, tr("target.year {value} must be a year such as 2026", value=repr(year)))
        return None
    source = raw.get("source")
    if not isinstance(source, str) or not source:
        problems.error(path, line, tr("target.source must name a source id from sources.yaml"))
        return None
    return Target(pct, year, source, line_of(raw, "source") or line)
