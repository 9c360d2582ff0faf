"""Site search: the sharded static index (sitegen/pages/search.py) and search.js in a real browser.

The core tests use small hand-made entries and the bundled regions; the national tests read
Kemendagri's full list from the project's shared reference data and are skipped without it
(CI has a clean clone, without ../shared).
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import functools
import gzip
import http.server
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from sitegen.pages.search import (STOPWORDS, VARIANTS, SearchEntry, gzipped_size, normalize, search, search_cost,
                            search_index_files, shard_names)
from sitegen.pages.urls import slugify

REPO = Path(__file__).resolve().parent.parent
THEME = REPO / "sitegen" / "theme"
NATIONAL_CSV = REPO.parent / "shared" / "data" / "wilayah" / "indonesia_regions.csv"

PREFIXES = {"provinsi": "Provinsi", "kecamatan": "Kecamatan", "desa": "Desa", "kelurahan": "Kelurahan",
            "desa_adat": "Desa Adat"}
KINDS = {"nasional": "Nasional", "provinsi": "Provinsi", "kabupaten": "Kabupaten/Kota", "kecamatan": "Kecamatan",
         "desa": "Desa/Kelurahan"}


def region_entries(csv_path: Path) -> list[SearchEntry]:
    """Entries as the build makes them: 'Desa X', the places above (without the home page's region)."""
    with open(csv_path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    by_code = {r["code"]: r for r in rows}
    tops = [r["code"] for r in rows if r["parent_code"] not in by_code]
    root = tops[0] if len(tops) == 1 else None  # the home page's region (nationally: Indonesia, not listed)

    def display(r):
        prefix = PREFIXES.get(r["kind"] if r["level"] == "desa" else r["level"])
        return f"{prefix} {r['name']}" if prefix else r["name"]

    entries = []
    for r in rows:
        chain, parent = [], r["parent_code"]
        while parent in by_code and parent != root:
            chain.append(display(by_code[parent]))
            parent = by_code[parent]["parent_code"]
        path = "" if r["code"] == root else f"{r['level']}/{r['code'].replace('.', '-').lower()}-{slugify(r['name'])}/"
        entries.append(SearchEntry(display(r), KINDS[r["level"]], path, ", ".join(chain)))
    return entries


def E(title, kind, path, context="", text=""):
    return SearchEntry(title, kind, path, context, text)


HAND_MADE = [
    E("Kabupaten Tanah Bumbu", "Kabupaten/Kota", ""),
    E("Provinsi Kalimantan Selatan", "Provinsi", "provinsi/63-kalimantan-selatan/"),
    E("Kecamatan Simpang Empat", "Kecamatan", "kecamatan/63-10-06-simpang-empat/", "Kabupaten Tanah Bumbu"),
    E("Desa Sungai Dua", "Desa", "desa/63-10-06-2001-sungai-dua/", "Kecamatan Simpang Empat, Kabupaten Tanah Bumbu"),
    E("Desa Baroqah", "Desa", "desa/63-10-06-2002-baroqah/", "Kecamatan Simpang Empat, Kabupaten Tanah Bumbu"),
    E("Desa Simpang Empat", "Desa", "desa/63-03-08-2006-simpang-empat/", "Kecamatan Banjar, Kabupaten Banjar"),
    E("Desa Simpang Empat Baru", "Desa", "desa/15-01-11-2021-simpang-empat-baru/", "Kecamatan Air Hangat, Kabupaten Kerinci"),
    E("Desa Pasar Simpang Empat", "Desa", "desa/11-08-22-2001-pasar-simpang-empat/", "Kecamatan Tanah Luas, Kabupaten Aceh Utara"),
    E("Desa Sungai Dua", "Desa", "desa/12-09-12-2006-sungai-dua/", "Kecamatan Sei Dadap, Kabupaten Asahan"),
    E("Kecamatan Batu Licin", "Kecamatan", "kecamatan/63-10-01-batu-licin/", "Kabupaten Tanah Bumbu"),
    E("Kelurahan Batulicin", "Kelurahan", "desa/63-10-01-1007-batulicin/", "Kecamatan Batu Licin, Kabupaten Tanah Bumbu"),
    E("Kecamatan Sei Rampah", "Kecamatan", "kecamatan/12-18-04-sei-rampah/", "Kabupaten Serdang Bedagai"),
    E("Desa Sei. Priok", "Desa", "desa/12-18-13-2010-sei-priok/", "Kecamatan Sei Balai, Kabupaten Batu Bara"),
    E("Desa Sungai Priok", "Desa", "desa/16-10-05-2029-sungai-priok/", "Kecamatan Rambutan, Kabupaten Banyuasin"),
    E("Desa Tj. Baru Silaiya", "Desa", "desa/12-20-01-2041-tj-baru-silaiya/", "Kecamatan Batang Onang, Kabupaten Padang Lawas Utara"),
    E("Desa Tébing Tinggi", "Desa", "desa/16-04-01-2001-tebing-tinggi/", "Kecamatan Tébing Tinggi, Kabupaten Empat Lawang"),
    E("Desa Sei Kamah II", "Desa", "desa/12-09-23-2005-sei-kamah-ii/", "Kecamatan Sei Dadap, Kabupaten Asahan"),
    E("Desa Sei Kamah III", "Desa", "desa/12-09-23-2006-sei-kamah-iii/", "Kecamatan Sei Dadap, Kabupaten Asahan"),
    E("Optimalisasi jaminan sosial ekosistem desa", "Berita", "berita/optimalisasi-jaminan-sosial/", "2025-04-30",
      "Perangkat desa dan kader posyandu di Tanah Bumbu kini terlindungi BPJS Ketenagakerjaan."),
]


@pytest.fixture(scope="module")
def hand_made():
    return search_index_files(HAND_MADE)


def titles(files, query, limit=20):
    return [r["title"] for r in search(files, query, limit)]


# Normalisation

@pytest.mark.parametrize("text, expected", [
    ("Sei. Rampah", "sei rampah"),
    ("TÉBING  Tinggi", "tebing tinggi"),
    ("Regapu’u", "regapu u"),
    ("Pasi Kuala Ba'u", "pasi kuala ba u"),
    ("Lubuk Pakam I,II", "lubuk pakam i ii"),
    ("Tiro/Truseb", "tiro truseb"),
    ("Çirebon – Ñ", "cirebon n"),
    ("", ""),
])
def test_normalize_strips_accents_case_and_punctuation(text, expected):
    assert normalize(text) == expected


def test_variant_table_maps_to_words_that_are_not_variants_themselves():
    assert VARIANTS["sei"] == "sungai" and VARIANTS["tj"] == VARIANTS["tg"] == "tanjung"
    assert not set(VARIANTS.values()) & set(VARIANTS), "a canonical form must not be mapped again"
    assert all(k == normalize(k) and v == normalize(v) for k, v in VARIANTS.items())
    assert not set(VARIANTS) & set(STOPWORDS)


def test_meta_carries_the_tables_that_search_js_uses(hand_made):
    meta = json.loads(hand_made["index/meta.json"])
    assert meta["variants"] == VARIANTS and meta["stopwords"] == list(STOPWORDS)
    assert {f"index/t/{name}.json" for name in shard_names(meta)} == {n for n in hand_made if n.startswith("index/t/")}
    assert meta["docs"] == len(HAND_MADE)


# Matching and ranking

def test_exact_name_first_then_name_start_then_title_then_context(hand_made):
    results = search(hand_made, "Simpang Empat")
    assert [(r["title"], r["match"]) for r in results[:5]] == [
        ("Kecamatan Simpang Empat", "exact"),  # kecamatan before desa on a tie
        ("Desa Simpang Empat", "exact"),
        ("Desa Simpang Empat Baru", "start"),
        ("Desa Pasar Simpang Empat", "title"),
        ("Desa Baroqah", "context"),           # a village of Kecamatan Simpang Empat
    ]
    assert {r["title"] for r in results[4:]} == {"Desa Baroqah", "Desa Sungai Dua"}
    assert all(r["match"] == "context" for r in results[4:])
    assert results[0] == {"title": "Kecamatan Simpang Empat", "kind": "Kecamatan",
                          "path": "kecamatan/63-10-06-simpang-empat/", "context": "Kabupaten Tanah Bumbu",
                          "match": "exact"}
    assert results[-1]["context"] == "Kecamatan Simpang Empat, Kabupaten Tanah Bumbu"


def test_higher_levels_first_then_alphabetical(hand_made):
    assert titles(hand_made, "tanah bumbu")[0] == "Kabupaten Tanah Bumbu"
    assert titles(hand_made, "kalimantan") == ["Provinsi Kalimantan Selatan"]
    sungai = search(hand_made, "sungai")
    assert [r["title"] for r in sungai if r["match"] == "start"] == [
        "Kecamatan Sei Rampah", "Desa Sungai Dua", "Desa Sungai Dua", "Desa Sei Kamah II", "Desa Sei Kamah III",
        "Desa Sungai Priok", "Desa Sei. Priok"]  # by name written together, Sei as Sungai: 'sungaidua' < 'sungaikamah…'
    twins = [r["context"] for r in sungai if r["title"] == "Desa Sungai Dua"]
    assert twins == sorted(twins)  # the same name: ordered by place


@pytest.mark.parametrize("query", ["Batu Licin", "batulicin", "BATULICIN", "batu licin", "kecamatan batu licin"])
def test_written_together_or_apart(hand_made, query):
    assert titles(hand_made, query)[:2] == ["Kecamatan Batu Licin", "Kelurahan Batulicin"]
    assert {r["match"] for r in search(hand_made, query)[:2]} == {"exact"}


@pytest.mark.parametrize("query", ["sei priok", "Sei. Priok", "sungai priok", "SUNGAI PRIOK", "sungaipriok"])
def test_sei_is_sungai(hand_made, query):
    assert set(titles(hand_made, query)[:2]) == {"Desa Sei. Priok", "Desa Sungai Priok"}


def test_sei_written_together_with_the_next_word(hand_made):
    assert titles(hand_made, "seipriok") == ["Desa Sei. Priok"]
    assert titles(hand_made, "seirampah") == ["Kecamatan Sei Rampah"]


def test_a_variant_also_finds_its_canonical_form_by_its_start(hand_made):
    assert "Kecamatan Sei Rampah" in titles(hand_made, "sei")
    assert "Kecamatan Sei Rampah" in titles(hand_made, "sungai ramp")
    assert titles(hand_made, "tanjung baru") == ["Desa Tj. Baru Silaiya"]
    assert titles(hand_made, "tg baru silaiya") == ["Desa Tj. Baru Silaiya"]
    assert [(r["title"], r["match"]) for r in search(hand_made, "sei kamah 2")] == [
        ("Desa Sei Kamah II", "exact"), ("Desa Sei Kamah III", "start")]  # 'sungaikamahii…'
    assert titles(hand_made, "sei kamah iii") == ["Desa Sei Kamah III"]


def test_accents_and_case_are_ignored(hand_made):
    assert titles(hand_made, "tebing")[0] == "Desa Tébing Tinggi"
    assert titles(hand_made, "TÉBING tinggi")[0] == "Desa Tébing Tinggi"


def test_every_word_must_match_in_the_title_or_the_context(hand_made):
    assert titles(hand_made, "sungai dua simpang") == ["Desa Sungai Dua"]
    assert search(hand_made, "sungai dua simpang")[0]["context"].startswith("Kecamatan Simpang Empat")
    assert titles(hand_made, "sungai dua asahan") == ["Desa Sungai Dua"]
    assert search(hand_made, "sungai dua asahan")[0]["path"] == "desa/12-09-12-2006-sungai-dua/"
    assert titles(hand_made, "simpang empat kerinci") == ["Desa Simpang Empat Baru"]
    assert titles(hand_made, "simpang kalimantan") == []


def test_words_are_matched_by_their_beginning_from_three_letters(hand_made):
    assert titles(hand_made, "simpa")[:2] == ["Kecamatan Simpang Empat", "Desa Simpang Empat"]
    assert titles(hand_made, "simpang emp")[0] == "Kecamatan Simpang Empat"
    assert titles(hand_made, "si") == []  # two letters: only a whole word 'si'
    assert titles(hand_made, "kamah") == ["Desa Sei Kamah II", "Desa Sei Kamah III"]


def test_short_words_match_whole_words_only(hand_made):
    assert titles(hand_made, "ii") == ["Desa Sei Kamah II"]
    assert titles(hand_made, "i") == []
    assert titles(hand_made, "tj") == ["Desa Tj. Baru Silaiya"]  # a variant: 'tanjung'
    # Written together with the word before, a short word is the end of a longer one:
    assert titles(hand_made, "kamah i") == ["Desa Sei Kamah II", "Desa Sei Kamah III"]


def test_kind_words_are_not_needed_but_may_be_typed(hand_made):
    assert titles(hand_made, "kecamatan simpang empat") == titles(hand_made, "simpang empat")
    assert titles(hand_made, "kab tanah bumbu")[0] == "Kabupaten Tanah Bumbu"
    assert titles(hand_made, "simpang empat kecam") == titles(hand_made, "simpang empat")  # still typing
    assert titles(hand_made, "desa") == []  # a kind word alone matches no name


def test_news_by_words_of_title_and_body(hand_made):
    assert search(hand_made, "posyandu")[0]["kind"] == "Berita"
    assert titles(hand_made, "optimalisasi jaminan") == ["Optimalisasi jaminan sosial ekosistem desa"]
    assert titles(hand_made, "kader bpjs") == ["Optimalisasi jaminan sosial ekosistem desa"]


def test_no_words_no_results(hand_made):
    assert search(hand_made, "") == [] and search(hand_made, " ,.- ") == []
    assert search(hand_made, "qqqqq") == []


def test_limit_and_total(hand_made):
    assert len(search(hand_made, "sungai", limit=3)) == 3
    cost = search_cost(hand_made, "sungai")
    assert cost["total"] == len(search(hand_made, "sungai", limit=100))


# The files

def test_files_are_compact_utf8_json(hand_made):
    for name, data in hand_made.items():
        assert name.startswith("index/") and name.endswith(".json")
        value = json.loads(data.decode("utf-8"))
        assert json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode() == data, name
    assert "Tébing".encode() in b"".join(hand_made.values())


def test_titles_that_need_escaping():
    entries = [E('Berita "Desa\\Kota"\tbaru', "Berita", "berita/a/", "2025-04-30", 'kata "kutip"'),
               E("Desa Sungai Dua", "Desa", "desa/1/", "Kecamatan \"X\"")]
    files = search_index_files(entries)
    assert search(files, "kota baru")[0]["title"] == 'Berita "Desa\\Kota"\tbaru'
    assert search(files, "kutip")[0]["title"] == 'Berita "Desa\\Kota"\tbaru'
    assert search(files, "x")[0]["context"] == 'Kecamatan "X"'


def test_output_is_byte_identical_for_the_same_entries(hand_made):
    assert search_index_files(HAND_MADE) == hand_made
    assert search_index_files(list(HAND_MADE)) == hand_made


def test_output_does_not_depend_on_string_hashing(hand_made, tmp_path):
    """Sets of words are used while building: their order must not leak into the files."""
    code = ("import sys, json; sys.path.insert(0, %r); from tests.test_search import HAND_MADE; "
            "from sitegen.pages.search import search_index_files; "
            "files = search_index_files(HAND_MADE); print(json.dumps({k: v.decode() for k, v in files.items()}))"
            % str(REPO))
    outputs = [subprocess.run([sys.executable, "-c", code], capture_output=True, check=True, text=True,
                              env={**os.environ, "PYTHONHASHSEED": seed}, cwd=REPO).stdout for seed in ("1", "2")]
    assert outputs[0] == outputs[1]
    assert {k: v.encode() for k, v in json.loads(outputs[0]).items()} == hand_made


def test_an_empty_site_has_an_empty_index():
    files = search_index_files([])
    assert list(files) == ["index/meta.json"]
    assert search(files, "sungai") == []


def test_a_query_fetches_a_few_small_files(hand_made):
    cost = search_cost(hand_made, "Simpang Empat")
    shards = [f for f in cost["files"] if f.startswith("index/t/")]
    assert shards == ["index/t/sim.json", "index/t/emp.json"]
    assert all(f in hand_made for f in cost["files"])


def test_large_shards_are_also_cut_by_the_fourth_letter(hand_made, monkeypatch):
    import sitegen.pages.search

    monkeypatch.setattr(sitegen.pages.search, "SPLIT_BYTES", 100)
    split = search_index_files(HAND_MADE)
    meta = json.loads(split["index/meta.json"])
    assert "sun" in meta["split"] and "index/t/sung.json" in split and "index/t/sun.json" in split
    assert {f"index/t/{name}.json" for name in shard_names(meta)} == {n for n in split if n.startswith("index/t/")}
    for query in ["sungai", "sun", "sungai dua simpang", "sei", "simpang empat", "batulicin", "tj baru", "kamah i"]:
        assert search(split, query) == search(hand_made, query), query
    assert "index/t/sung.json" in search_cost(split, "sungai")["files"]
    assert "index/t/sun.json" in search_cost(split, "sun")["files"]  # three letters: the whole shard
    assert "index/t/sun.json" not in search_cost(split, "sungai")["files"]


# The bundled regions (always present)

@pytest.fixture(scope="module")
def bundled():
    entries = region_entries(REPO / "data" / "regions.csv")
    return entries, search_index_files(entries)


BUNDLED_NEWS = [
    E("Kader posyandu Batulicin terlindungi", "Berita", "berita/kader-posyandu/", "2025-04-30",
      "Seluruh kader posyandu di Kelurahan Batulicin kini peserta BPJS Ketenagakerjaan."),
    E("Perangkat desa Kusan Hilir", "Berita", "berita/perangkat-desa/", "2025-03-31",
      "Iuran perangkat desa dibayar dari Alokasi Dana Desa; kader posyandu menyusul."),
]


@pytest.fixture(scope="module")
def bundled_split(bundled):
    """The bundled regions and two articles, with small shards cut as a national index's large ones are."""
    import sitegen.pages.search

    entries = bundled[0] + BUNDLED_NEWS
    saved = sitegen.pages.search.SPLIT_BYTES
    sitegen.pages.search.SPLIT_BYTES = 250
    try:
        files = search_index_files(entries)
    finally:
        sitegen.pages.search.SPLIT_BYTES = saved
    assert json.loads(files["index/meta.json"])["split"]
    return entries, files


def test_bundled_kecamatan_and_its_villages(bundled):
    entries, files = bundled
    results = search(files, "Simpang Empat")
    villages = [e for e in entries if e.path.startswith("desa/63-10-06-")]
    assert results[0]["title"] == "Kecamatan Simpang Empat"
    assert {r["path"] for r in results[1:]} == {e.path for e in villages}
    def name(title):  # as the index sorts names: written together, variants in their canonical form
        return "".join(VARIANTS.get(w, w) for w in normalize(title).split() if w not in STOPWORDS)

    assert [r["title"] for r in results[1:]] == sorted((e.title for e in villages), key=name)


# The national names (shared reference data; skipped without it)

national_only = pytest.mark.skipif(not NATIONAL_CSV.exists(), reason=f"no {NATIONAL_CSV}")

NEWS = [SearchEntry(f"Berita {i}: perlindungan pekerja rentan di desa", "Berita", f"berita/berita-{i}/",
                    f"2025-{1 + i % 12:02d}-01", "Optimalisasi jaminan sosial ekosistem desa, kader posyandu, "
                    "perangkat desa, BPD dan LKD, dibiayai Alokasi Dana Desa. " * 20 + f"nomor{i}")
        for i in range(40)]


@pytest.fixture(scope="module")
def national():
    """The index of every region of Indonesia (its cost is part of the national build that bench/run.py times)."""
    entries = region_entries(NATIONAL_CSV) + NEWS
    assert len(entries) > 91_000
    return entries, search_index_files(entries), None


@national_only
def test_national_shards_are_small(national):
    _, files, _ = national
    shards = {name: gzipped_size(data) for name, data in files.items() if name.startswith("index/t/")}
    others = {name: gzipped_size(data) for name, data in files.items() if not name.startswith("index/t/")}
    largest = max(shards, key=shards.get)
    print(f"\n{len(shards)} word shards, largest {largest} {shards[largest]} B gzipped, median "
          f"{statistics.median(shards.values()):.0f} B; meta.json {others['index/meta.json']} B; "
          f"largest other file {max(others.values())} B")
    assert shards[largest] < 24_000
    assert max(others.values()) < 8_000
    assert sum(len(d) for d in files.values()) < 40_000_000


@national_only
def test_national_typical_query_fetches_little(national):
    entries, files, _ = national
    random.seed(7)
    queries = [" ".join(w for w in e.title.split() if w not in ("Desa", "Kelurahan", "Kecamatan", "Provinsi"))
               for e in random.sample(entries[:-len(NEWS)], 200)]
    sizes = {}
    fetched = []
    for query in queries:
        cost = search_cost(files, query)
        assert cost["total"] >= 1, query
        fetched.append(sum(sizes.setdefault(f, gzipped_size(files[f])) for f in cost["files"]))
    fetched.sort()
    print(f"\ntypical query (a region's name): median {statistics.median(fetched):.0f} B gzipped, "
          f"90th percentile {fetched[int(len(fetched) * .9)]} B, meta.json {gzipped_size(files['index/meta.json'])} B once")
    assert statistics.median(fetched) < 15_000
    assert fetched[int(len(fetched) * .9)] < 40_000


@national_only
def test_national_names_and_variants(national):
    _, files, _ = national
    simpang = search(files, "Simpang Empat", limit=40)
    assert [r["kind"] for r in simpang[:4]] == ["Kecamatan"] * 4
    assert "Kabupaten Tanah Bumbu" in [r["context"].split(",")[0] for r in simpang[:4]]
    assert all(r["match"] == "exact" for r in simpang[:20])
    assert titles(files, "sei rampah")[0] == "Kecamatan Sei Rampah"
    assert titles(files, "sungai rampah")[0] == "Kecamatan Sei Rampah"
    assert titles(files, "batulicin")[:2] == ["Kecamatan Batu Licin", "Kelurahan Batulicin"]
    assert "Desa Tj. Baru Silaiya" in titles(files, "tanjung baru silaiya")
    assert "Desa Gn. Kembang Baru" in titles(files, "gunung kembang")
    assert "Kecamatan Sungailiat" in titles(files, "sungai liat")
    assert titles(files, "Regapuu") == ["Desa Regapu’u"]
    kota = search(files, "kota banda aceh")
    assert kota[0]["title"] == "Kota Banda Aceh" and kota[0]["match"] == "exact"
    assert kota[1]["match"] == "context" and "Kota Banda Aceh" in kota[1]["context"]
    assert search(files, "posyandu")[0]["kind"] == "Berita"
    place = search(files, "simpang empat tanah bumbu")  # the kecamatan (words in its title and context) first
    assert place[0]["path"] == "kecamatan/63-10-06-simpang-empat/"
    village_context = "Kecamatan Simpang Empat, Kabupaten Tanah Bumbu, Provinsi Kalimantan Selatan"
    assert place[1:] and all(r["context"] == village_context for r in place[1:])
    assert len(place) == 1 + sum(1 for r in search(files, "simpang empat", limit=200) if r["context"] == village_context)


# In a browser: search.js with the same files

class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def write_search_site(root: Path, files: dict[str, bytes], entries=()) -> None:
    """cari/index.html rendered from search.html, the index beside it, search.js and style.css;
    and a stub page at each entry's path, to follow a result's link."""
    from sitegen.render.environment import make_environment

    for name, data in files.items():
        path = root / "cari" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (root / "assets").mkdir()
    for asset in ("search.js", "style.css", "icon.svg"):
        shutil.copy(THEME / "assets" / asset, root / "assets" / asset)
    (root / "assets" / "site.js").write_text("", encoding="utf-8")  # no offline reading in this stub site
    env = make_environment(None, "id")
    context = {"title": "Cari", "base": "../", "page_path": "cari/", "site_title": "Situs Uji", "lang": "id",
               "lang_prefix": "", "site_url": "https://example.org/", "languages": [], "contact": None,
               "as_of": datetime.date(2025, 4, 30), "search_url": "../cari/", "site_root": "",
               "site_share_image": None,
               "assets": {"css": "assets/style.css", "icon": "assets/icon.svg", "search": "assets/search.js",
                          "site": "assets/site.js"}}
    (root / "cari" / "index.html").write_text(env.get_template("search.html").render(context), encoding="utf-8")
    for entry in entries:
        page = root / entry.path / "index.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(f'<!doctype html><html lang=id><link rel=icon href="data:,"><title>{entry.title}</title>'
                        f"<h1>{entry.title}</h1>", encoding="utf-8")


@pytest.fixture(scope="module")
def search_site(tmp_path_factory, bundled_split):
    entries, files = bundled_split
    root = tmp_path_factory.mktemp("site")
    write_search_site(root, files, entries)
    return root, files


@pytest.fixture(scope="module")
def browser(chromium):
    return chromium


@pytest.fixture
def page(browser, search_site):
    with serve(browser, search_site[0]) as page:
        yield page


@contextlib.contextmanager
def serve(browser, root, **options):
    """A page of `browser` and a server of `root` on 127.0.0.1; the page records console errors,
    the requests to the server and those to anywhere else."""
    handler = functools.partial(QuietHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    server = f"http://127.0.0.1:{httpd.server_address[1]}/"
    context = browser.new_context(viewport={"width": 360, "height": 740}, **options)
    page = context.new_page()
    page.errors, page.foreign, page.fetched = [], [], []
    page.on("console", lambda m: page.errors.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("request", lambda r: page.fetched.append(r.url) if r.url.startswith(server)
            else page.foreign.append(r.url))
    page.server = server
    try:
        yield page
    finally:
        context.close()
        httpd.shutdown()
        httpd.server_close()


def shown(page) -> list[str]:
    return page.locator("#search-results li").all_inner_texts()


def listed(page) -> list[dict]:
    """The results on the page, as search() returns them (without 'match')."""
    return page.evaluate("""Array.from(document.querySelectorAll('#search-results li')).map(li => ({
        title: li.querySelector('a').textContent, kind: li.querySelector('.search-kind').textContent,
        path: li.querySelector('a').getAttribute('href').replace(/^\\.\\.\\//, ''),
        context: (li.querySelector('.search-context') || {textContent: ''}).textContent}))""")


def wait_for_status(page, previous=None):
    page.wait_for_function("(previous) => { const s = document.querySelector('.search-status');"
                           " return s && s.textContent && s.textContent !== previous && "
                           "!document.getElementById('search-results').hasAttribute('aria-busy'); }",
                           arg=previous, timeout=10000)
    return page.locator(".search-status").inner_text()


def test_browser_typing_simpang_empat_lists_the_kecamatan_and_its_villages(page, search_site):
    _, files = search_site
    page.goto(page.server + "cari/")
    page.locator("#search-q").press_sequentially("Simpang Empat", delay=30)
    page.wait_for_url("**/cari/?q=Simpang+Empat")  # as typed, debounced; the address can be shared
    expected = search(files, "Simpang Empat")
    page.wait_for_function("(n) => !document.getElementById('search-results').hasAttribute('aria-busy') && "
                           "document.querySelectorAll('#search-results li').length === n", arg=len(expected))
    assert page.locator(".search-status").inner_text() == f"{len(expected)} hasil."
    results = listed(page)
    assert results[0]["title"] == "Kecamatan Simpang Empat"
    assert len(results) == len(expected) >= 10
    assert all(r["context"] == "Kecamatan Simpang Empat" for r in results[1:])  # its villages
    first = page.locator("#search-results li a").first
    assert first.get_attribute("href") == "../kecamatan/63-10-06-simpang-empat/"
    first.click()
    page.wait_for_url("**/kecamatan/63-10-06-simpang-empat/")
    assert page.locator("h1").inner_text() == "Kecamatan Simpang Empat"
    assert not page.errors and not page.foreign, (page.errors, page.foreign)


def test_browser_query_in_the_address_and_sei_finds_sungai(page, search_site):
    page.goto(page.server + "cari/?q=sei")
    wait_for_status(page)
    assert page.locator("#search-q").input_value() == "sei"
    assert any(r["title"].split(" ", 1)[1].startswith("Sungai") for r in listed(page)), listed(page)
    assert not page.errors and not page.foreign, (page.errors, page.foreign)
    index = [u for u in page.fetched if "/cari/index/" in u]
    assert len(index) <= 6, index  # meta.json, the shards of the query, the documents shown


@pytest.mark.parametrize("query", ["batulicin", "Batu Licin", "kusan hil", "sungai", "simpang empat sungai",
                                   "kota pagatan", "Sei. Loban", "tébing", "qqqq", "posyandu", "kader batulicin",
                                   "alokasi dana"])
def test_browser_shows_what_the_reference_finds(page, search_site, query):
    _, files = search_site
    page.goto(page.server + "cari/?q=" + query.replace(" ", "+"))
    status = wait_for_status(page)
    expected = search(files, query)
    assert listed(page) == [{k: v for k, v in r.items() if k != "match"} for r in expected]
    assert all(a.get_attribute("href").startswith("../") for a in page.locator("#search-results li a").all())
    if not expected:
        assert status.startswith("Tidak ada hasil")
    assert not page.errors and not page.foreign, (page.errors, page.foreign)


def test_browser_more_results_and_submitting_the_form(page, search_site):
    _, files = search_site
    total = search_cost(files, "sungai")["total"]
    assert total > 20
    page.goto(page.server + "cari/")
    page.locator("#search-q").fill("sungai")
    page.locator("#search-q").press("Enter")
    status = wait_for_status(page)
    assert status == f"{total} hasil. 20 yang pertama ditampilkan."
    assert len(shown(page)) == 20
    page.locator(".search-more").click()
    page.wait_for_function("document.querySelectorAll('#search-results li').length > 20", timeout=10000)
    assert len(shown(page)) == min(total, 40)
    assert page.evaluate("document.activeElement === document.querySelectorAll('#search-results li a')[20]")
    assert not page.errors and not page.foreign, (page.errors, page.foreign)


def test_browser_form_works_without_javascript(browser, search_site):
    with serve(browser, search_site[0], java_script_enabled=False) as page:
        page.goto(page.server + "cari/")
        assert page.locator("noscript").count() == 1
        page.locator("#search-q").fill("batu licin")
        page.locator("#search-q").press("Enter")
        page.wait_for_url("**/cari/?q=batu+licin")
        assert not page.foreign


def test_search_form_partial_needs_no_javascript():
    from sitegen.render.environment import make_environment

    html = make_environment(None, "id").get_template("partials/search_form.html").render({"search_url": "../cari/"})
    assert 'action="../cari/"' in html and 'name="q"' in html and 'role="search"' in html
    assert 'class="visually-hidden" for="site-search-q"' in html and 'id="site-search-q"' in html
    assert "<script" not in html


def test_gzip_sizes_are_measured_like_a_server(hand_made):
    data = hand_made["index/meta.json"]
    assert gzipped_size(data) == len(gzip.compress(data, compresslevel=6, mtime=0)) < len(data)


@national_only
def test_browser_shows_what_the_reference_finds_nationally(browser, national, tmp_path):
    """The national index: split shards, large groups, the same results in search.js as in search()."""
    _, files, _ = national
    write_search_site(tmp_path, files)
    with serve(browser, tmp_path) as page:
        for query in ["Simpang Empat", "sei rampah", "batulicin", "tanjung", "tan", "sungai liat", "tj pinang",
                      "kab tanah bumbu", "kota banda aceh", "simpang empat tanah bumbu", "posyandu", "gn kembang",
                      "Regapuu", "jaya", "sumber", "kampung baru", "ii", "xyzzy"]:
            page.goto(page.server + "cari/?q=" + query.replace(" ", "+"))
            wait_for_status(page)
            expected = search(files, query)
            assert listed(page) == [{k: v for k, v in r.items() if k != "match"} for r in expected], query
        assert not page.errors and not page.foreign, (page.errors, page.foreign)
