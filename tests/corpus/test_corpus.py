"""Real SDK envelopes (tests/corpus/generate.py) through ingest and the pipeline: the
grouping users expect, asserted exactly."""

import json
from collections import defaultdict
from pathlib import Path

import pytest

from tests.ingest.helpers import digest_all, post
from tracker.models import Event

HERE = Path(__file__).resolve().parent
EXPECTED = json.loads((HERE / "expected.json").read_text())


@pytest.fixture
def digested(client, project):
    files = sorted((HERE / "envelopes").glob("*.envelope"))
    assert files, "run tests/corpus/generate.py"
    for path in files:
        response = post(client, project, path.read_bytes())
        assert response.status_code == 200, (path.name, response.content)
    digest_all()
    return project


def cases_by_issue():
    issues = defaultdict(set)
    titles = {}
    for event in Event.objects.select_related("issue"):
        case = dict(event.data["tags"])["corpus_case"]
        issues[event.issue_id].add(case)
        titles[event.issue_id] = event.issue.title
    return {frozenset(cases): titles[issue] for issue, cases in issues.items()}


def test_every_event_is_stored(digested):
    expected_events = sum(group["events"] for group in EXPECTED)
    assert Event.objects.count() == expected_events


def test_grouping_is_exactly_as_expected(digested):
    actual = cases_by_issue()
    expected = {frozenset(group["cases"]): group["title"] for group in EXPECTED}
    assert actual == expected
