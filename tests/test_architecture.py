"""The layout docs/architecture.md describes, kept true: stages import only earlier stages, no plain
module imports the fast paths, the leaves import nothing of sitegen, and every module is documented."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import REPO

PACKAGE = REPO / "sitegen"
# What each part may import of sitegen (besides itself and the leaves errors, schema and system).
ALLOWED = {
    "inputs": set(),
    "model": {"inputs"},
    "render": set(),
    "pages": {"inputs", "model", "render"},
    "output": {"inputs", "model", "render", "pages"},
    "fast": {"inputs", "model", "render", "pages", "output"},
    "publish": {"output", "model"},  # model: the release archive's layout, which fetch-published reads
}
LEAVES = {"errors", "schema", "system"}
ORCHESTRATORS = {"build", "cli", "serve"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def sitegen_imports(path: Path) -> set[str]:
    """The sitegen modules `path` imports, as dotted names inside the package (e.g. 'inputs.coverage')."""
    here = module_name(path).split(".") if module_name(path) else []
    package = here if path.name == "__init__.py" else here[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - (node.level - 1)]
                target = [*base, *(node.module.split(".") if node.module else [])]
            elif node.module and node.module.split(".")[0] == "sitegen":
                target = node.module.split(".")[1:]
            else:
                continue
            names = [alias.name for alias in node.names]
            for name in names:
                candidate = ".".join([*target, name])
                found.add(candidate if (PACKAGE / Path(*candidate.split("."))).with_suffix(".py").exists()
                          or (PACKAGE / Path(*candidate.split(".")) / "__init__.py").exists() else ".".join(target))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "sitegen":
                    found.add(".".join(alias.name.split(".")[1:]))
    return {name for name in found if name}


MODULES = sorted(p for p in PACKAGE.rglob("*.py"))


def part_of(name: str) -> str:
    return name.split(".")[0]


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_stages_import_only_earlier_stages(path):
    name = module_name(path)
    part = part_of(name) if name else ""
    imported = {part_of(target) for target in sitegen_imports(path)} - {part, ""}
    if part in LEAVES:
        assert not imported, f"{name} is a leaf but imports {imported}"
    elif part in ALLOWED:
        assert imported <= ALLOWED[part] | LEAVES, f"{name} imports {imported - ALLOWED[part] - LEAVES}"
    else:
        assert part in ORCHESTRATORS | {""}, f"{name}: a module outside the stage packages"


def test_plain_modules_never_import_the_fast_paths():
    offenders = [module_name(p) for p in MODULES
                 if part_of(module_name(p) or "sitegen") not in {"fast", *ORCHESTRATORS}
                 and any(part_of(t) == "fast" for t in sitegen_imports(p))]
    assert offenders == [], offenders


def test_the_import_checker_sees_imports():
    """The checks above can fail: the checker finds a relative import across packages."""
    assert "fast.coverage" in sitegen_imports(PACKAGE / "build.py")
    assert "inputs.files" in sitegen_imports(PACKAGE / "fast" / "regions.py")
    assert "schema" in sitegen_imports(PACKAGE / "inputs" / "coverage.py")


def test_every_module_is_in_the_architecture_document():
    text = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = [str(p.relative_to(PACKAGE)) for p in MODULES
               if p.name != "__init__.py" and f"`{p.name}`" not in text and f"{p.name}:" not in text
               and f"/{p.name}" not in text]
    assert missing == []


def unexplained_local_imports(name: str, text: str) -> list[str]:
    """Imports inside functions whose line does not say why (`# lazy: ...`): a module's imports
    belong at its top unless deferring one buys speed or keeps a start-up order."""
    lines = text.splitlines()
    found = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for inner in ast.walk(node):
                if isinstance(inner, (ast.Import, ast.ImportFrom)) and "# lazy: " not in lines[inner.lineno - 1]:
                    found.append(f"{name}:{inner.lineno}: {lines[inner.lineno - 1].strip()}")
    return found


def test_imports_inside_functions_say_why():
    found = [line for path in MODULES
             for line in unexplained_local_imports(str(path.relative_to(PACKAGE)), path.read_text(encoding="utf-8"))]
    assert found == [], "\n".join(found)


def test_the_local_import_check_can_fail():
    text = (PACKAGE / "fast" / "early.py").read_text(encoding="utf-8")
    assert unexplained_local_imports("early.py", text) == []
    assert len(unexplained_local_imports("early.py", text.replace("  # lazy: ", "  # "))) == 3
