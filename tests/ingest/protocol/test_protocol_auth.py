import base64

import pytest

from ingest.endpoint import Headers
from ingest.protocol.auth import (
    AuthInfo,
    Dsn,
    InvalidDsn,
    auth_from_dsn,
    auth_from_request,
    missing_auth_error,
    parse_dsn,
    resolve_auth,
)
from ingest.protocol.errors import IngestError

KEY = "4f1e0c2a9b7d4e55a1c3d2e1f0a9b8c7"
OTHER_KEY = "0123456789abcdef0123456789abcdef"
PY_HEADER = f"Sentry sentry_version=7, sentry_client=sentry.python/2.19.0, sentry_key={KEY}"


def request_auth(headers, query, **kwargs):
    # Ingest hands auth its case-insensitive Headers, never a plain dict.
    return auth_from_request(Headers(headers.items()), query, **kwargs)


def basic(user_and_password: str) -> str:
    return "Basic " + base64.b64encode(user_and_password.encode()).decode()


@pytest.mark.parametrize(
    ("headers", "query", "expected"),
    [
        pytest.param(
            {"X-Sentry-Auth": PY_HEADER},
            {},
            AuthInfo(KEY, 7, "sentry.python/2.19.0"),
            id="x-sentry-auth",
        ),
        pytest.param(
            {"x-sentry-auth": PY_HEADER},
            {},
            AuthInfo(KEY, 7, "sentry.python/2.19.0"),
            id="lowercase-name",
        ),
        pytest.param(
            {"X-SENTRY-AUTH": f"sentry sentry_key={KEY}"},
            {},
            AuthInfo(KEY, 7, None),
            id="lowercase-prefix",
        ),
        pytest.param(
            {"X-Sentry-Auth": f"SENTRY   sentry_key={KEY},sentry_version=7"},
            {},
            AuthInfo(KEY, 7, None),
            id="uppercase-prefix-no-spaces",
        ),
        pytest.param(
            {"X-Sentry-Auth": f"Sentry sentry_key = {KEY} , sentry_version= 7.0 ,"},
            {},
            AuthInfo(KEY, 7, None),
            id="whitespace-and-7.0",
        ),
        pytest.param(
            {
                "X-Sentry-Auth": f"Sentry sentry_key={KEY}, sentry_secret=s3cr3t, "
                "sentry_timestamp=1700000000, unknown_key=1, bare"
            },
            {},
            AuthInfo(KEY, 7, None),
            id="ignored-keys",
        ),
        pytest.param(
            {"X-Sentry-Auth": f"Sentry sentry_key={KEY}, sentry_version=5"},
            {},
            AuthInfo(KEY, 5, None),
            id="older-version",
        ),
        pytest.param(
            {"X-Sentry-Auth": f"Sentry sentry_key={KEY.upper()}:no-cache"},
            {},
            AuthInfo(KEY, 7, None),
            id="uppercase-key-with-flags",
        ),
        pytest.param(
            {"Authorization": f"Sentry sentry_key={KEY}, sentry_version=7"},
            {},
            AuthInfo(KEY, 7, None),
            id="authorization-sentry",
        ),
        pytest.param({"Authorization": basic(f"{KEY}:")}, {}, AuthInfo(KEY, 7, None), id="basic"),
        pytest.param(
            {"authorization": basic(f"{KEY}:secret")}, {}, AuthInfo(KEY, 7, None), id="basic-secret"
        ),
        pytest.param(
            {},
            {
                "sentry_version": "7",
                "sentry_key": KEY,
                "sentry_client": "sentry.javascript.browser/8.40.0",
            },
            AuthInfo(KEY, 7, "sentry.javascript.browser/8.40.0"),
            id="query",
        ),
        pytest.param(
            {"Authorization": "Bearer abc.def"},
            {"sentry_key": KEY},
            AuthInfo(KEY, 7, None),
            id="foreign-authorization-scheme-ignored",
        ),
        pytest.param(
            {"X-Sentry-Auth": "  "},
            {"sentry_key": KEY},
            AuthInfo(KEY, 7, None),
            id="blank-x-sentry-auth-ignored",
        ),
        pytest.param(
            {"X-Sentry-Auth": f"Sentry sentry_key={KEY}"},
            {"sentry_data": "{}", "other": "1"},
            AuthInfo(KEY, 7, None),
            id="sentry-data-is-not-auth",
        ),
    ],
)
def test_auth_sources(headers, query, expected):
    assert request_auth(headers, query) == expected


