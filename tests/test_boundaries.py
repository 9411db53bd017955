"""The import boundaries of docs: grouping is pure, tracker doesn't reach into ingest."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(package: str):
    for path in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield path, alias.name
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                yield path, node.module


@pytest.mark.parametrize("forbidden", ["django", "rest_framework", "celery", "ingest", "tracker"])
def test_grouping_is_pure(forbidden):
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path, module in imported_modules("grouping")
        if module == forbidden or module.startswith(forbidden + ".")
    ]
    assert not offenders


# tracker may use ingest's public entry point (the sample-event button) and nothing else.
INGEST_PUBLIC = {"ingest", "ingest.public"}


def test_tracker_uses_only_ingest_public_entry_points():
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path, module in imported_modules("tracker")
        if (module == "ingest" or module.startswith("ingest.")) and module not in INGEST_PUBLIC
    ]
    assert not offenders
