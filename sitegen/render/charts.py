"""Altair chart specs, built once per chart kind and filled with each page's rows.

Building and validating an Altair chart costs ~16 ms; a national site has
~90,000 pages with several charts each. So each kind is built once (and cached
on disk by the Altair version and this module's source), serialised, and split
around a placeholder where each page's data rows go.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from ..system import replace_atomically

ROWS_PLACEHOLDER = "__SITEGEN_ROWS__"


@dataclass(frozen=True)
class ChartTemplate:
    head: str
    tail: str

    def fill(self, rows: list[dict]) -> str:
        """The page's Vega-Lite spec as JSON text that is safe inside a <script> element."""
        return self.fill_json(json.dumps(rows, ensure_ascii=False, separators=(",", ":")))

    def fill_json(self, rows_json: str) -> str:
        """The same, with the rows already written as JSON."""
        return (self.head + rows_json + self.tail).replace("<", "\\u003c")


@dataclass(frozen=True)
class ChartLabels:
    """Axis titles and legends in the page's language."""

    rate: str
    period: str
    region: str
    group: str
    target: str


# Specs are made once with these in place of the labels and the target, and filled in per site and
# language by text replacement: so Altair (~1 s to import) runs only when this module or Altair change.
PLACEHOLDER_LABELS = ChartLabels(**{name: f"__SITEGEN_LABEL_{name}__" for name in ChartLabels.__dataclass_fields__})
TARGET_PLACEHOLDER = "__SITEGEN_TARGET__"


def chart_specs(labels: ChartLabels, target_pct: float | str) -> dict[str, dict]:
    import altair as alt  # lazy: Altair (~0.5 s to import) only when the chart cache is cold

    rate_axis = alt.Axis(format=",.0f", title=labels.rate)
    rate_scale = alt.Scale(domain=[0, 100])
    target_rule = alt.Chart(alt.Data(values=[{"target": target_pct}])).mark_rule(
        strokeDash=[4, 3], color="#7a2e0e").encode(
        x=alt.X("target:Q", scale=rate_scale), tooltip=[alt.Tooltip("target:Q", title=labels.target, format=",.1f")])

    def inline():
        return alt.InlineData(values=ROWS_PLACEHOLDER)

    ranking = alt.layer(
        alt.Chart(inline()).mark_bar(color="#1f5f8b").encode(
            x=alt.X("rate:Q", axis=rate_axis, scale=rate_scale),
            y=alt.Y("name:N", sort="-x", title=None),
            tooltip=[alt.Tooltip("name:N", title=labels.region), alt.Tooltip("rate:Q", title=labels.rate, format=",.1f")],
        ),
        target_rule,
    ).properties(width="container", height=alt.Step(18))

    comparison = alt.layer(
        alt.Chart(inline()).mark_bar(color="#1f5f8b").encode(
            x=alt.X("rate:Q", axis=rate_axis, scale=rate_scale),
            y=alt.Y("name:N", sort=None, title=None),
            tooltip=[alt.Tooltip("name:N", title=labels.region), alt.Tooltip("rate:Q", title=labels.rate, format=",.1f")],
        ),
        target_rule,
    ).properties(width="container", height=alt.Step(24))

    trend = alt.Chart(inline()).mark_line(point=alt.OverlayMarkDef(filled=True, size=30)).encode(
        x=alt.X("period:T", timeUnit="utcyearmonth", title=labels.period, axis=alt.Axis(format="%b %Y", labelOverlap="greedy")),
        y=alt.Y("rate:Q", axis=rate_axis, scale=rate_scale),
        color=alt.Color("group:N", title=labels.group, legend=alt.Legend(orient="bottom"),
                        scale=alt.Scale(range=["#1f5f8b", "#b35806", "#4d7f2a", "#6a3d9a"])),
        strokeDash=alt.StrokeDash("group:N", title=labels.group, legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("period:T", timeUnit="utcyearmonth", title=labels.period, format="%B %Y"),
                 alt.Tooltip("group:N", title=labels.group),
                 alt.Tooltip("rate:Q", title=labels.rate, format=",.1f")],
    ).properties(width="container", height=220)

    choropleth = alt.Chart(inline()).mark_geoshape(stroke="#ffffff", strokeWidth=0.7).encode(
        color=alt.when("datum.properties.rate == null").then(alt.value("#d9d9d9")).otherwise(
            alt.Color("properties.rate:Q", title=labels.rate, scale=alt.Scale(domain=[0, 100], scheme="blues"),
                      legend=alt.Legend(orient="bottom", format=",.0f"))),
        tooltip=[alt.Tooltip("properties.name:N", title=labels.region),
                 alt.Tooltip("properties.rate:Q", title=labels.rate, format=",.1f")],
        href="properties.url:N",
    ).project(type="mercator").properties(width="container", height=340)

    fit_width = alt.AutoSizeParams(type="fit-x", contains="padding")
    specs = {kind: chart.properties(autosize=fit_width).to_dict() for kind, chart in
             {"ranking": ranking, "comparison": comparison, "trend": trend}.items()}
    specs["map"] = choropleth.properties(autosize=alt.AutoSizeParams(type="fit", contains="padding")).to_dict()
    return specs