def test_path_key_source():
    assert request_auth({}, {}, path_key=KEY) == AuthInfo(KEY, 7, None)


@pytest.mark.parametrize(
    ("headers", "user_agent", "expected_client"),
    [
        ({"User-Agent": "sentry.go/0.29.0"}, None, "sentry.go/0.29.0"),
        ({"user-agent": "sentry-ruby/5.1"}, None, "sentry-ruby/5.1"),
        ({"User-Agent": "ignored"}, "explicit/1.0", "explicit/1.0"),
        ({}, None, None),
    ],
)
def test_client_falls_back_to_user_agent(headers, user_agent, expected_client):
    headers = {**headers, "X-Sentry-Auth": f"Sentry sentry_key={KEY}"}
    auth = request_auth(headers, {}, user_agent=user_agent)
    assert auth is not None
    assert auth.client == expected_client


def test_sentry_client_wins_over_user_agent():
    auth = request_auth({"X-Sentry-Auth": PY_HEADER, "User-Agent": "urllib3"}, {})
    assert auth is not None
    assert auth.client == "sentry.python/2.19.0"


@pytest.mark.parametrize(
    ("headers", "query"),
    [
        ({}, {}),
        ({"Content-Type": "application/json"}, {"foo": "bar"}),
        ({"Authorization": "Bearer token"}, {}),
        ({}, {"sentry_data": "{}"}),
    ],
)
def test_no_source_returns_none(headers, query):
    assert request_auth(headers, query) is None


@pytest.mark.parametrize(
    ("headers", "query", "path_key"),
    [
        ({"X-Sentry-Auth": PY_HEADER}, {"sentry_key": KEY}, None),
        ({"X-Sentry-Auth": PY_HEADER, "Authorization": f"Sentry sentry_key={KEY}"}, {}, None),
        ({"X-Sentry-Auth": PY_HEADER, "Authorization": basic(f"{KEY}:")}, {}, None),
        ({"Authorization": f"Sentry sentry_key={KEY}"}, {"sentry_version": "7"}, None),
        ({}, {"sentry_key": KEY}, KEY),
        ({"X-Sentry-Auth": PY_HEADER}, {}, KEY),
    ],
)
def test_multiple_sources_are_rejected(headers, query, path_key):
    with pytest.raises(IngestError) as caught:
        request_auth(headers, query, path_key=path_key)
    assert caught.value.status == 401
    assert caught.value.detail == "multiple authorization payloads detected"


@pytest.mark.parametrize(
    ("headers", "query"),
    [
        ({"X-Sentry-Auth": "Sentry"}, {}),
        ({"X-Sentry-Auth": "Sentry sentry_version=7"}, {}),
        ({"X-Sentry-Auth": "Sentry sentry_key="}, {}),
        ({"X-Sentry-Auth": f"sentry_key={KEY}"}, {}),
        ({"X-Sentry-Auth": f"Sentrysentry_key={KEY}"}, {}),
        ({"X-Sentry-Auth": f"Sentry sentry_key={KEY}, sentry_version=abc"}, {}),
        ({"X-Sentry-Auth": f"Sentry sentry_key={KEY}, sentry_version="}, {}),
        ({"X-Sentry-Auth": f"Sentry sentry_key={KEY}, sentry_version=-7"}, {}),
        ({"Authorization": "Basic %%%not-base64%%%"}, {}),
        ({"Authorization": "Basic " + base64.b64encode(b"\xff\xfe:").decode()}, {}),
        # Found by fuzzing: a header with bytes past ASCII (latin-1 in WSGI) was a ValueError.
        ({"Authorization": "Basic YWFh+WFh\xad\xa8\xb9"}, {}),
        ({}, {"sentry_version": "7", "sentry_client": "x/1"}),
    ],
)
def test_malformed_auth_is_401(headers, query):
    with pytest.raises(IngestError) as caught:
        request_auth(headers, query)
    assert caught.value.status == 401
    assert caught.value.detail == "bad x-sentry-auth header"


