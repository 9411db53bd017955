"""grouping/ stays pure: no Django, no ingest, no tracker (docs/architecture.md, boundaries)."""

from pathlib import Path

import pytest

from tests.purity import imported_names

GROUPING = Path(__file__).resolve().parents[2] / "grouping"
FORBIDDEN = ("django", "ingest", "tracker")


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