def split_spec(spec: dict) -> ChartTemplate:
    text = json.dumps(spec, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    head, tail = text.split(json.dumps(ROWS_PLACEHOLDER), 1)
    return ChartTemplate(head, tail)


def chart_templates(labels: ChartLabels, target_pct: float, specs_json: str) -> dict[str, ChartTemplate]:
    """One template per chart kind: `specs_json` (from generic_specs) with this language's labels
    and the site's target written in."""
    text = specs_json.replace(json.dumps(TARGET_PLACEHOLDER), json.dumps(float(target_pct)))
    for name, placeholder in PLACEHOLDER_LABELS.__dict__.items():
        text = text.replace(json.dumps(placeholder), json.dumps(getattr(labels, name), ensure_ascii=False))
    return {kind: split_spec(spec) for kind, spec in json.loads(text).items()}


def generic_specs(cache_dir: Path | None) -> str:
    """Every chart kind's spec with placeholder labels and target, as JSON text: from the cache, else
    the copy sitegen ships for the installed Altair (scripts/update_chart_specs.py), else made by
    Altair in a child process (the build goes on loading the data meanwhile)."""
    cached = cache_dir / f"charts-{cache_key()}.json" if cache_dir else None
    if cached and cached.exists():
        text = cached.read_text(encoding="utf-8")
        try:
            json.loads(text)
            return text
        except ValueError:
            pass  # a damaged cache file is only a cache miss
    shipped = shipped_specs_path()
    if shipped.exists():  # the specs of the Altair version sitegen is tested with: no Altair to run
        return shipped.read_text(encoding="utf-8")
    made = subprocess.run([sys.executable, "-c", "import sys, json; from sitegen.render.charts import generic_specs_here; "
                           "sys.stdout.buffer.write(generic_specs_here().encode('utf-8'))"],
                          capture_output=True, check=True, cwd=Path(__file__).parent.parent.parent)
    text = made.stdout.decode("utf-8")
    if cached:
        cached.parent.mkdir(parents=True, exist_ok=True)
        replace_atomically(cached, text)
    return text


def generic_specs_here() -> str:
    return json.dumps(chart_specs(PLACEHOLDER_LABELS, TARGET_PLACEHOLDER), ensure_ascii=False, sort_keys=True)


def cache_key() -> str:

    digest = hashlib.sha256()
    digest.update(version("altair").encode())
    digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()[:16]


VENDORED_BUNDLES = Path(__file__).parent.parent / "theme" / "vendor"


def ship(target: Path, text: str, kind: str) -> None:
    """Write `text` as the one file sitegen ships of its kind (`kind` is a glob under theme/vendor/):
    what scripts/update_vega_bundle.py and scripts/update_chart_specs.py do."""
    target.parent.mkdir(parents=True, exist_ok=True)
    for old in target.parent.glob(kind):
        if old != target:
            old.unlink()
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target} ({target.stat().st_size:,} bytes)")


def shipped_specs_path() -> Path:
    """Where sitegen ships generic_specs_here()'s text, named by the Altair version and this module's
    source: importing Altair and making the specs takes ~1 s of a first build (Tanah Bumbu's
    waited ~0.45 s for it); another Altair version, or an edited charts.py, makes its own."""
    source = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
    return VENDORED_BUNDLES / f"chart-specs-altair-{version('altair')}-{source}.json"


def vega_bundle(cache_dir: Path | None) -> str:
    """vega + vega-lite + vega-embed as one self-contained script, made by vl-convert.

    By vl-convert's version, from the cache, else from the copy sitegen ships for the version it
    is tested with (scripts/update_vega_bundle.py), else made here and cached. Making it costs
    ~1.3 s in vl-convert's own JavaScript runtime, which does not let go of Python's GIL and is
    not fork-safe; so it runs in a child process, overlapped with loading the data."""

    name = f"vega-bundle-{version('vl-convert-python')}.js"
    cached = cache_dir / name if cache_dir else None
    if cached and cached.exists():
        return cached.read_text(encoding="utf-8")
    vendored = VENDORED_BUNDLES / name
    if vendored.exists():
        return vendored.read_text(encoding="utf-8")
    bundle = make_vega_bundle()
    if cached:
        cached.parent.mkdir(parents=True, exist_ok=True)
        replace_atomically(cached, bundle)
    return bundle


def make_vega_bundle() -> str:
    made = subprocess.run([sys.executable, "-c", "import sys, vl_convert; "
                           "sys.stdout.buffer.write(vl_convert.javascript_bundle().encode('utf-8'))"],
                          capture_output=True, check=True)
    return made.stdout.decode("utf-8")
