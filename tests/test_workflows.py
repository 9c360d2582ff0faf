"""The GitHub Actions workflows: linted with actionlint, and building exactly what the README documents."""

from __future__ import annotations

import re
import os
import shutil
import sys
from pathlib import Path
import subprocess

import pytest
import yaml

from conftest import REPO

WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
DEPLOY_BUILD = 'sitegen build --strict --base-url "$SITE_URL"'


def test_both_workflows_exist():
    assert {w.name for w in WORKFLOWS} == {"check.yml", "deploy.yml"}


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda w: w.name)
def test_actionlint_passes(workflow):
    actionlint = shutil.which("actionlint", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    assert actionlint, "actionlint is missing: pip install -e '.[test]'"
    result = subprocess.run([actionlint, "-no-color", str(workflow)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda w: w.name)
def test_no_expression_is_interpolated_into_a_shell_command(workflow):
    """Expressions reach shell commands only through `env:` (no script injection)."""
    jobs = yaml.safe_load(workflow.read_text(encoding="utf-8"))["jobs"]
    commands = [step["run"] for job in jobs.values() for step in job["steps"] if "run" in step]
    assert commands
    for command in commands:
        assert "${{" not in command, command


def test_deploy_builds_what_the_readme_documents():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    deploy = (REPO / ".github" / "workflows" / "deploy.yml").read_text(encoding="utf-8")
    assert DEPLOY_BUILD in readme
    assert f"run: {DEPLOY_BUILD}" in deploy
    install = re.search(r"```sh\n(.*?)\n", readme).group(1).split("&&")[0].strip()  # the README's first command
    assert install == "pip install -e ."
    assert "pip install -e '.[test]'" in deploy and "python -m pytest" in deploy


def test_deploy_permissions_and_concurrency():
    deploy = (REPO / ".github" / "workflows" / "deploy.yml").read_text(encoding="utf-8")
    assert re.search(r"^permissions:\n  contents: read$", deploy, re.MULTILINE)
    assert "pages: write" in deploy and "id-token: write" in deploy
    assert re.search(r"^concurrency:\n  group: pages\n  cancel-in-progress: false$", deploy, re.MULTILINE)
    for path in ("data/**", "content/**", "templates/**", "assets/**", "sitegen/**", "pyproject.toml"):
        assert f'- "{path}"' in deploy
    assert "schedule:" in deploy and "workflow_dispatch:" in deploy


def test_deploy_goes_to_pages_or_to_object_storage_with_the_cache_kept():
    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "deploy.yml").read_text(encoding="utf-8"))
    steps = workflow["jobs"]["build"]["steps"]
    cache = next(step for step in steps if step.get("uses", "").startswith("actions/cache/restore@"))
    assert cache["with"]["path"] == ".sitegen-cache"
    assert "${{ github.run_id }}" in cache["with"]["key"]  # a new key each run (a cache entry is never updated)
    assert cache["with"]["key"].startswith(cache["with"]["restore-keys"])  # restored from the latest
    build = next(step for step in steps if step.get("name") == "Build")
    assert steps.index(cache) < steps.index(build)
    save = next(step for step in steps if step.get("uses", "").startswith("actions/cache/save@"))
    assert save["if"] == "always()" and save["with"] == {"path": ".sitegen-cache", "key": cache["with"]["key"]}
    assert steps.index(save) == len(steps) - 1
    storage = next(step for step in steps if step.get("name") == "Publish to object storage")
    assert storage["if"] == "vars.DEPLOY_TO != '' && github.ref == 'refs/heads/main'"
    assert storage["run"].startswith("sitegen deploy _site --gzip")
    assert storage["env"]["SITEGEN_DEPLOY_TO"] == "${{ vars.DEPLOY_TO }}"
    assert storage["env"]["AWS_SECRET_ACCESS_KEY"] == "${{ secrets.AWS_SECRET_ACCESS_KEY }}"
    pages = [step for step in steps if "pages" in step.get("uses", "")] + [workflow["jobs"]["deploy"]]
    assert all(item["if"] == "vars.DEPLOY_TO == ''" for item in pages)
    fits = next(step for step in steps if step.get("run", "").startswith("sitegen deploy _site --check"))
    assert fits["run"] == "sitegen deploy _site --check github-pages" and fits["if"] == "vars.DEPLOY_TO == ''"


def test_pull_requests_are_tested_on_linux_windows_and_macos():
    check = yaml.safe_load((REPO / ".github" / "workflows" / "check.yml").read_text(encoding="utf-8"))
    job = check["jobs"]["check"]
    systems = {entry["os"] for entry in job["strategy"]["matrix"]["include"]}
    assert systems == {"ubuntu-latest", "windows-latest", "macos-latest"}
    assert job["runs-on"] == "${{ matrix.os }}" and job["defaults"]["run"]["shell"] == "bash"
    test_step = next(step for step in job["steps"] if step.get("name") == "Test")
    assert test_step["run"] == "python -m pytest" and test_step["env"]["CI"] == "true"


def test_pull_requests_changing_only_data_are_checked_with_annotations():
    check = yaml.safe_load((REPO / ".github" / "workflows" / "check.yml").read_text(encoding="utf-8"))
    trigger = check[True]["pull_request"]  # YAML 1.1 reads the key `on` as True
    assert not trigger or not ({"paths", "paths-ignore"} & set(trigger))
    steps = check["jobs"]["check"]["steps"]
    validate = next(step for step in steps if step.get("name") == "Validate the input")
    assert validate["run"].startswith("sitegen check")
    assert steps.index(validate) < steps.index(next(step for step in steps if step.get("name") == "Test"))
