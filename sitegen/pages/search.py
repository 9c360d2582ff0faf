"""Static full-text search: a sharded index that a phone fetches a few small files of.

`search_index_files(entries)` writes the index as JSON files under the search page's
`index/` folder; `sitegen/theme/assets/search.js` reads them, and `search(files, query)` here
does step by step what search.js does (the tests compare the two in a browser).

Files (UTF-8, compact JSON, byte-identical for the same entries):

- `meta.json`: format and `version` (a checksum of the other files: search.js asks for them
  with `?v=version`, so a browser never mixes two builds), the normalisation tables VARIANTS
  and STOPWORDS (search.js normalises queries with these), the kind labels, the first group
  and the first document of each level, and which word shards exist (`shards`, `split`).
- `t/<abc>.json`, word shards: every index word starting with those three characters (a word
  of one or two characters has a shard of its own name). A shard larger than SPLIT_BYTES also
  exists cut by the fourth character (`t/<abcd>.json`), for query words of four characters or
  more. Each word maps to `[titles]` or `[titles, groups, sizes]`: `titles` lists 3 × number +
  1 for the documents whose whole name (written without spaces) is the word, + 0 for the other
  documents with the word in their title, + 2 for those with it only in their text; `groups`
  the groups with the word in their context, `sizes` their sizes. Lists are sorted and
  delta-encoded. `"@"` gives the group of every document in the shard's titles.
- `d/<n>.json`: `[title, kind, path, context]` of documents n × CHUNK … (n + 1) × CHUNK − 1.
- `g/<n>.json`: a group, the documents of one level that share a context (at most GROUP_SIZE):
  `[context, [[number, title, kind, path], …]]`.

Documents are numbered in result order: level (home page, nasional, provinsi, kabupaten,
kecamatan, desa, then anything else, such as news; the level is the first folder of the
path), then name, then place. Groups are numbered by level, then context.

Normalisation (`tokens`, the same in search.js): NFKD, lower case, combining accents
(U+0300–U+036F) removed, runs of a–z and 0–9 are the tokens. Index words are the tokens
without STOPWORDS, with VARIANTS mapped to one spelling, plus every two adjacent words of a
comma-separated part written together ("batu licin" → "batulicin") and the whole title
written together.

A query's words (kind words dropped) match a document when each is the beginning of an index
word of its title, text or context (a word shorter than MIN_PREFIX characters must be a whole
word; a variant also matches its canonical form). The query with two adjacent words written
together, or all of them, is tried too. Results, each kind in number order: exact name (the
query written together is the whole name), name that starts with the query, every word in the
title; then the others (some word only in the context or text) by level, in a level first the
places whose context has every word (a kecamatan's villages), then the other documents.
"""

from __future__ import annotations

import bisect
import gc
import gzip
import json
import re
import unicodedata
import zlib
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

import numpy as np

FORMAT = 1
MIN_PREFIX = 3      # shorter query words match whole index words only
SHARD_PREFIX = 3    # word shards: the first three characters of the word
CHUNK = 64          # documents per `d/<n>.json`
GROUP_SIZE = 100    # documents per `g/<n>.json` at most
MAX_WORDS = 6       # query words beyond these are ignored
SPLIT_BYTES = 12_000  # a word shard larger than this is also cut by the next character

# Spelling variants and abbreviations found in Kemendagri's region names, each mapped to the
# one spelling that is indexed. Only tokens that mean one thing in region names are listed:
# "S." (Sungai or Sari), "P." (Pulau, Pasir, Pematang …), "Pd." (Padang or Pondok),
# "Kt." (Koto or Kota), "B." and other initials are ambiguous and stay as they are.
VARIANTS: dict[str, str] = {
    "sei": "sungai",        # Sei Rampah, Sei. Priok (Sumatera, Kalimantan)
    "sungei": "sungai",
    "tj": "tanjung",        # Tj. Baru Silaiya
    "tg": "tanjung",        # Tg. Priok style
    "tjg": "tanjung",
    "tanjong": "tanjung",   # Acehnese spelling
    "kp": "kampung",        # Kp. Bantan
    "kampong": "kampung",
    "gn": "gunung",         # Gn. Kembang Baru
    "lb": "lubuk",          # Lb. Puding Baru
    "lbk": "lubuk",
    "ujong": "ujung",       # Acehnese spelling
    "psr": "pasar",
    "perk": "perkebunan",   # Perk. …
    "mns": "meunasah",      # Mns. … (Aceh)
    "dsn": "dusun",
    "tgk": "teungku",       # Tgk. … (Aceh)
    "btg": "batang",
    "tlk": "teluk",
    "1": "i", "2": "ii", "3": "iii", "4": "iv", "5": "v",  # Sei Kamah 2 = Sei Kamah II
    "6": "vi", "7": "vii", "8": "viii", "9": "ix", "10": "x",
}

