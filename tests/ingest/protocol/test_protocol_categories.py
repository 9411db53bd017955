import json

import pytest

from ingest.protocol.categories import (
    DROPPED_CATEGORIES,
    INTERNAL,
    ITEM_CATEGORIES,
    KEPT_ITEM_TYPES,
    DataCategory,
    is_kept,
    item_category,
    item_quantities,
)
from ingest.protocol.envelope import Item
from ingest.protocol.outcomes import OutcomeKind

# docs/protocol.md §10.1
CATEGORY_TABLE = [
    (0, "default"),
    (1, "error"),
    (2, "transaction"),
    (3, "security"),
    (4, "attachment"),
    (5, "session"),
    (6, "profile"),
    (7, "replay"),
    (8, "transaction_processed"),
    (9, "transaction_indexed"),
    (10, "monitor"),
    (11, "profile_indexed"),
    (12, "span"),
    (13, "monitor_seat"),
    (14, "feedback"),
    (15, "metric_bucket"),
    (16, "span_indexed"),
    (17, "profile_duration"),
    (18, "profile_chunk"),
    (19, "metric_second"),
    (20, "replay_video"),
    (21, "uptime"),
    (22, "attachment_item"),
    (23, "log_item"),
    (24, "log_byte"),
]


@pytest.mark.parametrize(("category_id", "name"), CATEGORY_TABLE)
def test_category_ids_and_names(category_id, name):
    assert DataCategory(category_id).api_name == name
    assert DataCategory.from_name(name) == category_id


def test_category_table_is_complete():
    assert len(DataCategory) == len(CATEGORY_TABLE)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("user_report_v2", DataCategory.FEEDBACK),
        ("internal", None),
        ("ERROR", None),
        ("bogus", None),
    ],
)
def test_from_name_aliases_and_unknowns(name, expected):
    assert DataCategory.from_name(name) == expected


def item(item_type: str, payload: bytes = b"{}", **headers) -> Item:
    return Item({"type": item_type, **headers}, payload)


C = DataCategory


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        pytest.param(item("event"), [(C.ERROR, 1)], id="event"),
        pytest.param(
            item("event", b'{"message":"only a message"}'), [(C.ERROR, 1)], id="message-only"
        ),
        pytest.param(
            item("attachment", b"x" * 1234),
            [(C.ATTACHMENT, 1234), (C.ATTACHMENT_ITEM, 1)],
            id="attachment-bytes",
        ),
        pytest.param(
            item("attachment", b""),
            [(C.ATTACHMENT, 1), (C.ATTACHMENT_ITEM, 1)],
            id="empty-attachment-counts-1",
        ),
        pytest.param(item("session"), [(C.SESSION, 1)], id="session"),
        pytest.param(
            item(
                "sessions",
                json.dumps(
                    {
                        "aggregates": [
                            {"started": "x", "exited": 3, "errored": 1},
                            {"started": "y", "crashed": 2, "abnormal": 1, "unhandled": 1},
                            {"started": "z", "exited": "9", "errored": True},
                            "junk",
                        ]
                    }
                ).encode(),
            ),
            [(C.SESSION, 8)],
            id="sessions-sum",
        ),
        pytest.param(item("sessions", b"not json"), [(C.SESSION, 1)], id="sessions-unreadable"),
        pytest.param(item("sessions", b'{"aggregates":[]}'), [], id="sessions-empty"),
        pytest.param(item("user_report"), [(C.FEEDBACK, 1)], id="user_report"),
        pytest.param(item("user_feedback"), [(C.FEEDBACK, 1)], id="user_feedback"),
        pytest.param(item("feedback"), [(C.FEEDBACK, 1)], id="feedback"),
        pytest.param(item("client_report"), [], id="client_report"),
        pytest.param(
            item("transaction", b'{"spans":[{},{},{}]}'),
            [(C.TRANSACTION, 1), (C.SPAN, 4)],
            id="transaction-spans",
        ),
        pytest.param(
            item("transaction", b"[broken"), [(C.TRANSACTION, 1), (C.SPAN, 1)], id="transaction-bad"
        ),
        pytest.param(item("span", item_count=5), [(C.SPAN, 5)], id="span-container"),
        pytest.param(item("span"), [(C.SPAN, 1)], id="span"),
        pytest.param(
            item("log", b"x" * 300, item_count=7),
            [(C.LOG_ITEM, 7), (C.LOG_BYTE, 300)],
            id="log",
        ),
        pytest.param(
            item("log", b"xx", item_count=True),
            [(C.LOG_ITEM, 1), (C.LOG_BYTE, 2)],
            id="log-bad-count",
        ),
        pytest.param(item("check_in"), [(C.MONITOR, 1)], id="check_in"),
        pytest.param(item("profile"), [(C.PROFILE, 1)], id="profile"),
        pytest.param(item("profile_chunk"), [(C.PROFILE_CHUNK, 1)], id="profile_chunk"),
        pytest.param(item("replay_event"), [(C.REPLAY, 1)], id="replay_event"),
        pytest.param(item("replay_recording"), [(C.REPLAY, 1)], id="replay_recording"),
        pytest.param(item("replay_video"), [(C.REPLAY, 1)], id="replay_video"),
        pytest.param(item("raw_security"), [(C.SECURITY, 1)], id="raw_security"),
        pytest.param(item("nel"), [], id="nel"),
        pytest.param(item("something_new"), [], id="unknown"),
    ],
)
def test_item_quantities(subject, expected):
    assert item_quantities(subject) == expected


