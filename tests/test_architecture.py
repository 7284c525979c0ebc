"""The flow of docs/architecture.md, checked on the code: no module imports one later in the flow."""

from __future__ import annotations

import ast
from pathlib import Path

KG = Path(__file__).resolve().parents[1] / "kg"
# The flow, earliest first; a module may import only itself, its package and modules before it.
FLOW = [
    "kg.identifiers",
    "kg.terminal",
    "kg.progress",
    "kg.vocab",
    "kg.statements",
    "kg.listparse",
    "kg.listsource",
    "kg.enrich",
    "kg.graphmap",
    "kg.store",
    "kg.model",
    "kg.query",
    "kg.savedqueries",
    "kg.clusters",
    "kg.counts",
    "kg.validate",
    "kg.exports",
    "kg.page",
    "kg.curate",
    "kg.build",
    "kg.publish",
    "kg.serve",
    "kg.push",
    "kg.cli",
]


def stage(module: str) -> int:
    """The module's place in the flow (a package's modules share the package's place)."""
    for position, name in enumerate(FLOW):
        if module == name or module.startswith(name + "."):
            return position
    raise AssertionError(f"{module} has no place in the flow of docs/architecture.md (tests/test_architecture.py)")


def module_name(path: Path) -> str:
    parts = path.relative_to(KG.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> set[str]:
    """Every kg module a file imports, at the top or inside a function."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("kg"):
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names if alias.name.startswith("kg"))
    return names - {"kg"}


def test_no_module_imports_one_later_in_the_flow():
    modules = {module_name(path): path for path in KG.rglob("*.py") if path.name != "__main__.py"}
    assert len(modules) > 20 and "kg.build" in modules
    backwards = sorted(
        f"{name} imports {other}"
        for name, path in modules.items()
        for other in imported(path)
        if stage(other) > stage(name)
    )
    assert backwards == []


def test_only_the_command_line_imports_the_build():
    importers = sorted(module_name(path) for path in KG.rglob("*.py") if "kg.build" in imported(path))
    assert importers == ["kg.cli"]