@pytest.mark.parametrize(
    "key",
    [
        "abc",
        KEY + "0",
        KEY[:-1] + "g",
        "4f1e0c2a-9b7d-4e55-a1c3-d2e1f0a9b8c7",
    ],
)
def test_bad_public_key_is_400(key):
    with pytest.raises(IngestError) as caught:
        request_auth({"X-Sentry-Auth": f"Sentry sentry_key={key}"}, {})
    assert caught.value.status == 400
    assert caught.value.detail == "bad sentry DSN public key"


@pytest.mark.parametrize(
    ("version", "shown"),
    [("8", "8"), ("8.0", "8"), ("0008", "8"), ("10", "10"), ("12345678901234567890", "1234567890")],
)
def test_unsupported_version_is_400(version, shown):
    with pytest.raises(IngestError) as caught:
        request_auth({}, {"sentry_key": KEY, "sentry_version": version})
    assert caught.value.status == 400
    assert caught.value.detail == f"unsupported protocol version ({shown})"
    assert caught.value.outcome_reason == "auth_version"


def test_missing_auth_error():
    error = missing_auth_error()
    assert (error.status, error.detail) == (401, "missing authorization information")


@pytest.mark.parametrize(
    ("dsn", "expected"),
    [
        (
            f"https://{KEY}@errors.example.org/42",
            Dsn("https", KEY, None, "errors.example.org", None, "", 42),
        ),
        (
            f"http://{KEY}:secret@localhost:8000/7",
            Dsn("http", KEY, "secret", "localhost", 8000, "", 7),
        ),
        (
            f"https://{KEY}@host.example/sentry/42/",
            Dsn("https", KEY, None, "host.example", None, "/sentry", 42),
        ),
        (
            f"https://{KEY.upper()}:@Host.Example/a/b/3",
            Dsn("https", KEY, None, "host.example", None, "/a/b", 3),
        ),
    ],
)
def test_parse_dsn(dsn, expected):
    assert parse_dsn(dsn) == expected


@pytest.mark.parametrize(
    "dsn",
    [
        f"ftp://{KEY}@host/1",
        "https://host/1",
        "https://abc@host/1",
        f"https://{KEY}@host/project",
        f"https://{KEY}@host/",
        f"https://{KEY}@/1",
        f"https://{KEY}@host:99999/1",
        "not a dsn",
        f"https://{KEY}@host/" + "9" * 5000,
    ],
)
def test_parse_dsn_rejects(dsn):
    with pytest.raises(InvalidDsn):
        parse_dsn(dsn)


def test_auth_from_dsn():
    assert auth_from_dsn(f"https://{KEY}@errors.example.org/42") == AuthInfo(KEY, 7, None)
    with pytest.raises(IngestError) as caught:
        auth_from_dsn("https://nope@errors.example.org/42")
    assert (caught.value.status, caught.value.detail) == (
        401,
        "bad envelope authentication header",
    )


REQUEST_AUTH = AuthInfo(KEY, 7, "sentry.python/2.19.0")
DSN = f"https://{KEY}@errors.example.org/42"


@pytest.mark.parametrize(
    ("request_auth", "dsn", "expected"),
    [
        (REQUEST_AUTH, None, REQUEST_AUTH),
        (None, DSN, AuthInfo(KEY, 7, None)),
        (REQUEST_AUTH, DSN, REQUEST_AUTH),
    ],
)
def test_resolve_auth(request_auth, dsn, expected):
    assert resolve_auth(request_auth, dsn, project_id=42) == expected


@pytest.mark.parametrize(
    ("request_auth", "dsn", "status", "detail"),
    [
        (None, None, 401, "missing authorization information"),
        (None, 42, 401, "bad envelope authentication header"),
        (None, "https://host/42", 401, "bad envelope authentication header"),
        (
            REQUEST_AUTH,
            f"https://{OTHER_KEY}@errors.example.org/42",
            400,
            "invalid envelope: public key header mismatch between envelope and request",
        ),
        (
            None,
            f"https://{KEY}@errors.example.org/43",
            400,
            "invalid envelope: project id header mismatch between envelope and request",
        ),
        (REQUEST_AUTH, ["x"], 400, "invalid envelope: header dsn is not a string"),
    ],
)
def test_resolve_auth_rejects(request_auth, dsn, status, detail):
    with pytest.raises(IngestError) as caught:
        resolve_auth(request_auth, dsn, project_id=42)
    assert (caught.value.status, caught.value.detail) == (status, detail)
