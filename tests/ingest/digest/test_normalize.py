"""normalize_event: defaults, event_id, platform, level, logger, timestamps, clock drift, type,
foreign keys, the InvalidEvent case, tags, environment/release/dist, user IP, fingerprint."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from ingest.digest.normalize.event import InvalidEvent, normalize_event

RECEIVED = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
R = RECEIVED.timestamp()
EVENT_ID = "9ec79c33ec9942ab8353589fcb2e04dc"


def norm(data=None, **kwargs):
    kwargs.setdefault("received", RECEIVED)
    return normalize_event(dict(data or {}), **kwargs)


def errors(event):
    return [(e["type"], e["name"]) for e in event.get("errors", [])]


def is_hex32(value):
    return len(value) == 32 and all(c in "0123456789abcdef" for c in value)


# --- defaults -------------------------------------------------------------------------------


def test_empty_payload_gets_all_defaults():
    event = norm({})
    assert is_hex32(event["event_id"])
    assert event["platform"] == "other"
    assert event["level"] == "error"
    assert event["logger"] == ""
    assert event["timestamp"] == R
    assert event["received"] == R
    assert event["type"] == "default"
    assert "errors" not in event
    assert "_meta" not in event
    assert "culprit" not in event  # left to grouping


def test_input_dict_is_reused():
    data = {"level": "warn"}
    assert normalize_event(data, received=RECEIVED) is data
    assert data["level"] == "warning"


def test_non_object_payload_is_invalid():
    with pytest.raises(InvalidEvent) as info:
        normalize_event(["not", "an", "object"], received=RECEIVED)  # type: ignore[arg-type]
    assert info.value.reason == "invalid_payload"


# --- event_id -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload_id", "envelope_id", "expected", "error"),
    [
        (EVENT_ID, None, EVENT_ID, False),
        (EVENT_ID.upper(), None, EVENT_ID, False),
        ("9ec79c33-ec99-42ab-8353-589fcb2e04dc", None, EVENT_ID, False),
        ("{9EC79C33-EC99-42AB-8353-589FCB2E04DC}", None, EVENT_ID, False),
        ("ffffffffffffffffffffffffffffffff", EVENT_ID, EVENT_ID, False),
        (None, "9EC79C33-EC99-42AB-8353-589FCB2E04DC", EVENT_ID, False),
        (EVENT_ID, "not-a-uuid", EVENT_ID, False),
    ],
)
def test_event_id(payload_id, envelope_id, expected, error):
    event = norm({"event_id": payload_id}, envelope_event_id=envelope_id)
    assert event["event_id"] == expected
    assert (("invalid_data", "event_id") in errors(event)) is error


@pytest.mark.parametrize("payload_id", ["nope", "123", 42, "9ec79c33ec9942ab8353589fcb2e04dz"])
def test_invalid_event_id_is_replaced(payload_id):
    event = norm({"event_id": payload_id})
    assert is_hex32(event["event_id"])
    assert event["event_id"] != payload_id
    assert ("invalid_data", "event_id") in errors(event)


def test_missing_event_id_is_generated_without_error():
    first, second = norm({}), norm({})
    assert first["event_id"] != second["event_id"]
    assert errors(first) == []


# --- platform -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected", "error"),
    [
        ("python", "python", False),
        ("JavaScript", "javascript", False),
        (" cocoa ", "cocoa", False),
        ("dart", "dart", False),
        (None, "other", False),
        ("cobol", "other", True),
        (7, "other", True),
    ],
)
def test_platform(value, expected, error):
    event = norm({"platform": value})
    assert event["platform"] == expected
    assert (("invalid_data", "platform") in errors(event)) is error


# --- level ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "error"),
        ("fatal", "fatal"),
        ("ERROR", "error"),
        ("warning", "warning"),
        ("info", "info"),
        ("debug", "debug"),
        ("log", "info"),
        ("warn", "warning"),
        ("critical", "fatal"),
        (" Warn ", "warning"),
        (0, "debug"),
        (10, "debug"),
        (20, "info"),
        (25, "info"),
        (30, "warning"),
        (40, "error"),
        (50, "fatal"),
        (60, "fatal"),
        ("40", "error"),
    ],
)
def test_level(value, expected):
    event = norm({"level": value})
    assert event["level"] == expected
    assert errors(event) == []


@pytest.mark.parametrize("value", ["loud", -1, 3.5, True, ["error"]])
def test_invalid_level_falls_back_with_error(value):
    event = norm({"level": value})
    assert event["level"] == "error"
    assert errors(event) == [("invalid_data", "level")]


def test_transaction_level_defaults_to_info():
    assert norm({"type": "transaction"})["level"] == "info"


# --- logger ---------------------------------------------------------------------------------

LONG_DOTTED = "com.example.very.long.package.name.that.goes.on.and.on.forever.and.ever.MyLogger"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        ("django.request", "django.request"),
        ("  padded  ", "padded"),
        ("x" * 64, "x" * 64),
        (LONG_DOTTED, "*.package.name.that.goes.on.and.on.forever.and.ever.MyLogger"),
        ("y" * 70, "*" + "y" * 63),
        ("a." + "z" * 70, "*" + "z" * 63),
    ],
)
def test_logger(value, expected):
    event = norm({"logger": value})
    assert event["logger"] == expected
    assert len(event["logger"]) <= 64


def test_shortened_logger_keeps_original_length_in_meta():
    event = norm({"logger": LONG_DOTTED})
    assert event["_meta"]["logger"][""] == {"len": len(LONG_DOTTED)}


def test_non_string_logger_is_invalid():
    event = norm({"logger": {"name": "x"}})
    assert event["logger"] == ""
    assert errors(event) == [("invalid_data", "logger")]


# --- timestamp ------------------------------------------------------------------------------

TEN_S_AGO = R - 10


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-05-01T11:59:50Z", TEN_S_AGO),
        ("2024-05-01T11:59:50.250000Z", TEN_S_AGO + 0.25),
        ("2024-05-01T11:59:50.2500001Z", TEN_S_AGO + 0.25),
        ("2024-05-01T13:59:50+02:00", TEN_S_AGO),
        ("2024-05-01T11:59:50", TEN_S_AGO),
        ("2024-05-01 11:59:50", TEN_S_AGO),
        (TEN_S_AGO, TEN_S_AGO),
        (int(TEN_S_AGO), TEN_S_AGO),
        (str(TEN_S_AGO), TEN_S_AGO),
    ],
)
def test_timestamp_forms(value, expected):
    event = norm({"timestamp": value})
    assert event["timestamp"] == pytest.approx(expected)
    assert isinstance(event["timestamp"], float)
    assert errors(event) == []


@pytest.mark.parametrize(
    "value", ["yesterday", "", R * 1000, float("nan"), float("inf"), -5, True, [R], {"t": R}]
)
def test_invalid_timestamp_becomes_received(value):
    event = norm({"timestamp": value})
    assert event["timestamp"] == R
    assert errors(event) == [("invalid_data", "timestamp")]


@pytest.mark.parametrize(
    ("offset", "expected_offset", "error"),
    [
        (0, 0, None),
        (59, 59, None),
        (60, 60, None),
        (61, 0, "future_timestamp"),
        (86400, 0, "future_timestamp"),
        (-29 * 86400, -29 * 86400, None),
        (-30 * 86400, -30 * 86400, None),
        (-30 * 86400 - 1, 0, "past_timestamp"),
        (-365 * 86400, 0, "past_timestamp"),
    ],
)
def test_timestamp_bounds(offset, expected_offset, error):
    event = norm({"timestamp": R + offset})
    assert event["timestamp"] == R + expected_offset
    assert errors(event) == ([(error, "timestamp")] if error else [])


def test_out_of_bounds_error_keeps_the_sent_value():
    event = norm({"timestamp": "2020-01-01T00:00:00Z"})
    assert event["errors"] == [
        {"type": "past_timestamp", "name": "timestamp", "value": "2020-01-01T00:00:00Z"}
    ]


def test_received_is_always_ours():
    event = norm({"received": 1.0})
    assert event["received"] == R


@pytest.mark.parametrize(
    "received",
    [
        datetime(2024, 5, 1, 12, 0, 0),  # naive on purpose: taken as UTC
        datetime(2024, 5, 1, 14, 0, 0, tzinfo=timezone(timedelta(hours=2))),
    ],
)
def test_received_naive_is_utc_and_offsets_are_honoured(received):
    assert norm({}, received=received)["received"] == R


# --- clock drift ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sdk_clock_offset", "corrected"),
    [
        (timedelta(0), False),
        (timedelta(minutes=-54), False),
        (timedelta(minutes=54, seconds=59), False),
        (timedelta(minutes=-55), True),
        (timedelta(minutes=55), True),
        (timedelta(hours=-2), True),
        (timedelta(days=1), True),
    ],
)
def test_clock_drift_correction(sdk_clock_offset, corrected):
    sent_at = RECEIVED + sdk_clock_offset
    # The SDK stamped the event 5 s before sending, on its own clock.
    sdk_timestamp = (sent_at - timedelta(seconds=5)).timestamp()
    event = norm(
        {
            "timestamp": sdk_timestamp,
            "start_timestamp": sdk_timestamp - 1,
            "breadcrumbs": [{"timestamp": sdk_timestamp - 2, "message": "m"}],
            "spans": [{"timestamp": sdk_timestamp, "start_timestamp": sdk_timestamp - 1}],
        },
        sent_at=sent_at,
    )
    shift = -sdk_clock_offset.total_seconds() if corrected else 0
    expected = sdk_timestamp + shift
    if expected > R + 60:  # an uncorrected clock that runs ahead: future_timestamp
        expected = R
    crumb = event["breadcrumbs"]["values"][0]
    assert event["timestamp"] == pytest.approx(expected)
    assert event["start_timestamp"] == pytest.approx(sdk_timestamp - 1 + shift)
    assert crumb["timestamp"] == pytest.approx(sdk_timestamp - 2 + shift)
    assert event["spans"][0]["start_timestamp"] == pytest.approx(sdk_timestamp - 1 + shift)
    assert (("clock_drift", "timestamp") in errors(event)) is corrected


def test_clock_drift_error_details():
    sent_at = RECEIVED - timedelta(hours=3)
    event = norm({"timestamp": sent_at.timestamp()}, sent_at=sent_at)
    (drift_error,) = event["errors"]
    assert drift_error["type"] == "clock_drift"
    assert drift_error["value"] == 3 * 3600
    assert drift_error["sdk_time"] == sent_at.isoformat()
    assert drift_error["server_time"] == RECEIVED.isoformat()
    assert event["timestamp"] == R


def test_drift_correction_happens_before_the_bounds_check():
    # A device clock 40 days behind: corrected, so not a past_timestamp.
    sent_at = RECEIVED - timedelta(days=40)
    event = norm({"timestamp": sent_at.timestamp() - 1}, sent_at=sent_at)
    assert event["timestamp"] == R - 1
    assert errors(event) == [("clock_drift", "timestamp")]


def test_breadcrumb_iso_timestamps_become_floats():
    event = norm({"breadcrumbs": {"values": [{"timestamp": "2024-05-01T11:59:59Z"}]}})
    assert event["breadcrumbs"]["values"][0]["timestamp"] == R - 1


def test_invalid_breadcrumb_timestamp_is_removed():
    event = norm({"breadcrumbs": [{"timestamp": "soon", "message": "m"}]})
    assert event["breadcrumbs"]["values"][0] == {"message": "m"}
    assert errors(event) == [("invalid_data", "breadcrumbs.values.0.timestamp")]


# --- type -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({}, "default"),
        ({"message": "hello"}, "default"),
        ({"exception": {"values": [{"type": "E"}]}}, "error"),
        ({"exception": {"values": [{"type": "E"}]}, "type": "default"}, "error"),
        ({"message": "m", "stacktrace": {"frames": [{"function": "f"}]}}, "default"),
        ({"message": "m", "type": "error"}, "default"),
        ({"type": "transaction"}, "transaction"),
        ({"csp": {"blocked_uri": "x"}}, "csp"),
        ({"hpkp": {"hostname": "x"}}, "hpkp"),
        ({"expectct": {"hostname": "x"}}, "expectct"),
        ({"expectstaple": {"hostname": "x"}}, "expectstaple"),
        ({"nel": {"type": "dns.name_not_resolved"}}, "nel"),
    ],
)
def test_type_inference(data, expected):
    assert norm(data)["type"] == expected


# --- foreign keys ---------------------------------------------------------------------------


def test_unknown_attributes_are_dropped_and_recorded():
    event = norm({"frobnicate": 1, "level": "info"})
    assert "frobnicate" not in event
    assert errors(event) == [("invalid_attribute", "frobnicate")]


@pytest.mark.parametrize(
    "key", ["errors", "_meta", "hashes", "metadata", "title", "project", "grouping_config"]
)
def test_server_owned_keys_are_dropped_silently(key):
    event = norm({key: {"forged": True}})
    assert event.get(key) in (None, [], {})
    assert errors(event) == []


def test_legacy_interface_names_are_accepted():
    event = norm(
        {
            "sentry.interfaces.Exception": {"values": [{"type": "E", "value": "v"}]},
            "sentry.interfaces.Message": {"message": "hi"},
            "sentry.interfaces.User": {"id": "1"},
        }
    )
    assert event["exception"]["values"][0]["type"] == "E"
    assert event["logentry"] == {"formatted": "hi"}
    assert event["user"] == {"id": "1"}
    assert errors(event) == []


# --- InvalidEvent ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "exception",
    [
        {"values": [{"module": "m"}]},
        {"values": [{"type": "", "value": ""}, {"stacktrace": {"frames": [{"function": "f"}]}}]},
        [{"type": None, "value": None}],
        {"values": []},
        "boom",
    ],
)
def test_exception_without_type_or_value_and_no_message_is_rejected(exception):
    with pytest.raises(InvalidEvent) as info:
        norm({"exception": exception})
    assert info.value.reason == "no_event_payload"
    assert info.value.detail


@pytest.mark.parametrize(
    "extra", [{"message": "but a message"}, {"logentry": {"formatted": "or a logentry"}}]
)
def test_invalid_exception_with_a_message_is_kept_as_a_message(extra):
    event = norm({"exception": {"values": [{"module": "m"}]}, **extra})
    assert "exception" not in event
    assert event["type"] == "default"
    assert ("invalid_data", "exception.values.0") in errors(event)


def test_null_exception_is_not_an_exception():
    assert norm({"exception": None})["type"] == "default"


# --- tags -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"a": "1", "b": "2"}, [["a", "1"], ["b", "2"]]),
        ([["a", "1"], ["b", "2"]], [["a", "1"], ["b", "2"]]),
        ([("a", "1")], [["a", "1"]]),
        ({"a": "", "b": None, "c": "  ", "d": "x"}, [["d", "x"]]),
        ([["a", "first"], ["a", "second"]], [["a", "first"]]),
        ([["a", ""], ["a", "kept"]], [["a", "kept"]]),
        ({"release": "1", "dist": "2", "user": "3", "filename": "4", "function": "5"}, None),
        ({"n": 5, "f": 1.5, "t": True, "no": False}, [["n", "5"], ["f", "1.5"], ["t", "true"],
                                                      ["no", "false"]]),
        ({" padded ": " value "}, [["padded", "value"]]),
        ({}, None),
        ([], None),
    ],
)
def test_tags_forms(tags, expected):
    event = norm({"tags": tags})
    assert event.get("tags") == expected
    assert errors(event) == []


@pytest.mark.parametrize(
    ("tags", "expected", "error_names"),
    [
        ([["a", "1"], ["only-key"], "str", ["k", "v", "x"]], [["a", "1"]],
         ["tags.1", "tags.2", "tags.3"]),
        ({"a": {"nested": 1}, "b": ["x"], "c": "ok"}, [["c", "ok"]], ["tags.0", "tags.1"]),
        ([["", "v"], [None, "v"], ["k", "v"]], [["k", "v"]], ["tags.0", "tags.1"]),
        ("a=b", None, ["tags"]),
    ],
)
def test_malformed_tags_are_dropped_and_recorded(tags, expected, error_names):
    event = norm({"tags": tags})
    assert event.get("tags") == expected
    assert errors(event) == [("invalid_data", name) for name in error_names]


@pytest.mark.parametrize(
    ("data", "environment", "tags"),
    [
        ({"tags": {"environment": "prod"}}, "prod", None),
        ({"tags": {"environment": "prod"}, "environment": "staging"}, "staging", None),
        ({"tags": [["environment", "prod"], ["environment", "dev"]]}, "prod", None),
        ({"tags": {"environment": "bad env"}}, None, None),
        ({"tags": {"environment": "prod", "x": "y"}}, "prod", [["x", "y"]]),
    ],
)
def test_environment_tag_moves_to_the_field(data, environment, tags):
    event = norm(data)
    assert event.get("environment") == environment
    assert event.get("tags") == tags


@pytest.mark.parametrize(
    ("data", "tags"),
    [
        ({"server_name": "web-1"}, [["server_name", "web-1"]]),
        ({"site": "eu"}, [["site", "eu"]]),
        ({"server_name": "web-1", "tags": {"a": "b"}}, [["a", "b"], ["server_name", "web-1"]]),
        ({"server_name": "web-1", "tags": {"server_name": "mine"}}, [["server_name", "mine"]]),
        ({"server_name": "  "}, None),
    ],
)
def test_server_name_and_site_are_copied_into_tags(data, tags):
    event = norm(data)
    assert event.get("tags") == tags


def test_server_name_stays_on_the_event():
    assert norm({"server_name": "web-1"})["server_name"] == "web-1"


# --- environment / release / dist -----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected", "error"),
    [
        ("production", "production", False),
        (" production ", "production", False),
        ("e" * 64, "e" * 64, False),
        ("e" * 65, None, True),
        ("my env", None, True),
        ("a/b", None, True),
        ("a\nb", None, True),
        ("a\tb", None, True),
        ("None", None, True),
        ("", None, False),
        (42, None, True),
        (None, None, False),
    ],
)
def test_environment_validation(value, expected, error):
    event = norm({"environment": value})
    assert event.get("environment") == expected
    assert (("invalid_data", "environment") in errors(event)) is error


@pytest.mark.parametrize(
    ("value", "expected", "error"),
    [
        ("app@1.2.3", "app@1.2.3", False),
        ("1.0 beta", "1.0 beta", False),
        (" 1.0 ", "1.0", False),
        ("r" * 200, "r" * 200, False),
        (123, "123", False),
        (1.5, "1.5", False),
        ("r" * 201, None, True),
        ("a/b", None, True),
        ("a\\b", None, True),
        ("a\nb", None, True),
        ("a\tb", None, True),
        (".", None, True),
        ("..", None, True),
        ("latest", None, True),
        (" ", None, False),
        (True, None, True),
        ({"v": 1}, None, True),
    ],
)
def test_release_validation(value, expected, error):
    event = norm({"release": value})
    assert event.get("release") == expected
    assert (("invalid_data", "release") in errors(event)) is error


@pytest.mark.parametrize(
    ("value", "expected", "error"),
    [
        ("42", "42", False),
        (42, "42", False),
        ("d" * 64, "d" * 64, False),
        ("d" * 65, None, True),
        ([], None, True),
    ],
)
def test_dist_validation(value, expected, error):
    event = norm({"release": "1.0", "dist": value})
    assert event.get("dist") == expected
    assert (("invalid_data", "dist") in errors(event)) is error


# --- culprit / transaction ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("app.views in index", "app.views in index"), ("  x  ", "x"), ("", None), (None, None)],
)
def test_client_culprit_is_kept(value, expected):
    assert norm({"culprit": value}).get("culprit") == expected


def test_culprit_is_not_computed_here():
    event = norm({"exception": [{"type": "E", "stacktrace": {"frames": [{"function": "f"}]}}]})
    assert "culprit" not in event


@pytest.mark.parametrize("key", ["culprit", "transaction"])
def test_non_string_culprit_and_transaction_are_invalid(key):
    event = norm({key: ["x"]})
    assert key not in event
    assert errors(event) == [("invalid_data", key)]


# --- user IP --------------------------------------------------------------------------------

IP = "203.0.113.7"


@pytest.mark.parametrize(
    ("data", "client_ip", "expected_user"),
    [
        ({"user": {"ip_address": "{{auto}}"}}, IP, {"ip_address": IP}),
        ({"user": {"id": "1", "ip_address": "{{auto}}"}}, None, {"id": "1"}),
        ({"user": {"ip_address": "{{auto}}"}}, None, None),
        ({"platform": "javascript"}, IP, {"ip_address": IP}),
        ({"platform": "cocoa", "user": {"id": "1"}}, IP, {"id": "1", "ip_address": IP}),
        ({"platform": "objc"}, IP, {"ip_address": IP}),
        ({"platform": "javascript", "user": {"ip_address": "10.0.0.1"}}, IP,
         {"ip_address": "10.0.0.1"}),
        ({"platform": "python"}, IP, None),
        ({"platform": "python", "user": {"id": "1"}}, IP, {"id": "1"}),
        ({"platform": "javascript"}, None, None),
        ({"platform": "javascript", "sdk": {"settings": {"infer_ip": "never"}}}, IP, None),
        ({"platform": "python", "sdk": {"settings": {"infer_ip": "auto"}}}, IP,
         {"ip_address": IP}),
        ({"user": {"ip_address": "2001:db8::1"}}, IP, {"ip_address": "2001:db8::1"}),
    ],
)
def test_user_ip_address(data, client_ip, expected_user):
    event = norm(data, client_ip=client_ip)
    assert event.get("user") == expected_user
    assert errors(event) == []


@pytest.mark.parametrize("ip", ["999.1.1.1", "localhost", 127001, "1.2.3"])
def test_invalid_user_ip_is_removed(ip):
    event = norm({"user": {"id": "1", "ip_address": ip}}, client_ip=IP)
    assert event["user"] == {"id": "1"}
    assert errors(event) == [("invalid_data", "user.ip_address")]


def test_request_remote_addr_auto():
    event = norm({"request": {"env": {"REMOTE_ADDR": "{{auto}}"}}}, client_ip=IP)
    assert event["request"]["env"]["REMOTE_ADDR"] == IP


def test_user_must_be_an_object():
    event = norm({"user": "alice"})
    assert "user" not in event
    assert errors(event) == [("invalid_data", "user")]


def test_numeric_user_id_becomes_a_string():
    assert norm({"user": {"id": 42}})["user"] == {"id": "42"}


# --- fingerprint ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected", "error"),
    [
        (["{{ default }}", "x"], ["{{ default }}", "x"], False),
        (["a", 1, 2.5, True], ["a", "1", "2.5", "true"], False),
        (["a", None], ["a"], False),
        (["a", {"b": 1}], ["a"], True),
        ([], None, False),
        ("abc", None, True),
    ],
)
def test_fingerprint(value, expected, error):
    event = norm({"fingerprint": value})
    assert event.get("fingerprint") == expected
    assert (("invalid_data", "fingerprint") in errors(event)) is error
