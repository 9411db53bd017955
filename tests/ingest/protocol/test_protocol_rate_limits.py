import pytest

from ingest.protocol.categories import DROPPED_CATEGORIES
from ingest.protocol.rate_limits import (
    RateLimit,
    feature_disabled_limit,
    format_rate_limits,
    retry_after_header,
)

PROJECT_QUOTA = RateLimit(60, ("default", "error", "security"), "project", "project_quota")
BILLING = RateLimit(2700, (), "organization", "usage_exceeded")


@pytest.mark.parametrize(
    ("limits", "expected"),
    [
        pytest.param(
            [PROJECT_QUOTA, BILLING],
            "60:default;error;security:project:project_quota, 2700::organization:usage_exceeded",
            id="doc-example",
        ),
        pytest.param([PROJECT_QUOTA], "60:default;error;security:project:project_quota", id="one"),
        pytest.param([], "", id="none"),
        pytest.param(
            [RateLimit(0.2, ("error",), "key", "key_quota")], "1:error:key:key_quota", id="round-up"
        ),
        pytest.param([RateLimit(59.01, ("error",), "key")], "60:error:key", id="no-reason"),
        pytest.param([RateLimit(60.0, (), "project", "")], "60::project", id="all-categories"),
        pytest.param(
            [RateLimit(-5, ("error",), "project", "generic")],
            "0:error:project:generic",
            id="expired",
        ),
        pytest.param(
            [RateLimit(10, ("metric_bucket",), "organization", "", ("custom", "spans"))],
            "10:metric_bucket:organization::custom;spans",
            id="namespaces",
        ),
        pytest.param(
            [RateLimit(10, ("metric_bucket",), "project", "cardinality", ("custom",))],
            "10:metric_bucket:project:cardinality:custom",
            id="namespaces-with-reason",
        ),
    ],
)
def test_format_rate_limits(limits, expected):
    assert format_rate_limits(limits) == expected


def sdk_parse(header: str) -> dict[str, float]:
    """How sentry-python and JS read the header: longest deadline per category."""
    deadlines: dict[str, float] = {}
    for limit in header.split(","):
        retry_after, categories, *_ = limit.strip().split(":")
        for category in categories.split(";"):
            deadlines[category] = max(deadlines.get(category, 0), float(int(retry_after)))
    return deadlines


def test_sdks_can_read_the_header():
    header = format_rate_limits([PROJECT_QUOTA, BILLING, RateLimit(90.5, ("error",), "key")])
    assert sdk_parse(header) == {"default": 60, "error": 91, "security": 60, "": 2700}


@pytest.mark.parametrize(
    ("limits", "expected"),
    [
        ([PROJECT_QUOTA, BILLING], "2700"),
        ([RateLimit(0.5, (), "key")], "1"),
        ([RateLimit(30, (), "key"), RateLimit(30.1, ("error",), "project")], "31"),
    ],
)
def test_retry_after_is_the_longest(limits, expected):
    assert retry_after_header(limits) == expected


def test_retry_after_needs_a_limit():
    with pytest.raises(ValueError, match="at least one"):
        retry_after_header([])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"scope": "global"},
        {"categories": ("error, 60::project",)},
        {"categories": ("Error",)},
        {"categories": ("",)},
        {"reason": "a:b"},
        {"reason": "quota exceeded"},
        {"namespaces": ("a;b",)},
    ],
)
def test_values_that_would_break_the_header_are_refused(kwargs):
    arguments = {"retry_after": 1, "categories": ("error",), "scope": "project", **kwargs}
    with pytest.raises(ValueError):
        RateLimit(**arguments)


def test_feature_disabled_limit():
    limit = feature_disabled_limit(("transaction", "span"))
    assert limit.header_value() == "3600:transaction;span:project:feature_disabled"
    assert feature_disabled_limit(DROPPED_CATEGORIES, retry_after=60).seconds == 60
