"""ingest/protocol stays pure: the Sentry protocol without Django, models or Celery.

import-linter checks the import graph (pyproject.toml); this checks every import statement
of the package's files, dynamic ones included, the way tests/grouping checks grouping/.
"""

from pathlib import Path

import pytest

from tests.purity import imported_names

PROTOCOL = Path(__file__).resolve().parents[3] / "ingest" / "protocol"
# tracker.fastjson is plain orjson: the one thing of tracker the protocol may use.
ALLOWED = {"ingest.protocol", "tracker.fastjson"}
FORBIDDEN = ("django", "celery", "rest_framework", "ingest", "tracker")


SOURCES = sorted(PROTOCOL.rglob("*.py"))


def test_sources_found():
    assert len(SOURCES) >= 10


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_no_forbidden_imports(path):
    offenders = [
        name for name in imported_names(path)
        if name.split(".")[0] in FORBIDDEN and not any(
            name == allowed or name.startswith(allowed + ".") for allowed in ALLOWED)
    ]
    assert not offenders, f"{path.name} imports {offenders}"
