"""Bulk downloads: the whole data set as CSV files and as one zip, for the download page.

`coverage.csv` of a national site is ~290 MB; compressing it takes ~5 s, more than an
incremental build may spend. So the zip is assembled the way pigz does it: the file
is cut into the same 256 KB pieces of whole lines as the coverage cache, each piece is
deflated on its own (ending on a byte boundary with a full flush), and the zip's data is
the concatenation of the pieces, closed by an empty final block. Any unzip tool reads it
as one ordinary deflated member. With the fast paths on, sitegen.fast.downloads keeps the
deflated pieces by their content hash, so an edit recompresses only the pieces it touched.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import struct
import zipfile
import zlib
from dataclasses import dataclass

from ..inputs.config import Text
from ..inputs.coverage import CoverageFile
from ..inputs.data import Region, Segment, Source
from .api import csv_bytes
from .opendata import PACKAGE_NAME, data_package

LEVEL = 6
END_BLOCK = b"\x03\x00"  # an empty final deflate block: closes a stream of flushed pieces
LINK_FROM = 1 << 20  # a zip larger than this is kept in a file of its own by the fast path (fast.snapshot)
ZIP_LIMIT = 0xFFFFFFFF  # above this, sizes need zip64: such members are written by zipfile instead


@dataclass(frozen=True)
class Member:
    name: str
    size: int
    crc: int
    deflated: tuple[bytes, ...]   # the deflated stream, in pieces (joined only where written)

    @property
    def deflated_size(self) -> int:
        return sum(len(part) for part in self.deflated)


def is_plain(text: bytes) -> bool:
    """Checked rows hold only codes, ids, months and digits: without quotes, tabs or lone carriage
    returns no cell can start a spreadsheet formula, so the rows are published as they are."""
    return b'"' not in text and b"\t" not in text and text.count(b"\r") == text.count(b"\r\n")


def rewritten_csv(data: bytes) -> bytes:
    """Any other file is written out again cell by cell, neutralised."""

    rows = list(csv.reader(io.StringIO(bytes(data).decode("utf-8"), newline="")))
    return csv_bytes(rows[0] if rows else [], [[cell.strip() for cell in row] for row in rows[1:] if row])


def coverage_member(name: str, file: CoverageFile, cache=None) -> tuple[bytes, Member]:
    """The coverage rows to publish, and their zip member: each piece of the file deflated on its own
    (`cache`, a fast.downloads.DownloadCache, keeps deflated pieces by their content hash)."""
    data = file.data
    head = data[:file.bounds[0][0]] if file.bounds else data
    parts = [make_piece(head)] if is_plain(head) else []
    for i, (start, end) in enumerate(file.bounds):
        if not parts:
            break
        parts.append(cache.piece(file.digests[i], data, start, end) if cache and file.digests
                     else make_piece(data[start:end]))
    if not parts or not all(part.plain for part in parts):
        published = rewritten_csv(data)
        return published, Member(name, len(published), zlib.crc32(published), (deflate(published), END_BLOCK))
    if cache is not None and file.digests:
        cache.keep_pieces(file.digests)
    return file.copy or data, Member(name, len(data), zlib.crc32(data), (*(part.deflated for part in parts), END_BLOCK))


@dataclass(frozen=True)
class Piece:
    plain: bool
    crc: int
    deflated: bytes


def make_piece(text: bytes) -> Piece:
    return Piece(is_plain(text), zlib.crc32(text), deflate(text))


def deflate(data) -> bytes:
    """Raw deflate ending on a byte boundary (a full flush), so pieces can be concatenated."""
    compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(zlib.Z_FULL_FLUSH)


def small_member(name: str, data: bytes, cache=None) -> Member:
    """A member deflated in one go (`cache` keeps one of a megabyte or more: wilayah.csv nationally)."""
    piece = cache.member_piece(data) if cache is not None else None
    if piece is None:
        return Member(name, len(data), zlib.crc32(data), (deflate(data), END_BLOCK))
    return Member(name, len(data), piece.crc, (piece.deflated, END_BLOCK))


def regions_csv(regions: list[Region]) -> bytes:
    return csv_bytes(("code", "name", "level", "parent_code", "kind"), regions)


def segments_csv(segments: list[Segment]) -> bytes:
    return csv_bytes(("id", "name_id", "name_en", "group", "programs", "description_id", "description_en"),
                     [(s.id, s.name.id, s.name.en, s.group, " ".join(s.programs), s.description.id,
                       s.description.en) for s in segments])


def sources_csv(sources: list[Source]) -> bytes:
    return csv_bytes(("id", "publisher", "title", "date", "url", "illustrative", "note"),
                     [(s.id, s.publisher, s.title, s.date.isoformat() if s.date else "", s.url,
                       "yes" if s.illustrative else "no", s.note) for s in sources])


def zip_bytes(members: list[Member], when: dt.date) -> bytes:
    """A zip archive of already deflated members, every timestamp set to `when` (so two builds
    of the same data give the same bytes)."""
    if any(m.size >= ZIP_LIMIT or m.deflated_size >= ZIP_LIMIT for m in members):
        raise ValueError("a member needs zip64")
    dos_time, dos_date = 0, ((when.year - 1980) << 9) | (when.month << 5) | when.day
    body, directory = [], []
    offset = 0
    for m in members:
        name = m.name.encode("utf-8")
        fields = (20, 0x0800, 8, dos_time, dos_date, m.crc, m.deflated_size, m.size, len(name))
        local = struct.pack("<IHHHHHIIIHH", 0x04034B50, *fields, 0) + name
        directory.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, *fields, 0, 0, 0, 0, 0, offset)
                         + name)
        body += [local, *m.deflated]
        offset += len(local) + m.deflated_size
    central = b"".join(directory)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), offset, 0)
    return (*body, central, end)


# --- the files and the page ------------------------------------------------------------

ZIP_NAME = "data.zip"
DICTIONARY_NAME = "KAMUS-DATA.txt"

# (file, what it holds, its columns): shown on the download page and written into the zip.
DICTIONARY = (
    ("cakupan.csv", Text("Cakupan per bulan, wilayah dan segmen, persis seperti dilaporkan.",
                         "Coverage per month, region and segment, exactly as reported."), (
        ("period", Text("Bulan laporan, YYYY-MM.", "Month reported, YYYY-MM.")),
        ("region_code", Text("Kode wilayah Kemendagri (lihat wilayah.csv).", "Kemendagri region code (see wilayah.csv).")),
        ("segment", Text("Kelompok pekerja (lihat segmen.csv).", "Group of workers (see segmen.csv).")),
        ("covered", Text("Pekerja terlindungi: peserta aktif BPJS Ketenagakerjaan.",
                         "Workers covered: active BPJS Ketenagakerjaan members.")),
        ("eligible", Text("Pekerja yang perlu dilindungi; kosong bila tidak diketahui.",
                          "Workers who should be covered; empty when unknown.")),
        ("source", Text("Sumber angka (lihat sumber.csv).", "Where the figure comes from (see sumber.csv).")),
    )),
    ("wilayah.csv", Text("Wilayah dari daftar resmi Kemendagri.", "Regions from the official Kemendagri list."), (
        ("code", Text("Kode wilayah.", "Region code.")),
        ("name", Text("Nama wilayah.", "Region name.")),
        ("level", Text("Tingkat: nasional, provinsi, kabupaten, kecamatan, desa.",
                       "Level: nasional, provinsi, kabupaten, kecamatan, desa.")),
        ("parent_code", Text("Kode wilayah induk.", "Code of the parent region.")),
        ("kind", Text("Jenis: kabupaten/kota, desa/kelurahan.", "Kind: regency/city, village/urban village.")),
    )),
    ("segmen.csv", Text("Kelompok pekerja yang dihitung.", "The groups of workers counted."), (
        ("id", Text("Kode segmen, dipakai di cakupan.csv.", "Segment id, used in cakupan.csv.")),
        ("name_id, name_en", Text("Nama dalam Bahasa Indonesia dan Inggris.", "Name in Indonesian and English.")),
        ("group", Text("Golongan: ekosistem_desa, pekerja_rentan, formal, informal.",
                       "Group: ekosistem_desa, pekerja_rentan, formal, informal.")),
        ("programs", Text("Program jaminan yang dihitung (JKK, JKM, ...).", "Programmes counted (JKK, JKM, ...).")),
        ("description_id, description_en", Text("Penjelasan.", "Description.")),
    )),
    ("sumber.csv", Text("Sumber data.", "Data sources."), (
        ("id", Text("Kode sumber, dipakai di cakupan.csv.", "Source id, used in cakupan.csv.")),
        ("publisher, title, date, url", Text("Penerbit, judul, tanggal dan alamat sumber.",
                                             "Publisher, title, date and address of the source.")),
        ("illustrative", Text("yes: angka contoh buatan, bukan data resmi.", "yes: made-up example figures, not official data.")),
        ("note", Text("Catatan.", "Note.")),
    )),
)


def prepare_bulk_files(coverage: CoverageFile, regions, segments, sources, config, cache=None) -> dict[str, bytes]:
    """Every file of the download folder, by name (run in a background thread: zlib lets go of the GIL).
    `cache`: a fast.downloads.DownloadCache, which keeps what is slow to make at national scale."""
    published, coverage_zipped = coverage_member("cakupan.csv", coverage, cache)
    files = {
        "cakupan.csv": published,
        "wilayah.csv": cache.regions_csv(regions) if cache is not None else regions_csv(regions),
        "segmen.csv": segments_csv(segments),
        "sumber.csv": sources_csv(sources),
        DICTIONARY_NAME: dictionary_text(config).encode("utf-8"),
    }
    files[PACKAGE_NAME] = data_package(files, config, sources, DICTIONARY)
    members = [coverage_zipped, *(small_member(name, data, cache) for name, data in files.items()
                                  if name != "cakupan.csv")]
    if cache is not None:
        cache.keep_members(files)
    try:
        archive = zip_bytes(members, config.as_of)
    except ValueError:  # over 4 GB: let zipfile write zip64
        archive = (zip64_bytes(files, config.as_of),)
    size = sum(len(part) for part in archive)
    files[ZIP_NAME] = (cache.large_file(archive) if cache is not None and size > LINK_FROM
                       else b"".join(archive))
    return files


def zip64_bytes(files: dict[str, bytes], when: dt.date) -> bytes:

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=(when.year, when.month, when.day, 0, 0, 0))
            archive.writestr(info, getattr(data, "data", data), zipfile.ZIP_DEFLATED)
    return out.getvalue()


def dictionary_text(config) -> str:
    lines = [f"{config.title.id} — kamus data / data dictionary", f"Data per / as of: {config.as_of.isoformat()}",
             f"Lisensi / license: {config.license['name']} {config.license['url']}".rstrip(), ""]
    for name, about, columns in DICTIONARY:
        lines += [name, f"  {about.id}", f"  {about.en}"]
        lines += [f"  - {column}: {text.id} / {text.en}" for column, text in columns]
        lines.append("")
    lines.append("CSV: UTF-8, koma sebagai pemisah / comma-separated. Sel teks yang diawali = + - @ diberi "
                 "tanda petik tunggal di depannya / text cells starting with = + - @ get a leading apostrophe.")
    return "\n".join(lines) + "\n"


def download_page_context(files: dict[str, bytes], locale: str) -> dict:
    listed = [ZIP_NAME, *(name for name, _, _ in DICTIONARY), DICTIONARY_NAME, PACKAGE_NAME]
    about = {name: text for name, text, _ in DICTIONARY}
    about[PACKAGE_NAME] = Text("Deskripsi untuk mesin: tiap tabel dengan skema dan kuncinya (Frictionless Data Package).",
                               "For machines: each table with its schema and keys (Frictionless Data Package).")
    return {
        "files": [{"name": name, "url": name, "bytes": len(files[name]),
                   "about": (about[name].id if locale == "id" else about[name].en) if name in about else None}
                  for name in listed],
        "dictionary": [{"name": name, "about": text.id if locale == "id" else text.en,
                        "columns": [(c, t.id if locale == "id" else t.en) for c, t in columns]}
                       for name, text, columns in DICTIONARY],
    }