@pytest.mark.parametrize(
    ("item_type", "expected"),
    [
        ("event", "error"),
        ("attachment", "attachment"),
        ("client_report", INTERNAL),
        ("sessions", "session"),
        ("user_report", "feedback"),
        ("transaction", "transaction"),
        ("check_in", "monitor"),
        ("log", "log_item"),
        ("bogus", None),
    ],
)
def test_item_category(item_type, expected):
    assert item_category(item_type) == expected


@pytest.mark.parametrize(
    ("item_type", "kept"),
    [
        ("event", True),
        ("attachment", True),
        ("client_report", True),
        ("session", True),
        ("sessions", True),
        ("user_report", True),
        ("user_feedback", True),
        ("feedback", True),
        ("transaction", False),
        ("span", False),
        ("profile", False),
        ("profile_chunk", False),
        ("replay_event", False),
        ("replay_recording", False),
        ("check_in", False),
        ("log", False),
        ("security", False),
        ("raw_security", False),
        ("unreal_report", False),
        ("form_data", False),
        ("statsd", False),
        ("something_new", False),
    ],
)
def test_kept_and_dropped_item_types(item_type, kept):
    assert is_kept(item_type) is kept


def test_dropped_categories_never_block_what_we_keep():
    kept_categories = {
        counted.category.api_name
        for item_type in KEPT_ITEM_TYPES
        for counted in ITEM_CATEGORIES.get(item_type, ())
    }
    assert kept_categories >= {"error", "attachment", "session", "feedback"}
    assert not kept_categories & set(DROPPED_CATEGORIES)
    assert not {"default", "error", "security", INTERNAL} & set(DROPPED_CATEGORIES)
    assert all(DataCategory.from_name(name) is not None for name in DROPPED_CATEGORIES)


@pytest.mark.parametrize(
    ("outcome", "value", "name"),
    [
        (OutcomeKind.ACCEPTED, 0, "accepted"),
        (OutcomeKind.FILTERED, 1, "filtered"),
        (OutcomeKind.RATE_LIMITED, 2, "rate_limited"),
        (OutcomeKind.INVALID, 3, "invalid"),
        (OutcomeKind.ABUSE, 4, "abuse"),
        (OutcomeKind.CLIENT_DISCARD, 5, "client_discard"),
        (OutcomeKind.CARDINALITY_LIMITED, 6, "cardinality_limited"),
    ],
)
def test_outcome_ids(outcome, value, name):
    assert (int(outcome), outcome.api_name) == (value, name)