# Kind words that titles and contexts start with ('Desa Sungai Dua', 'Kecamatan Simpang
# Empat', 'District …' on the English pages): not indexed and dropped from queries, so
# "kecamatan simpang empat" and "simpang empat" are the same query and "desa" does not
# sit in 80,000 lists. "Kota" is not one: it is part of names (Kota Pagatan).
STOPWORDS: tuple[str, ...] = (
    "desa", "kelurahan", "kecamatan", "kabupaten", "provinsi", "kab", "kec", "kel", "prov",
    "village", "district", "regency", "province", "subdistrict",
)

# Ranks of the first folder of a page's path ('' is the home page, anything else, such as
# news, comes after the regions).
LEVEL_RANKS = {"nasional": 1, "provinsi": 2, "kabupaten": 3, "kecamatan": 4, "desa": 5}
HOME_RANK, OTHER_RANK = 0, 6

_COMBINING = re.compile("[\u0300-\u036f]+")
_TOKEN = re.compile("[a-z0-9]+")
_STOP = frozenset(STOPWORDS)
_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f]')  # what JSON must escape in a string
_VARIANT_SET = frozenset(VARIANTS)


@dataclass(frozen=True)
class SearchEntry:
    title: str        # 'Desa Sungai Dua', 'Kecamatan Simpang Empat', or a news title
    kind: str         # label shown with the result, already translated: 'Desa', 'Kecamatan', 'Berita', ...
    path: str         # folder of the page relative to the language root, e.g. 'desa/63-10-01-2001-sungai-dua/'
    context: str = ""  # where it is, shown under the title: 'Kecamatan Simpang Empat, Kabupaten Tanah Bumbu'
    text: str = ""    # more words to index (news: summary and body as plain text); not shown


def tokens(text: str) -> list[str]:
    """'Sei. Rampah (Tébing)' → ['sei', 'rampah', 'tebing']."""
    if text.isascii():
        return _TOKEN.findall(text.lower())
    return _TOKEN.findall(_COMBINING.sub("", unicodedata.normalize("NFKD", text).lower()))


def normalize(text: str) -> str:
    """'Sei. Rampah (Tébing)' → 'sei rampah tebing'."""
    return " ".join(tokens(text))


def index_words(text: str) -> list[str]:
    """The indexed tokens of a text, in order: stopwords dropped, variants mapped."""
    return [VARIANTS.get(t, t) for t in tokens(text) if t not in _STOP]


def _keys(text: str, keys: set[str]) -> str:
    """Add the index words of a title or context to `keys`: its words, and each two adjacent
    words of one comma-separated part written together. Returns the whole text as one word."""
    whole = []
    for part in text.split(",") if "," in text else (text,):
        words = _part_words(part)
        keys.update(words[0])
        whole += words[1]
    return "".join(whole)


