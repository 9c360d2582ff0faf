"""Reading input files: bytes → text with encoding checks, YAML with line numbers, CSV rows with line numbers.

Every reader records problems on a `Problems` collector instead of raising, so a
build reports all that is wrong with its input at once.
"""

from __future__ import annotations

import csv
import re
import unicodedata
import io
from pathlib import Path

import yaml

from ..errors import Problems, tr, tr_noop
from .spreadsheets import UnreadableCsv, first_line, is_semicolon_csv, semicolons_to_commas

BOM = b"\xef\xbb\xbf"


def read_text(path: Path, problems: Problems) -> str | None:
    """The file as text, or None after recording why it cannot be read as UTF-8."""
    data = read_bytes(path, problems)
    return None if data is None else decode_utf8(path, data, problems)


def read_bytes(path: Path, problems: Problems) -> bytes | None:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        problems.error(path, None, tr("file not found"))
        return None
    except OSError as exc:
        problems.error(path, None, tr("cannot be read: {reason}", reason=exc.strerror))
        return None
    return data[len(BOM):] if data.startswith(BOM) else data


def decode_utf8(path: Path, data: bytes, problems: Problems) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        problems.error(
            path, line,
            tr("is not UTF-8 (byte 0x{byte:02x}); save the file as UTF-8", byte=data[exc.start])
            + (tr(' (in Excel: File > Save As > "CSV UTF-8 (Comma delimited)")') if str(path).endswith(".csv") else ""),
        )
        return None


# --- YAML ---------------------------------------------------------------------------

class LineDict(dict):
    """A mapping from YAML that remembers the line of itself and of each key."""

    line: int = 0
    key_lines: dict


class _LineLoader(yaml.SafeLoader):
    """SafeLoader (no tag ever runs code) whose mappings remember their lines."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    mapping = LineDict()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be plain text, not a list or mapping", key_node.start_mark) from None
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = key_node.start_mark.line + 1
    return mapping


def _construct_timestamp(loader: _LineLoader, node: yaml.ScalarNode):
    """A date-shaped value that is no real date (2025-02-30) becomes a YAML error with its line."""
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError as exc:
        raise yaml.constructor.ConstructorError(
            None, None, f"{node.value!r} is not a real date ({exc})", node.start_mark) from None


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def load_yaml(path: Path, problems: Problems):
    """Parse a YAML file safely; on a syntax error record it with its line and return None."""
    text = read_text(path, problems)
    if text is None:
        return None
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - _LineLoader is a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problems.error(path, line, tr("invalid YAML: {reason}", reason=exc.problem or exc))
    except yaml.YAMLError as exc:
        problems.error(path, None, tr("invalid YAML: {reason}", reason=exc))
    return None


def line_of(mapping, key=None) -> int:
    """Line of a key in a LineDict (or of the mapping itself); 0 when unknown."""
    if isinstance(mapping, LineDict):
        if key is not None and key in mapping.key_lines:
            return mapping.key_lines[key]
        return mapping.line
    return 0


# --- CSV ----------------------------------------------------------------------------

def check_header(path: Path, header: list[str], required: tuple[str, ...], problems: Problems) -> bool:
    """Check the header row names every required column; explain a wrong delimiter."""
    if len(header) == 1:
        for delimiter, name in ((";", tr_noop("semicolons")), ("\t", tr_noop("tabs")), ("|", tr_noop("pipes"))):
            if delimiter in header[0]:
                problems.error(path, 1, tr('columns are separated by {separator}; sitegen expects commas '
                                           '(in Excel: File > Save As > "CSV UTF-8 (Comma delimited)")',
                                           separator=tr(name)))
                return False
    stripped = [h.strip() for h in header]
    missing = [c for c in required if c not in stripped]
    if missing:
        problems.error(
            path, 1,
            tr("missing column(s) {missing}; the header must name {required}", missing=", ".join(missing),
               required=",".join(required)),
        )
        return False
    for position, name in enumerate(stripped):
        if stripped.index(name) != position:
            problems.error(path, 1, tr("column {name} appears twice in the header", name=name))
            return False
    return True


def csv_records(path: Path, text: str, required: tuple[str, ...], problems: Problems):
    """Yield (line, {column: value}) for each data row; the line is where the row starts.

    Blank lines are skipped; a row with the wrong number of fields is reported, not guessed at.
    """
    if is_semicolon_csv(first_line(text)):
        try:
            text = semicolons_to_commas(text)
        except UnreadableCsv as exc:
            problems.error(path, exc.line, tr("unreadable CSV: {reason}", reason=exc))
            return
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        problems.error(path, 1, tr("file is empty; expected a header row"))
        return
    if not check_header(path, header, required, problems):
        return
    columns = [h.strip() for h in header]
    last_line = reader.line_num
    try:
        for row in reader:
            line, last_line = last_line + 1, reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) != len(columns):
                problems.error(
                    path, line,
                    tr("row has {fields} fields but the header has {columns}", fields=len(row), columns=len(columns)),
                    rule=tr_noop("wrong number of fields"),
                )
                continue
            yield line, dict(zip(columns, row))
    except csv.Error as exc:
        problems.error(path, reader.line_num, tr("unreadable CSV: {reason}", reason=exc))


NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    """Lower-case ASCII words joined by "-" (for page folders and article file names)."""
    if not text.isascii():  # (perf) NFKD leaves ASCII as it is: 91,600 region names, nearly all ASCII
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return NOT_SLUG.sub("-", text.lower()).strip("-") or "wilayah"
