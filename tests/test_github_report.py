"""Under GitHub Actions, input problems become annotations on the pull request's lines and a table
in the job summary (workflow commands: ::error file=…,line=…::message)."""

from __future__ import annotations

from conftest import COVERAGE_CSV
from sitegen.errors import GITHUB_SHOWN, Problems, github_annotations, summary_table

COVERAGE = "data/coverage.csv"


def broken(row: int, value: str) -> str:
    lines = COVERAGE_CSV.splitlines()
    fields = lines[row - 1].split(",")
    fields[3] = value
    lines[row - 1] = ",".join(fields)
    return "\n".join(lines) + "\n"


def test_a_broken_file_annotates_its_lines(make_site, run_cli, monkeypatch, tmp_path):
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    make_site({COVERAGE: broken(3, "6x")})
    result = run_cli("check")
    assert result.exit_code == 1
    annotations = [line for line in result.stdout.splitlines() if line.startswith("::")]
    assert annotations == [f'::error file={COVERAGE},line=3,title=sitegen::covered "6x" is not a whole number']
    table = summary.read_text(encoding="utf-8")
    assert '| error | `data/coverage.csv` | 3 | `covered "6x" is not a whole number` |' in table
    assert table.startswith("### sitegen: 1 error(s), 0 warning(s)")


def test_no_annotations_outside_github_actions(make_site, run_cli):
    make_site({COVERAGE: broken(3, "6x")})
    result = run_cli("check")
    assert result.exit_code == 1
    assert "::error" not in result.output


def test_a_valid_input_writes_no_summary(make_site, run_cli, monkeypatch, tmp_path):
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    make_site({})
    result = run_cli("check")
    assert result.exit_code == 0, result.output
    assert "::" not in result.stdout
    assert not summary.exists()


def test_messages_and_properties_are_escaped():
    problems = Problems()
    problems.error("data/a,b:c.csv", 4, "50% of\nthe rows")
    assert github_annotations(problems) == ["::error file=data/a%2Cb%3Ac.csv,line=4,title=sitegen::50%25 of%0Athe rows"]
    assert "| error | `data/a,b:c.csv` | 4 | `50% of the rows` |" in summary_table(problems)


def test_beyond_what_github_shows_one_annotation_points_to_the_summary():
    problems = Problems()
    for line in range(2, 2 + GITHUB_SHOWN + 5):
        problems.error(COVERAGE, line, "bad")
    problems.warn("data/site.yaml", 3, "odd")
    problems.count_more(COVERAGE, "bad count", 100)
    annotations = github_annotations(problems)
    errors = [a for a in annotations if a.startswith("::error")]
    assert len(errors) == GITHUB_SHOWN
    assert errors[-1] == f"::error title=sitegen::{GITHUB_SHOWN + 5 - (GITHUB_SHOWN - 1) + 100} more problem(s): see the job summary"
    assert annotations[-1] == "::warning file=data/site.yaml,line=3,title=sitegen::odd"
    table = summary_table(problems)
    assert table.count("| error |") == GITHUB_SHOWN + 5 + 1
    assert "100 more rows with the same problem (`bad count`)" in table
    assert "| warning | `data/site.yaml` | 3 | `odd` |" in table


def test_a_line_break_typed_into_a_value_cannot_start_a_command(make_site, run_cli, monkeypatch):
    """A quoted CSV cell may hold a line break: the report shows it as \\n, so no line of the log
    (which GitHub Actions reads for commands) begins with "::" but sitegen's own annotations."""
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    make_site({COVERAGE: COVERAGE_CSV.replace(",6,12,", ',"6\n::error file=README.md,line=1::injected",12,', 1)})
    result = run_cli("check")
    assert result.exit_code == 1
    commands = [line for line in result.output.splitlines() if line.startswith("::")]
    assert commands and all(line.startswith(f"::error file={COVERAGE},line=3,") for line in commands), commands
    assert "\\n::error file=README.md" in result.stderr
