"""grouping/ stays pure: no Django, no ingest, no tracker (architecture.md boundaries)."""

import ast
from pathlib import Path

import pytest

GROUPING = Path(__file__).resolve().parents[2] / "grouping"
FORBIDDEN = ("django", "ingest", "tracker")


def imported_names(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name | ast.Attribute)
            and getattr(node.func, "id", getattr(node.func, "attr", None))
            in ("__import__", "import_module")
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            yield str(node.args[0].value)


SOURCES = sorted(GROUPING.rglob("*.py"))


def test_sources_found():
    assert len(SOURCES) > 10


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(GROUPING)))
def test_no_forbidden_imports(path):
    offenders = [
        name for name in imported_names(path)
        if name.split(".")[0] in FORBIDDEN
    ]
    assert not offenders, f"{path.name} imports {offenders}"
