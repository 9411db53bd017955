import json
from datetime import UTC, datetime, timedelta

import pytest

from ingest.protocol.categories import DataCategory
from ingest.protocol.client_reports import (
    MAX_CLIENT_REPORT_SIZE,
    ClientOutcome,
    parse_client_report,
)
from ingest.protocol.outcomes import OutcomeKind

RECEIVED = datetime(2025, 3, 4, 10, 15, 0, tzinfo=UTC)
REPORTED = datetime(2025, 3, 4, 10, 11, 12, tzinfo=UTC)
RETENTION = timedelta(days=30)

# docs/protocol.md §10.5
DOC_EXAMPLE = (
    b'{"timestamp":"2025-03-04T10:11:12Z","discarded_events":[{"reason":"sample_rate",'
    b'"category":"error","quantity":3},{"reason":"before_send","category":"attachment",'
    b'"quantity":1024}]}'
)


def parse(payload, received=RECEIVED, **kwargs):
    if not isinstance(payload, bytes):
        payload = json.dumps(payload).encode()
    return parse_client_report(payload, received, max_age=RETENTION, **kwargs)


def entry(reason="sample_rate", category="error", quantity=1):
    return {"reason": reason, "category": category, "quantity": quantity}


def test_doc_example():
    assert parse(DOC_EXAMPLE) == [
        ClientOutcome(OutcomeKind.CLIENT_DISCARD, "sample_rate", DataCategory.ERROR, 3, REPORTED),
        ClientOutcome(
            OutcomeKind.CLIENT_DISCARD, "before_send", DataCategory.ATTACHMENT, 1024, REPORTED
        ),
    ]


@pytest.mark.parametrize(
    ("section", "outcome"),
    [
        ("discarded_events", OutcomeKind.CLIENT_DISCARD),
        ("rate_limited_events", OutcomeKind.RATE_LIMITED),
        ("filtered_events", OutcomeKind.FILTERED),
        ("filtered_sampling_events", OutcomeKind.FILTERED),
    ],
)
def test_sections(section, outcome):
    outcomes = parse({section: [entry("project_quota", "session", 4)]})
    assert outcomes == [ClientOutcome(outcome, "project_quota", DataCategory.SESSION, 4, RECEIVED)]


@pytest.mark.parametrize(
    ("timestamp", "expected"),
    [
        ("2025-03-04T10:11:12Z", REPORTED),
        ("2025-03-04T10:11:12.500+00:00", REPORTED + timedelta(milliseconds=500)),
        ("2025-03-04T11:11:12+01:00", REPORTED),
        ("2025-03-04T10:11:12", REPORTED),
        (REPORTED.timestamp(), REPORTED),
        (int(REPORTED.timestamp()), REPORTED),
        (None, RECEIVED),
    ],
)
def test_timestamps(timestamp, expected):
    report = {"discarded_events": [entry()]}
    if timestamp is not None:
        report["timestamp"] = timestamp
    (outcome,) = parse(report)
    assert outcome.timestamp == expected


@pytest.mark.parametrize(
    "timestamp",
    [
        "yesterday",
        "",
        True,
        [2025],
        1e20,
        (RECEIVED - RETENTION - timedelta(seconds=1)).isoformat(),
        (RECEIVED + timedelta(minutes=5)).isoformat(),
    ],
)
def test_unreadable_old_or_future_reports_are_dropped(timestamp):
    assert parse({"timestamp": timestamp, "discarded_events": [entry()]}) == []


def test_small_clock_skew_is_forgiven():
    skewed = (RECEIVED + timedelta(seconds=30)).isoformat()
    assert len(parse({"timestamp": skewed, "discarded_events": [entry()]})) == 1
    assert (
        parse({"timestamp": skewed, "discarded_events": [entry()]}, max_future=timedelta(0)) == []
    )


def test_naive_received_is_utc():
    naive = RECEIVED.replace(tzinfo=None)
    (outcome,) = parse({"discarded_events": [entry()]}, received=naive)
    assert outcome.timestamp == RECEIVED


@pytest.mark.parametrize(
    "bad_entry",
    [
        entry(category="internal"),
        entry(category="bogus"),
        entry(category=None),
        entry(quantity=0),
        entry(quantity=-1),
        entry(quantity="3"),
        entry(quantity=1.5),
        entry(quantity=True),
        entry(reason=""),
        entry(reason=7),
        entry(reason="x" * 1000),
        {"category": "error", "quantity": 1},
        "junk",
        None,
    ],
)
def test_bad_entries_are_dropped_alone(bad_entry):
    outcomes = parse({"discarded_events": [bad_entry, entry("queue_overflow")]})
    assert [outcome.reason for outcome in outcomes] == ["queue_overflow"]


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"not json",
        b"[1, 2]",
        b'"report"',
        b"[" * 5000,
        json.dumps({"discarded_events": "nope"}).encode(),
        json.dumps({}).encode(),
    ],
)
def test_garbage_gives_no_outcomes(payload):
    assert parse(payload) == []


def test_oversized_report_is_dropped():
    report = {"discarded_events": [entry()] * 200}
    payload = json.dumps(report).encode()
    assert len(payload) > MAX_CLIENT_REPORT_SIZE
    assert parse(payload) == []
