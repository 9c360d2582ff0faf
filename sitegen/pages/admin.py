"""The news editor at /admin/: Decap CMS, vendored, configured from the news contract.

Editors at a district office write and edit articles in the browser; the CMS commits each one to
the site's repository as `content/news/YYYY-MM-DD-slug.md`, and the next build publishes it. The
CMS's configuration is made here from the front-matter keys sitegen reads (inputs/articles.py:
NEWS_KEYS, tested to be the same set), with labels and hints in Bahasa Indonesia; the place picker
offers the site's regions from `admin/wilayah.json`, which this module publishes too.

Everything the page loads comes from the site itself (Decap's bundle and its chunks sit next to
the page); only the editing backend talks to another host: GitHub's API when the site is live,
decap-server on this computer (`local_backend`) when an editor works on a checkout.
"""

from __future__ import annotations

import json
import os
from importlib.resources import files

from ..inputs.articles import LANGS
from ..inputs.config import Admin
from ..render.environment import Renderer
from .site import Site, Writer

ADMIN = "admin/"
DECAP_VERSION = "3.16.3"
THEME = files("sitegen") / "theme"
LANGUAGE_NAMES = {"id": "Bahasa Indonesia", "en": "English"}

# One entry per front-matter key of an article (and the body): the CMS's widget, label and hint.
ARTICLE_FIELDS = (
    {"name": "title", "label": "Judul", "widget": "string",
     "hint": "Judul berita, seperti yang akan tampil di situs.",
     # The file name is made from the title; Decap keeps _ and ~ in it, which sitegen's names do not allow.
     "pattern": ["^[^_~]*$", "Judul tidak boleh memuat tanda _ atau ~, karena nama file berita dibuat dari judul"]},
    {"name": "date", "label": "Tanggal", "widget": "datetime", "format": "YYYY-MM-DD", "default": "{{now}}",
     "date_format": "YYYY-MM-DD", "time_format": False,
     "hint": "Tanggal terbit. Nama file berita diawali tanggal ini."},
    {"name": "summary", "label": "Ringkasan", "widget": "text", "required": False,
     "hint": "Satu atau dua kalimat untuk daftar berita dan pratinjau saat dibagikan."},
    {"name": "places", "label": "Wilayah", "widget": "select", "multiple": True, "required": False, "options": [],
     "hint": "Desa, kelurahan, kecamatan atau kabupaten yang diberitakan: berita tampil di halaman wilayah itu "
             "dan di halaman kecamatannya."},
    {"name": "tags", "label": "Tag", "widget": "list", "required": False,
     "hint": "Pisahkan dengan koma. Huruf kecil, angka dan tanda hubung saja, misalnya kader-posyandu."},
    {"name": "author", "label": "Penulis", "widget": "string", "required": False},
    {"name": "source", "label": "Sumber", "widget": "object", "required": False, "collapsed": True,
     "hint": "Bila berita ini berasal dari media atau lembaga lain.",
     "fields": [{"name": "name", "label": "Nama sumber", "widget": "string", "required": False},
                {"name": "url", "label": "Alamat (URL) sumber", "widget": "string", "required": False,
                 "pattern": ["^https?://\\S+$", "Alamat harus diawali http:// atau https://"]}]},
    {"name": "image", "label": "Gambar", "widget": "image", "required": False, "choose_url": False,
     "hint": "Disimpan di samping file berita."},
    {"name": "image_alt", "label": "Keterangan gambar", "widget": "string", "required": False,
     "hint": "Wajib bila ada gambar: jelaskan isi gambar untuk pembaca yang tidak dapat melihatnya."},
    {"name": "lang", "label": "Bahasa", "widget": "select", "default": "id",
     "options": [{"label": LANGUAGE_NAMES[code], "value": code} for code in LANGS]},
    {"name": "draft", "label": "Draf (belum diterbitkan)", "widget": "boolean", "default": False, "required": False,
     "hint": "Selama dicentang, berita tidak tampil di situs."},
    {"name": "body", "label": "Isi berita", "widget": "markdown"},
)


