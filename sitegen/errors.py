"""Problems found in the input, collected so that every one is reported at once.

Deeper modules record problems on a `Problems` collector and raise `InputError`
when a stage cannot go on; the CLI turns that into exit code 1.

Messages are written in English through `tr()`, whose strings are the msgids of the `problems`
gettext catalog: the CLI chooses the report language (Bahasa Indonesia for an Indonesian locale
or `--lang id`) with `use_report_language`, and `tr` gives each message in it.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

# A systematically broken column in a 5-million-row file would otherwise print
# millions of lines; beyond this many per (file, rule) we report only a count.
MAX_REPORTED_PER_RULE = 50


# --- the report language ----------------------------------------------------------------------

_translate: Callable[[str], str] = str


def use_report_language(translate: Callable[[str], str]) -> None:
    """Set how `tr` translates (a catalog's gettext); English, the msgids, until it is called."""
    global _translate
    _translate = translate


def tr_noop(message: str) -> str:
    """Marks a message for the catalog that is translated later (a rule's name, shown in a count)."""
    return message


def tr(message: str, /, **values) -> str:
    """The message in the report language, its {placeholders} filled: `tr("{value} is not a whole
    number", value=...)`. The English text is the msgid (scripts/update_catalogs.py extracts it)."""
    text = _translate(message)
    return text.format(**values) if values else text


def line_ref(path, line: int) -> str:
    """Another line of the same file, named as its reader sees it: a CSV's line, a workbook's row."""
    return tr("row {line}", line=line) if str(path).endswith("]") else tr("line {line}", line=line)


def display_path(path: str | os.PathLike) -> str:
    """The path as the user would type it: relative to the working folder when inside it, with "/"
    between folders on every system (Windows' own tools accept it, and messages stay the same)."""
    text = os.fspath(path)
    try:
        rel = os.path.relpath(text)
    except ValueError:
        rel = ".."  # another drive than the working folder's (Windows)
    return (text if rel.startswith("..") else rel).replace(os.sep, "/")


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        # A value quoted as typed may hold a line break: shown as \n, so that one problem is one line
        # (and no line of a report can pass for a command to GitHub Actions, which reads the log).
        message = self.message.replace("\r", "\\r").replace("\n", "\\n")
        if self.line and self.path.endswith("]"):  # a workbook's sheet, `data/coverage.xlsx [Cakupan]`
            return tr("{path} row {line}: {message}", path=self.path, line=self.line, message=message)
        if self.line:
            return f"{self.path}:{self.line}: {message}"
        return f"{self.path}: {message}"


@dataclass
class Problems:
    """Collects errors and warnings; `--strict` promotes warnings to errors."""

    strict: bool = False
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    _per_rule: Counter = field(default_factory=Counter)
    _suppressed: Counter = field(default_factory=Counter)

    def error(self, path, line: int | None, message: str, rule: str | None = None) -> None:
        shown = display_path(path)
        if rule is not None:
            self._per_rule[(shown, rule)] += 1
            if self._per_rule[(shown, rule)] > MAX_REPORTED_PER_RULE:
                self._suppressed[(shown, rule)] += 1
                return
        self.errors.append(Problem(shown, line or 0, message))

    def count_more(self, path, rule: str, count: int) -> None:
        """Record `count` further problems of one rule without their details."""
        if count > 0:
            self._suppressed[(display_path(path), rule)] += count

    def checkpoint(self) -> tuple:
        """The collector's state, to return to when a stage's findings are to be redone."""
        return len(self.errors), len(self.warnings), Counter(self._per_rule), Counter(self._suppressed)

    def rollback(self, state: tuple) -> None:
        errors, warnings, per_rule, suppressed = state
        del self.errors[errors:], self.warnings[warnings:]
        self._per_rule, self._suppressed = Counter(per_rule), Counter(suppressed)

    def merge(self, other: "Problems") -> None:
        """Add what another collector found (e.g. one used by a check running in a thread)."""
        self.errors += other.errors
        self.warnings += other.warnings
        self._per_rule.update(other._per_rule)
        self._suppressed.update(other._suppressed)

    def warn(self, path, line: int | None, message: str) -> None:
        if self.strict:
            self.error(path, line, message + tr(" (an error under --strict)"))
        else:
            self.warnings.append(Problem(display_path(path), line or 0, message))

    def __bool__(self) -> bool:
        return bool(self.errors)

    def error_count(self) -> int:
        return len(self.errors) + sum(self._suppressed.values())

    def report_lines(self) -> list[str]:
        lines = [str(p) for p in sorted(self.errors)]
        for (path, rule), count in sorted(self._suppressed.items()):
            lines.append(tr("{path}: ... and {count} more rows with the same problem ({rule})",
                            path=path, count=count, rule=tr(rule)))
        return lines

    def raise_if_any(self) -> None:
        if self.errors:
            raise InputError(self)


# --- problems where the change is: GitHub Actions annotations and the job summary -------------

GITHUB_SHOWN = 10  # annotations GitHub shows per step and kind; the rest only in the summary


def github_annotations(problems: Problems) -> list[str]:
    """Workflow commands that put each problem on its file and line in a pull request's diff
    (https://docs.github.com/actions/reference/workflow-commands-for-github-actions)."""
    lines = []
    for kind, found in (("error", sorted(problems.errors)), ("warning", sorted(problems.warnings))):
        uncounted = sum(problems._suppressed.values()) if kind == "error" else 0
        fits = len(found) + (1 if uncounted else 0) <= GITHUB_SHOWN
        shown = found if fits else found[:GITHUB_SHOWN - 1]
        lines += [workflow_command(kind, p.path, p.line, p.message) for p in shown]
        more = len(found) - len(shown) + uncounted
        if more:
            lines.append(workflow_command(kind, None, 0, f"{more} more problem(s): see the job summary"))
    return lines


def workflow_command(kind: str, path: str | None, line: int, message: str) -> str:
    properties = ",".join(f"{name}={escape_property(str(value))}"
                          for name, value in (("file", path), ("line", line), ("title", "sitegen")) if value)
    return f"::{kind} {properties}::{escape_data(message)}"


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def summary_table(problems: Problems) -> str:
    """Every problem as a Markdown table, for the job summary ($GITHUB_STEP_SUMMARY)."""
    rows = [("error", p) for p in sorted(problems.errors)] + [("warning", p) for p in sorted(problems.warnings)]
    out = [f"### sitegen: {problems.error_count()} error(s), {len(problems.warnings)} warning(s)", "",
           "| | file | line | problem |", "|---|---|---:|---|"]
    out += [f"| {kind} | `{p.path}` | {p.line or ''} | {table_cell(p.message)} |" for kind, p in rows]
    out += [f"| error | `{path}` | | {count} more rows with the same problem ({table_cell(rule)}) |"
            for (path, rule), count in sorted(problems._suppressed.items())]
    return "\n".join(out) + "\n"


def table_cell(text: str) -> str:
    """As code, so that a value typed into a file cannot render as a link or HTML in the summary."""
    text = text.replace("\r", " ").replace("\n", " ").replace("|", "\\|")
    fence = "``" if "`" in text else "`"
    return f"{fence} {text} {fence}" if fence == "``" else f"`{text}`"


class InputError(Exception):
    """The input is invalid; `problems` holds every reason."""

    def __init__(self, problems: Problems):
        self.problems = problems
        super().__init__(f"{problems.error_count()} problem(s) in the input")


class OutputError(Exception):
    """The output folder cannot be used safely (e.g. it is not sitegen's)."""