@lru_cache(maxsize=65536)
def _part_words(part: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The index words of a comma-separated part, and its words in order. Cached: a context
    ('Kecamatan X, Kabupaten Y, Provinsi Z') repeats its parts thousands of times."""
    raw = tokens(part)
    if not _STOP.isdisjoint(raw):
        raw = [t for t in raw if t not in _STOP]
    keys = []
    if _VARIANT_SET.isdisjoint(raw):
        words = raw
    else:
        words = [VARIANTS.get(t, t) for t in raw]
        keys += [a + b for a, b in zip(raw, raw[1:])]  # 'seirampah' as well as 'sungairampah'
    keys += words
    keys += [a + b for a, b in zip(words, words[1:])]
    return tuple(keys), tuple(words)


def _title_keys(title: str) -> tuple[str, set[str]]:
    """_keys() of a title, faster for the usual one: ASCII, no comma, no variant."""
    if "," in title or not title.isascii():
        words: set[str] = set()
        return _keys(title, words), words
    raw = _TOKEN.findall(title.lower())
    if not _STOP.isdisjoint(raw):
        raw = [t for t in raw if t not in _STOP]
    if not _VARIANT_SET.isdisjoint(raw):
        words = set()
        return _keys(title, words), words
    words = {*raw, *[a + b for a, b in zip(raw, raw[1:])]} if len(raw) > 2 else set(raw)
    return "".join(raw), words  # two words: their pair is the whole name


def _deltas(ids) -> list[int]:
    if len(ids) == 1:
        return [ids[0]]
    return [ids[0], *(b - a for a, b in zip(ids, ids[1:]))] if ids else []


def _undelta(deltas: list[int]) -> list[int]:
    out, total = [], 0
    for d in deltas:
        total += d
        out.append(total)
    return out


def _dump(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@contextmanager
def _without_gc():
    """The index is ~1 million small objects made at once; the cyclic collector would walk
    them again and again (it doubles the build time) and finds nothing to free."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def search_index_files(entries: Sequence[SearchEntry]) -> dict[str, bytes]:
    """The index as files relative to the search folder: {'index/meta.json': ..., 'index/t/sun.json': ...,
    'index/d/0.json': ..., 'index/g/0.json': ...}. Byte-identical for the same entries."""
    with _without_gc():
        return _build(entries)


def _build(entries: Sequence[SearchEntry]) -> dict[str, bytes]:
    if not entries:
        return {"index/meta.json": _meta(0, 0, [], [], {}, "0", [0] * (OTHER_RANK + 2), [0] * (OTHER_RANK + 2))}
    levels = {"": HOME_RANK, **LEVEL_RANKS}
    title_number: dict[str, int] = {}
    group_number: dict[tuple[int, str], int] = {}
    doc_title, doc_group, doc_level = [], [], []
    texts: dict[int, set[str]] = {}  # entry → the words of its text
    for i, entry in enumerate(entries):
        title = title_number.get(entry.title)
        if title is None:
            title = title_number[entry.title] = len(title_number)
        level = levels.get(entry.path[:entry.path.find("/")], OTHER_RANK)
        key = (level, entry.context)
        group = group_number.get(key)
        if group is None:
            group = group_number[key] = len(group_number)
        doc_title.append(title)
        doc_group.append(group)
        doc_level.append(level)
        if entry.text:
            texts[i] = set(index_words(entry.text))

    # Words are numbered as they come, then renumbered in alphabetical order (shards are ranges).
    word_id: dict[str, int] = {}
    number = word_id.setdefault

    # Groups (the documents of one level that share a context) in place order.
    group_keys = list(group_number)
    group_words = []
    for _level, context in group_keys:
        words: set[str] = set()
        _keys(context, words)
        group_words.append([number(w, len(word_id)) for w in words])
    group_order = sorted(range(len(group_keys)), key=lambda g: (group_keys[g][0], normalize(group_keys[g][1]),
                                                                 group_keys[g][1]))
    group_rank = [0] * len(group_keys)
    for rank, g in enumerate(group_order):
        group_rank[g] = rank

    # Titles: their index words, the whole name first (it is flagged), the name to sort by.
    titles = list(title_number)
    flat: list[int] = []
    lengths, title_sort, named = [], [], []
    for title in titles:
        name, words = _title_keys(title)
        if name:
            words.discard(name)
            flat.append(number(name, len(word_id)))
        flat += [number(w, len(word_id)) for w in words]
        lengths.append(len(words) + bool(name))
        title_sort.append(name)  # names sort as written together, variants as their canonical form
        named.append(bool(name))
    text_words = {}  # entry → the words of its text that are not words of its title
    for i, words in texts.items():
        name, in_title = _title_keys(entries[i].title)
        text_words[i] = [number(w, len(word_id)) for w in sorted(words - in_title - {name})]

    # Documents in result order: level, name, place (equal ones keep the order of `entries`).
    kinds_of = [entry.kind for entry in entries]
    width = len(str(len(group_keys)))
    place_key = [f"\0{rank:0{width}}" for rank in group_rank]
    sort_keys = [f"{doc_level[i]}{title_sort[t]}{place_key[doc_group[i]]}"
                 for i, t in enumerate(doc_title)]  # one string sorts faster than a tuple; ties keep their order
    order = sorted(range(len(entries)), key=sort_keys.__getitem__)
    kinds = {kind: n for n, kind in enumerate(sorted(set(kinds_of)))}

    # A group of more than GROUP_SIZE documents is cut into several with the same context.
    doc_place = np.array([group_rank[doc_group[i]] for i in order], dtype=np.int64)
    by_group = np.argsort(doc_place, kind="stable")
    place = doc_place[by_group]
    first_of_place = np.searchsorted(place, place)
    part = (np.arange(len(place)) - first_of_place) // GROUP_SIZE
    new_group = np.ones(len(place), dtype=bool)
    new_group[1:] = (place[1:] != place[:-1]) | (part[1:] != part[:-1])
    gid_sorted = np.cumsum(new_group) - 1
    doc_gid = np.empty_like(gid_sorted)
    doc_gid[by_group] = gid_sorted
    group_place = place[new_group].tolist()  # group → its place (the rank of its context)
    groups_of_place: list[list[int]] = [[] for _ in group_keys]
    for gid, rank in enumerate(group_place):
        groups_of_place[rank].append(gid)

    words = list(word_id)
    alphabetical = sorted(range(len(words)), key=words.__getitem__)
    rank_of_word = np.empty(len(words), dtype=np.int64)
    rank_of_word[alphabetical] = np.arange(len(words))
    words = [words[w] for w in alphabetical]

    # Title lists: for each word, 3 × document + 1 if the word is the document's whole name, + 2 if
    # it is a word of its text only, + 0 if it is another word of its title.
    lengths = np.array(lengths, dtype=np.int64)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1])) if len(titles) else np.zeros(0, np.int64)
    flags = np.zeros(len(flat), dtype=np.int64)
    flags[starts[np.array(named, dtype=bool)]] = 1
    flat = rank_of_word[np.array(flat, dtype=np.int64)] if flat else np.zeros(0, np.int64)
    doc_titles = np.array([doc_title[i] for i in order], dtype=np.int64)
    per_doc = lengths[doc_titles]
    total = int(per_doc.sum())
    first = np.repeat(np.cumsum(per_doc) - per_doc, per_doc)
    at = np.repeat(starts[doc_titles], per_doc) + np.arange(total) - first
    posting_word = flat[at]
    posting_value = np.repeat(np.arange(len(order), dtype=np.int64) * 3, per_doc) + flags[at]
    if any(text_words.values()):
        number_of = {i: n for n, i in enumerate(order) if i in text_words}
        extra = [(w, 3 * number_of[i] + 2) for i, ws in text_words.items() for w in ws]
        posting_word = np.concatenate((posting_word, rank_of_word[np.array([w for w, _ in extra], dtype=np.int64)]))
        posting_value = np.concatenate((posting_value, np.array([v for _, v in extra], dtype=np.int64)))
    by_word = np.lexsort((posting_value, posting_word))
    posting_word, posting_value = posting_word[by_word], posting_value[by_word]
    counts = np.bincount(posting_word, minlength=len(words))
    ends = np.cumsum(counts)
    begins = ends - counts
    title_text, offsets = _delta_text(posting_value, begins[counts > 0])
    t_begin = offsets[begins].tolist()
    t_end = np.maximum(offsets[ends] - 1, offsets[begins]).tolist()  # a word only in contexts: ''

    context_lists: dict[int, list[int]] = defaultdict(list)
    ranks = rank_of_word.tolist()
    for rank, g in enumerate(group_order):
        for word in group_words[g]:
            context_lists[ranks[word]] += groups_of_place[rank]
    sizes = np.bincount(doc_gid).tolist()

    # The shards: words by their first SHARD_PREFIX characters. A shard larger than SPLIT_BYTES is
    # also cut by the next character, for query words that long: "tanjung" needs only "tanj".
    shards, word_bounds = [], []
    for n, word in enumerate(words):
        if not shards or shards[-1] != word[:SHARD_PREFIX]:
            shards.append(word[:SHARD_PREFIX])
            word_bounds.append(n)
    word_bounds.append(len(words))
    parts = [f'"{word}":[[{title_text[begin:end]}]' for word, begin, end in zip(words, t_begin, t_end)]
    for n, in_context in context_lists.items():
        sizes_text = ",".join([str(sizes[g]) for g in in_context])
        parts[n] += f",{_ints(in_context)},[{sizes_text}]"

    shard_start = begins[word_bounds[:-1]]  # each shard's first posting (its words are consecutive)
    shard_of_posting = np.repeat(np.arange(len(shards)), np.diff(np.append(shard_start, len(posting_value))))
    pairs = np.unique(shard_of_posting * (len(order) + 1) + posting_value // 3)  # (shard, document)
    pair_bounds = np.searchsorted(pairs // (len(order) + 1), np.arange(len(shards) + 1))
    pair_docs = pairs % (len(order) + 1)
    table_text, table_at = _delta_text(pair_docs, pair_bounds[:-1][np.diff(pair_bounds) > 0])
    group_text, group_at = _delta_text(doc_gid[pair_docs], np.arange(len(pair_docs)))  # not deltas: all firsts
    pair_bounds = pair_bounds.tolist()
    table_at, group_at = table_at.tolist(), group_at.tolist()

    def shard_file(low: int, high: int, shard=None) -> bytes:
        """The words low…high − 1, and "@": the group of every document in their title lists."""
        if shard is None:
            numbers = np.unique(posting_value[begins[low]:ends[high - 1]] // 3)
            table = _ints(numbers.tolist()) + ",[" + ",".join(map(str, doc_gid[numbers].tolist())) + "]"
        else:
            first, last = pair_bounds[shard], pair_bounds[shard + 1]
            table = (f"[{table_text[table_at[first]:max(table_at[last] - 1, table_at[first])]}],"
                     f"[{group_text[group_at[first]:max(group_at[last] - 1, group_at[first])]}]")
        return ('{"@":[' + table + "]," + "],".join(parts[low:high]) + "]}").encode()

    files: dict[str, bytes] = {}
    split: dict[str, str] = {}
    for shard, name in enumerate(shards):
        low, high = word_bounds[shard], word_bounds[shard + 1]
        data = shard_file(low, high, shard)
        files[f"index/t/{name}.json"] = data
        if len(data) > SPLIT_BYTES and len(name) == SHARD_PREFIX:
            start = low + (words[low] == name)  # a word as long as the shard's name sorts first
            tails = []
            while start < high:
                tail, end = words[start][SHARD_PREFIX], start + 1
                while end < high and words[end][SHARD_PREFIX] == tail:
                    end += 1
                files[f"index/t/{name}{tail}.json"] = shard_file(start, end)
                tails.append(tail)
                start = end
            split[name] = "".join(tails)

    # What the results show: documents by number (d/), and by group (g/).
    kind_numbers = [kinds[kind] for kind in kinds_of]
    escaped = _json_strings([text for entry in entries for text in (entry.title, entry.path)])
    shown = [f'"{title}",{kind},"{path}"' for title, kind, path in zip(escaped[::2], kind_numbers, escaped[1::2])]
    shown = [shown[i] for i in order]  # made in the entries' order, which is the order they are in memory
    context_json = _json_strings([group_keys[g][1] for g in group_order])
    docs = [f'[{doc},"{context_json[rank]}"]' for doc, rank in zip(shown, doc_place.tolist())]
    for start in range(0, len(docs), CHUNK):
        files[f"index/d/{start // CHUNK}.json"] = ("[" + ",".join(docs[start:start + CHUNK]) + "]").encode()
    members = [f"[{n},{shown[n]}]" for n in by_group.tolist()]
    group_bounds = np.flatnonzero(np.append(new_group, True)).tolist()
    for gid, rank in enumerate(group_place):
        listed = ",".join(members[group_bounds[gid]:group_bounds[gid + 1]])
        files[f"index/g/{gid}.json"] = f'["{context_json[rank]}",[{listed}]]'.encode()
    files = dict(sorted(files.items()))
    version = 0
    for data in files.values():
        version = zlib.crc32(data, version)
    # The first group of each level: search.js orders context matches by level.
    place_level = [group_keys[g][0] for g in group_order]
    levels_at = np.searchsorted([place_level[rank] for rank in group_place], np.arange(OTHER_RANK + 2)).tolist()
    doc_levels_at = np.searchsorted([doc_level[i] for i in order], np.arange(OTHER_RANK + 2)).tolist()
    files["index/meta.json"] = _meta(len(order), len(group_place), list(kinds), shards, split, f"{version:08x}",
                                     levels_at, doc_levels_at)
    return files


def _meta(docs: int, groups: int, kinds: list[str], shards: list[str], split: dict[str, str], version: str,
          levels: list[int], doc_levels: list[int]) -> bytes:
    """`version` changes with the other files; search.js asks for them with ?v=version, so that
    a browser never mixes files of two builds."""
    return _dump({"format": FORMAT, "version": version, "docs": docs, "groups": groups, "chunk": CHUNK,
                  "min_prefix": MIN_PREFIX,
                  "shard_prefix": SHARD_PREFIX, "max_words": MAX_WORDS, "variants": VARIANTS,
                  "stopwords": list(STOPWORDS), "kinds": kinds, "levels": levels, "doc_levels": doc_levels,
                  "shards": _shard_list(shards),
                  "split": split})


def _delta_text(values, firsts):
    """Sorted runs of numbers (each run starting at an index in `firsts`) as one text of
    comma-separated deltas, and where each number's text starts in it."""
    deltas = values.copy()
    if len(values):
        deltas[1:] -= values[:-1]
        deltas[firsts] = values[firsts]
    digits = np.ones(len(deltas), dtype=np.int64)
    for power in (10, 100, 1000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000):
        digits += deltas >= power
    offsets = np.concatenate(([0], np.cumsum(digits + 1)))
    return ",".join(map(str, deltas.tolist())), offsets


def _ints(numbers: list[int]) -> str:
    """A sorted list of numbers as the JSON array of its deltas."""
    if len(numbers) == 1:
        return f"[{numbers[0]}]"
    return "[" + ",".join(map(str, _deltas(numbers))) + "]"


def _json_strings(strings: list[str]) -> list[str]:
    """Each string JSON-escaped, without its quotes. Region names and paths need no escaping;
    otherwise one json.dumps call for all (an escaped string cannot contain '","', so that is
    where they are cut apart)."""
    if not strings:
        return []
    if not _NEEDS_ESCAPE.search("".join(strings)):
        return strings
    return json.dumps(strings, ensure_ascii=False, separators=(",", ":"))[2:-2].split('","')


def _shard_list(shards) -> dict[str, str]:
    """The shard names grouped by their first two characters: {'su': ' mn', 'i': ' '} stands for
    'su' (a word of two characters: the space), 'sum', 'sun' and 'i'."""
    grouped: dict[str, list[str]] = defaultdict(list)
    for name in shards:
        grouped[name[:2]].append(name[2:] or " ")
    return {head: "".join(sorted(tails)) for head, tails in sorted(grouped.items())}


def shard_names(meta: dict) -> set[str]:
    """The names of the word shards that exist, from meta.json."""
    names = {head + tail.strip() for head, tails in meta["shards"].items() for tail in tails}
    return names | {name + tail for name, tails in meta["split"].items() for tail in tails}


def shard_of(meta: dict, text: str) -> str:
    """The shard that holds the words starting with `text` (or equal to it, if it is shorter)."""
    name = text[:meta["shard_prefix"]]
    return text[:len(name) + 1] if len(text) > len(name) and name in meta["split"] else name


# Querying: the reference implementation of search.js, step by step the same.

MATCHES = ("exact", "start", "title", "context")


def query_words(meta: dict, query: str) -> list[str]:
    """The query's words without kind words (unless nothing else is left); a last word that
    is the beginning of a kind word ('kecam') is taken for one."""
    words = normalize(query).split()
    stop = meta["stopwords"]
    kept = [w for i, w in enumerate(words)
            if w not in stop and not (i == len(words) - 1 and len(w) >= meta["min_prefix"]
                                      and any(s.startswith(w) for s in stop))]
    return (kept or words)[:meta["max_words"]]


def _alternatives(meta: dict, words: list[str]) -> list[tuple[str, bool]]:
    """What a term (one word, or adjacent words written together) may be, as (text, prefix?):
    the words as typed, and with their variants mapped."""
    raw = "".join(words)
    mapped = "".join(meta["variants"].get(w, w) for w in words)
    alts = [(raw, len(raw) >= meta["min_prefix"])]
    if mapped != raw:
        alts.append((mapped, len(mapped) >= meta["min_prefix"]))
    return alts


def query_plan(meta: dict, words: list[str]):
    """The whole query as one name, and the readings of the query as terms: word by word,
    each pair of adjacent words written together, and (three words or more) all together."""
    single = [_alternatives(meta, [w]) for w in words]
    readings = [single]
    for i in range(len(words) - 1):
        readings.append([*single[:i], _alternatives(meta, words[i:i + 2]), *single[i + 2:]])
    if len(words) >= 3:
        readings.append([_alternatives(meta, words)])
    return _alternatives(meta, words), readings


class _Index:
    """The files of an index, read the way search.js reads them: a file when it is needed."""

    def __init__(self, files: dict[str, bytes]):
        self.files = files
        self.meta = json.loads(files["index/meta.json"])
        self.existing = shard_names(self.meta)
        self.shards: dict[str, dict[str, tuple]] = {}
        self.group_of: dict[int, int] = {}    # document → group, for the documents of the shards read
        self.group_size: dict[int, int] = {}
        self.loaded: dict[str, object] = {}

    def _get(self, name: str):
        if name not in self.loaded:
            self.loaded[name] = json.loads(self.files[name])
        return self.loaded[name]

    def shard(self, name: str) -> dict[str, tuple]:
        """{word: (title values, groups)}; a title value is 2 × document + 1 if the word is the
        document's whole name."""
        if name not in self.shards:
            words = dict(self._get(f"index/t/{name}.json")) if name in self.existing else {"@": [[], []]}
            numbers, gids = words.pop("@")
            self.group_of.update(zip(_undelta(numbers), gids))
            for word, lists in words.items():
                groups = _undelta(lists[1]) if len(lists) > 1 else []
                if groups:
                    self.group_size.update(zip(groups, lists[2]))
                words[word] = (_undelta(lists[0]), groups)
            self.shards[name] = words
        return self.shards[name]

    def matching(self, alternatives) -> list[tuple]:
        """The entries of the words that an alternative matches, whole or as their beginning."""
        found = []
        for text, prefix in alternatives:
            words = self.shard(shard_of(self.meta, text))
            if prefix:
                found += [entry for word, entry in words.items() if word.startswith(text)]
            elif text in words:
                found.append(words[text])
        return found

    def names(self, alternatives) -> set[int]:
        """Documents whose whole name (written without spaces) an alternative matches."""
        return {v // 3 for values, _ in self.matching(alternatives) for v in values if v % 3 == 1}

    def term(self, alternatives) -> tuple[set[int], set[int], set[int]]:
        """Documents with a matching word in their title, in their text; groups with one in their context."""
        found = self.matching(alternatives)
        titled = {v // 3 for values, _ in found for v in values if v % 3 != 2}
        texts = {v // 3 for values, _ in found for v in values if v % 3 == 2}
        return titled, texts, {g for _, groups in found for g in groups}

    def doc(self, number: int) -> list:
        """[title, kind, path, context]"""
        return self._get(f"index/d/{number // self.meta['chunk']}.json")[number % self.meta["chunk"]]

    def group(self, gid: int) -> list:
        """[context, [[number, title, kind, path], …]]"""
        return self._get(f"index/g/{gid}.json")


@dataclass
class _Outcome:
    top: list[tuple[int, str]]   # exact, start and title matches, in order
    rest: list[tuple[int, int]]  # then these, in order: (group, -1) all its other documents; (-1, document)
    total: int


def _evaluate(index: _Index, query: str) -> _Outcome:
    words = query_words(index.meta, query)
    if not words:
        return _Outcome([], [], 0)
    whole, readings = query_plan(index.meta, words)
    exact = index.names([(text, False) for text, _ in whole])
    start = index.names(whole) - exact
    titled: set[int] = set()
    pure: set[int] = set()   # groups whose context has every word
    mixed: set[int] = set()  # documents with each word in their title, text or context
    for terms in readings:
        found = [index.term(term) for term in terms]
        titled |= set.intersection(*(t for t, _, _ in found))
        pure |= set.intersection(*(g for _, _, g in found))
        for number in set().union(*(t | x for t, x, _ in found)):
            gid = index.group_of[number]
            if all(number in t or number in x or gid in g for t, x, g in found):
                mixed.add(number)
    titled -= exact | start
    top = exact | start | titled
    others = [n for n in mixed - top if index.group_of[n] not in pure]
    overlap = sum(1 for number in top if index.group_of[number] in pure)
    total = len(top) + sum(index.group_size[g] for g in pure) - overlap + len(others)
    ranked = [(n, match) for match, matched in zip(MATCHES, (exact, start, titled)) for n in sorted(matched)]
    # The others by level; in a level, the places whose context has every word first.
    group_levels, doc_levels = index.meta["levels"], index.meta["doc_levels"]
    rest = sorted([(g, -1) for g in pure] + [(-1, n) for n in others],
                  key=lambda r: (bisect.bisect_right(group_levels, r[0]), 0, r[0]) if r[1] < 0
                  else (bisect.bisect_right(doc_levels, r[1]), 1, r[1]))
    return _Outcome(ranked, rest, total)


def _results(index: _Index, outcome: _Outcome, limit: int) -> list[dict]:
    kinds = index.meta["kinds"]
    results = []

    def add(number: int, match: str) -> None:
        title, kind, path, context = index.doc(number)
        results.append({"title": title, "kind": kinds[kind], "path": path, "context": context, "match": match})

    for number, match in outcome.top[:limit]:
        add(number, match)
    shown = {n for n, _ in outcome.top}
    for gid, number in outcome.rest:
        if len(results) >= limit:
            break
        if number >= 0:
            add(number, "context")
            continue
        context, members = index.group(gid)
        results += [{"title": title, "kind": kinds[kind], "path": path, "context": context, "match": "context"}
                    for n, title, kind, path in members if n not in shown][:limit - len(results)]
    return results


def search(files: dict[str, bytes], query: str, limit: int = 20) -> list[dict]:
    """Reference implementation of what search.js does with the same files (used by tests):
    the first `limit` results as {'title', 'kind', 'path', 'context', 'match'}, where match is
    'exact', 'start' (the name starts with the query), 'title' or 'context'."""
    index = _Index(files)
    return _results(index, _evaluate(index, query), limit)


def search_cost(files: dict[str, bytes], query: str, limit: int = 20) -> dict:
    """How many results a query has, and the files search.js fetches to show the first `limit`
    (meta.json, fetched once per page, is not listed)."""
    index = _Index(files)
    outcome = _evaluate(index, query)
    _results(index, outcome, limit)
    return {"total": outcome.total, "files": [name for name in index.loaded if name != "index/meta.json"]}


def gzipped_size(data: bytes) -> int:
    """Bytes on the wire from a host that compresses (gzip level 6, the usual setting)."""
    return len(gzip.compress(data, compresslevel=6, mtime=0))