def admin_config(admin: Admin, repo: str, site_url: str) -> dict:
    """Decap CMS's configuration (what its config.yml would hold; given to CMS.init as JSON)."""
    backend = {"name": "github", "repo": repo, "branch": admin.branch,
               "commit_messages": {"create": "Berita baru: {{slug}}", "update": "Berita diubah: {{slug}}",
                                   "delete": "Berita dihapus: {{slug}}", "uploadMedia": "Gambar: {{path}}",
                                   "deleteMedia": "Gambar dihapus: {{path}}"}}
    if admin.auth_url:
        backend["base_url"] = admin.auth_url.rstrip("/")
    return {
        "load_config_file": False,
        "backend": backend,
        # Used only when the page is opened on localhost or 127.0.0.1, where `npx decap-server` edits the checkout.
        "local_backend": {"url": f"http://127.0.0.1:{admin.local_port}/api/v1"},
        "locale": "id",
        "site_url": site_url,
        "display_url": site_url,
        "logo_url": "../assets/icon.svg",
        "media_folder": "content/news",
        "public_folder": "",
        "slug": {"encoding": "ascii", "clean_accents": True, "sanitize_replacement": "-"},
        "collections": [{
            "name": "berita", "label": "Berita", "label_singular": "Berita",
            "description": "Berita untuk situs. Setiap berita disimpan sebagai satu file di content/news/.",
            "folder": "content/news", "extension": "md", "format": "frontmatter", "create": True, "delete": True,
            # The date as typed, not {{year}}-{{month}}-{{day}}: Decap takes those from the date in UTC,
            # which in WIB, WITA and WIT is the day before for an article dated at local midnight.
            "slug": "{{fields.date}}-{{slug}}", "identifier_field": "title",
            "media_folder": "", "public_folder": "",
            "summary": "{{date}} · {{title}}", "sortable_fields": ["date", "title"],
            "editor": {"preview": False},  # the site's own preview is `sitegen serve`
            "fields": [dict(field) for field in ARTICLE_FIELDS],
        }],
    }


def region_options(site: Site) -> list[list[str]]:
    """[code, label] for every region, in code order: the place picker's choices."""
    regions, tree = site.tree.regions, site.tree
    options = []
    for r, region in enumerate(regions):
        parent = tree.parent[r]
        within = f" — {regions[parent].name}" if parent >= 0 else ""
        options.append([region.code, f"{region.name} ({region.code}){within}"])
    return options


def admin_repo(admin: Admin) -> str:
    """The repository the editor commits to: the setting, else the one a GitHub Actions build runs in."""
    return admin.repo or os.environ.get("GITHUB_REPOSITORY", "")


def write_admin(site: Site, renderer: Renderer, writer: Writer) -> None:
    admin = site.config.admin
    if admin is None:
        return
    repo = admin_repo(admin)
    config = admin_config(admin, repo, site.config.base_url)
    writer.write(ADMIN + "config.json", json_bytes(config))
    writer.write(ADMIN + "wilayah.json", json_bytes(region_options(site)))
    writer.write(ADMIN + "index.html", renderer.render("admin.html", {
        "site_title": site.config.title.id, "repo": repo, "local_port": admin.local_port,
        }))
    for name in ("admin-start.js", "admin-setup.js", "decap-locale-id.js"):
        writer.write(ADMIN + name, (THEME / "admin" / name).read_bytes())
    vendored = THEME / "vendor" / f"decap-cms-{DECAP_VERSION}"
    for entry in sorted(vendored.iterdir(), key=lambda e: e.name):
        writer.write(ADMIN + entry.name, entry.read_bytes())


def json_bytes(value) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=1, sort_keys=False) + "\n").encode("utf-8")
