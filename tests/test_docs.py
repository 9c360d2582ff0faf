"""Docs that cannot drift: every data column, site setting and CLI option is documented."""

from pathlib import Path

from sitegen.cli import main
from sitegen.inputs.config import SITE_KEYS
from sitegen.inputs.coverage import COLUMNS
from sitegen.inputs.data import REGION_COLUMNS, SEGMENT_KEYS, SOURCE_KEYS
from sitegen.pages.api import CSV_COLUMNS
from sitegen.inputs.targets import RATES_KEYS
from sitegen.model.budgets import BUDGET_COLUMNS

REPO = Path(__file__).resolve().parent.parent


def test_data_contract_documents_every_column_and_key():
    text = (REPO / "docs" / "data.md").read_text(encoding="utf-8")
    for name in (*COLUMNS, *REGION_COLUMNS, *SEGMENT_KEYS, *SOURCE_KEYS, *SITE_KEYS, *RATES_KEYS, *BUDGET_COLUMNS):
        assert f"`{name}`" in text, f"docs/data.md does not document {name}"


def test_readme_documents_every_build_option():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    for command in ("build", "check"):
        for param in main.commands[command].params:
            for option in param.opts:
                if option.startswith("--") and option not in ("--help", "--cache-dir"):
                    assert option in text, f"README does not mention {command} {option}"
    assert "--cache-dir" in text


def test_readme_links_the_data_contract_and_screenshot():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert "docs/data.md" in text
    assert (REPO / "docs" / "screenshot-desa.png").is_file()


def test_api_doc_names_every_field_of_the_schemas():
    import json

    text = (REPO / "docs" / "api.md").read_text(encoding="utf-8")
    for name in ("wilayah.schema.json", "index.schema.json"):
        schema = json.loads((REPO / "docs" / "api" / name).read_text(encoding="utf-8"))
        fields = set(schema["properties"]) | {f for d in schema.get("$defs", {}).values() for f in d["properties"]}
        for field in fields:
            assert field in text, f"docs/api.md does not mention {field} ({name})"
    assert ",".join(CSV_COLUMNS) in text
