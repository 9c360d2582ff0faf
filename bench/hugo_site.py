"""Write a Hugo site equivalent to a sitegen site: one page per region with the same
headline figures, tables, and inline Vega-Lite specs, so the two generators can be
timed on the same corpus. The page data comes from sitegen's own model.
"""

from __future__ import annotations

import gettext
import json
import shutil
from pathlib import Path

from sitegen.build import BuildOptions, build_model, load_inputs
from sitegen.render.charts import ChartLabels, chart_templates, generic_specs
from sitegen.errors import Problems
from sitegen.render.formatting import number_format
from sitegen.pages.site import Texts
from sitegen.pages.region import region_page

CONFIG = """\
baseURL = "https://example.org/"
title = "Jamsostek"
disableKinds = ["taxonomy", "term", "RSS"]
[markup.goldmark.renderer]
unsafe = true
"""

PAGE_TEMPLATE = """\
<!doctype html>
<html lang="id"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ .Title }} · {{ .Site.Title }}</title><link rel="stylesheet" href="/assets/style.css"></head>
<body><header><a href="/">{{ .Site.Title }}</a></header>
<nav><ol>{{ range .Params.breadcrumb }}<li><a href="{{ .url }}">{{ .name }}</a></li>{{ end }}<li>{{ .Title }}</li></ol></nav>
<main><h1>{{ .Title }}</h1>
{{ with .Params.headline }}<dl>
<div><dt>Pekerja terlindungi</dt><dd>{{ .covered }}</dd></div><div><dt>Pekerja yang perlu dilindungi</dt><dd>{{ .eligible }}</dd></div>
<div><dt>Cakupan</dt><dd>{{ .rate }}</dd></div><div><dt>Kekurangan</dt><dd>{{ .gap }}</dd></div></dl>{{ end }}
<table><caption>Cakupan per segmen</caption><thead><tr><th>Segmen</th><th>Terlindungi</th><th>Perlu dilindungi</th><th>Cakupan</th></tr></thead>
<tbody>{{ range .Params.segments }}<tr><th>{{ .name }}</th><td>{{ .covered }}</td><td>{{ .eligible }}</td><td>{{ .rate }}</td></tr>{{ end }}</tbody></table>
{{ range .Params.charts }}<section><h2>{{ .title }}</h2><p>{{ .summary }}</p><div id="{{ .id }}"></div>
<script type="application/json">{{ .spec | safeJS }}</script>
<table><thead><tr>{{ range .columns }}<th>{{ . }}</th>{{ end }}</tr></thead>
<tbody>{{ range .rows }}<tr>{{ range . }}<td>{{ . }}</td>{{ end }}</tr>{{ end }}</tbody></table></section>{{ end }}
{{ with .Params.children }}<table><tbody>{{ range . }}<tr><th><a href="{{ .url }}">{{ .name }}</a></th><td>{{ .covered }}</td><td>{{ .rate }}</td></tr>{{ end }}</tbody></table>{{ end }}
{{ with .Params.siblings }}<ul>{{ range . }}<li><a href="{{ .url }}">{{ .name }}</a></li>{{ end }}</ul>{{ end }}
</main><footer>Data per {{ .Params.as_of }}</footer></body></html>
"""


def page_front_matter(page, numbers) -> dict:
    c = page.context
    headline = c["headline"] or {}
    return {
        "title": c["title"],
        "as_of": "30 April 2025",
        "breadcrumb": c["breadcrumb"],
        "headline": {k: numbers.integer(headline[k]) if isinstance(headline.get(k), int) else str(headline.get(k))
                     for k in ("covered", "eligible", "rate", "gap")},
        "segments": [{"name": row["segment"].name.id, "covered": numbers.integer(row["covered"]),
                      "eligible": "–" if row["eligible"] is None else numbers.integer(row["eligible"]),
                      "rate": numbers.percent(row["rate"])} for row in c["segments"]],
        "charts": [{"id": ch.id, "title": ch.title, "summary": ch.summary, "spec": ch.spec,
                    "columns": list(ch.columns), "rows": [[c[0] if isinstance(c, tuple) else c for c in r] for r in ch.rows]} for ch in c["charts"]],
        "children": [{"name": ch["name"], "url": "/" + ch["url"].lstrip("./"),
                      "covered": numbers.integer(ch.get("covered") or 0), "rate": numbers.percent(ch.get("rate"))}
                     for ch in c["children"]],
        "siblings": [{"name": s["name"], "url": s["url"]} for s in c["siblings"]],
    }


def write_hugo_site(data: Path, out: Path, cache_dir: Path) -> int:
    shutil.rmtree(out, ignore_errors=True)
    (out / "layouts" / "_default").mkdir(parents=True)
    (out / "config.toml").write_text(CONFIG)
    for name in ("single.html", "list.html"):
        (out / "layouts" / "_default" / name).write_text(PAGE_TEMPLATE)
    (out / "layouts" / "index.html").write_text(PAGE_TEMPLATE)
    inputs = load_inputs(BuildOptions(data=data), Problems())
    _ = gettext.NullTranslations().gettext
    labels = ChartLabels(rate=_("Cakupan (%)"), period=_("Bulan"), region=_("Wilayah"),
                         group=_("Kelompok"), target=_("Target (%)"))
    site = build_model(inputs)
    numbers = number_format("id")
    charts = chart_templates(labels, float(inputs.config.target.coverage_pct), generic_specs(cache_dir))
    texts = Texts(_, numbers, "id", charts=charts)
    for r in range(len(site.tree.regions)):
        page = region_page(site, r, texts)
        folder = out / "content" / site.paths[r]
        folder.mkdir(parents=True, exist_ok=True)
        name = "_index.md" if r == site.tree.root else "index.md"
        (folder / name).write_text(json.dumps(page_front_matter(page, numbers), ensure_ascii=False) + "\n")
    return len(site.tree.regions)
