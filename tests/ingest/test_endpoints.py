"""Every status code and message of the ingest endpoints (docs/protocol.md §2-§8, §10.3, §11)."""

import gzip
import io
import json
import time
import zlib

import brotli
import pytest
import zstandard
from django.db import OperationalError

from ingest import keys
from ingest.models import InboxItem
from tests.factories import make_project
from tests.ingest.helpers import envelope, event_envelope, exception_event, post
from tracker.models import Outcome, OutcomeKind

EVENT = event_envelope(exception_event())


@pytest.fixture
def key(project):
    return project.keys.get().public_key


def auth_header(key, version="7"):
    return f"Sentry sentry_key={key}, sentry_version={version}, sentry_client=test/1.0"


# (description, path suffix, headers factory, body, expected status, detail fragment)
AUTH_CASES = [
    ("X-Sentry-Auth", "", lambda k: {"HTTP_X_SENTRY_AUTH": auth_header(k)}, 200, None),
    ("Authorization: Sentry", "", lambda k: {"HTTP_AUTHORIZATION": auth_header(k)}, 200, None),
    ("Authorization: Basic", "",
     lambda k: {"HTTP_AUTHORIZATION": "Basic " + __import__("base64").b64encode(
         f"{k}:".encode()).decode()}, 200, None),
    ("query string", "?sentry_key={k}&sentry_version=7", lambda k: {}, 200, None),
    ("nothing", "", lambda k: {}, 401, "missing authorization information"),
    ("two sources", "?sentry_key={k}", lambda k: {"HTTP_X_SENTRY_AUTH": auth_header(k)}, 401,
     "multiple authorization payloads detected"),
    ("malformed header", "", lambda k: {"HTTP_X_SENTRY_AUTH": "Sentry"}, 401, "x-sentry-auth"),
    ("key not hex", "?sentry_key=nothex", lambda k: {}, 400, "key"),
    ("version 8", "", lambda k: {"HTTP_X_SENTRY_AUTH": auth_header(k, "8")}, 400,
     "unsupported protocol version (8)"),
    ("unknown key", "?sentry_key=" + "0" * 32, lambda k: {}, 403, None),
]


@pytest.mark.parametrize(("name", "query", "headers", "status", "detail"), AUTH_CASES,
                         ids=[c[0] for c in AUTH_CASES])
def test_auth_sources(client, project, key, name, query, headers, status, detail):
    response = client.post(
        f"/api/{project.pk}/envelope/{query.format(k=key)}", EVENT,
        content_type="application/x-sentry-envelope", **headers(key),
    )
    assert response.status_code == status, response.content
    if detail:
        assert detail in response.json()["detail"]
        assert response["X-Sentry-Error"]
    assert response["Access-Control-Allow-Origin"] == "*"


def test_envelope_header_dsn_authenticates_tunnelled_envelopes(client, project, key):
    body = envelope(({"type": "event"}, {"message": "via tunnel"}),
                    headers={"dsn": f"http://{key}@example.org/{project.pk}"})
    response = client.post(f"/api/{project.pk}/envelope/", body, content_type="text/plain")
    assert response.status_code == 200
    assert InboxItem.objects.count() == 1


def test_key_of_another_project_is_refused(client, project):
    other = make_project(project.organization)
    response = post(client, project, EVENT, key=other.keys.get().public_key)
    assert response.status_code == 403
    assert "ProjectId" in response.json()["detail"]


@pytest.mark.parametrize("what", ["key", "project"])
def test_disabled_key_or_project_is_refused(client, project, what):
    target = project.keys.get() if what == "key" else project
    target.is_active = False
    target.save()
    assert post(client, project, EVENT).status_code == 403


@pytest.mark.parametrize("path", ["envelope/", "envelope", "store/", "store"])
def test_trailing_slash_is_optional(client, project, key, path):
    body = EVENT if path.startswith("envelope") else b'{"message": "x"}'
    response = client.post(f"/api/{project.pk}/{path}?sentry_key={key}", body,
                           content_type="text/plain")
    assert response.status_code == 200
    assert len(response.json()["id"]) == 32


def test_project_id_must_be_a_number(client, project, key):
    response = client.post(f"/api/shop/envelope/?sentry_key={key}", EVENT,
                           content_type="text/plain")
    assert response.status_code == 400
    assert "project id" in response.json()["detail"]


def test_store_legacy_encodings(client, project, key):
    raven = __import__("base64").b64encode(zlib.compress(b'{"message": "raven", "x": NaN}'))
    for body in (b'{"message": "plain", "extra": {"v": Infinity}}', raven):
        response = client.post(f"/api/{project.pk}/store/?sentry_key={key}", body,
                               content_type="application/json")
        assert response.status_code == 200, response.content
    response = client.get(f"/api/{project.pk}/store/",
                          {"sentry_key": key, "sentry_data": '{"message": "beacon"}'})
    assert response.status_code == 200
    assert response["Content-Type"] == "image/gif"
    assert InboxItem.objects.count() == 3


def test_store_without_project_id_uses_the_key(client, project, key):
    response = client.post(f"/api/store/?sentry_key={key}", b'{"message": "old"}',
                           content_type="application/json")
    assert response.status_code == 200
    assert InboxItem.objects.get().project_id == project.pk


BAD_BODIES = [
    ("bad json event", envelope(({"type": "event"}, b"{nope")), 400, "not valid JSON",
     "invalid_json"),
    ("length past end", b'{}\n{"type":"event","length":500}\n{"message":"x"}\n', 400,
     "length", "invalid_envelope"),
    ("header not an object", b'[]\n{"type":"event"}\n{}\n', 400, "object", "invalid_envelope"),
    ("no type or value", envelope(({"type": "event"}, {"exception": {"values": [{}]}})), 400,
     "type", "no_event_payload"),
    ("non-uuid event id", envelope(({"type": "event"}, {"event_id": "nope", "message": "x"})),
     400, "not a UUID", "invalid_event_id"),
    ("two events", envelope(({"type": "event"}, {"message": "a"}),
                            ({"type": "event"}, {"message": "b"})), 400, "", "duplicate_item"),
    ("empty body", b"", 400, "empty", "empty_body"),
]


@pytest.mark.parametrize(("name", "body", "status", "detail", "reason"), BAD_BODIES,
                         ids=[c[0] for c in BAD_BODIES])
def test_malformed_envelopes_get_a_clear_400_and_an_outcome(client, project, name, body,
                                                            status, detail, reason):
    response = post(client, project, body)
    assert response.status_code == status
    assert detail.lower() in response.json()["detail"].lower()
    assert response["X-Sentry-Error"]
    assert Outcome.objects.filter(outcome=OutcomeKind.INVALID, reason=reason).exists()
    assert not InboxItem.objects.exists()


@pytest.mark.parametrize(("encoding", "compress"), [
    ("gzip", gzip.compress), ("deflate", zlib.compress), ("br", brotli.compress),
    ("zstd", zstandard.ZstdCompressor().compress), ("identity", lambda b: b),
    ("UTF-8", lambda b: b), ("", lambda b: b),
])
def test_content_encodings(client, project, encoding, compress):
    headers = {"HTTP_CONTENT_ENCODING": encoding} if encoding else {}
    assert post(client, project, compress(EVENT), **headers).status_code == 200


def test_corrupt_compression_is_a_400(client, project):
    response = post(client, project, b"not gzip at all", HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 400
    assert Outcome.objects.filter(reason="invalid_compression").exists()


def test_oversize_request_is_a_413_before_reading(client, project, settings):
    settings.ERRATA = {**settings.ERRATA, "MAX_REQUEST_SIZE": 2048}
    response = post(client, project, b"x" * 4096)
    assert response.status_code == 413


def test_oversize_event_item_is_a_413(client, project, settings):
    settings.ERRATA = {**settings.ERRATA, "MAX_EVENT_SIZE": 1024}
    response = post(client, project, event_envelope({"message": "x" * 5000}))
    assert response.status_code == 413
    assert Outcome.objects.filter(reason="too_large:event").exists()


def test_gzip_bomb_is_a_413(client, project, settings):
    settings.ERRATA = {**settings.ERRATA, "MAX_ENVELOPE_SIZE": 1024 * 1024}
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024))  # 64 MiB of zeros in ~64 KiB
    response = post(client, project, bomb, HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 413


def test_dropped_item_types_ask_sdks_to_stop(client, project):
    body = envelope(({"type": "transaction"}, {"type": "transaction", "spans": []}))
    response = post(client, project, body)
    assert response.status_code == 200
    assert response.json() == {}
    limits = response["X-Sentry-Rate-Limits"]
    assert limits.startswith("3600:transaction;span;")
    assert limits.endswith(":project:feature_disabled")
    assert Outcome.objects.filter(outcome=OutcomeKind.INVALID,
                                  reason="feature_disabled").exists()


def test_unknown_item_types_are_skipped(client, project):
    body = envelope(({"type": "event"}, {"message": "x"}), ({"type": "brand_new"}, b"???"))
    assert post(client, project, body).status_code == 200


def test_cors_preflight(client, project):
    response = client.options(f"/api/{project.pk}/envelope/",
                              HTTP_ORIGIN="https://shop.example.com")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "https://shop.example.com"
    assert "x-sentry-auth" in response["Access-Control-Allow-Headers"]
    assert "x-sentry-rate-limits" in response["Access-Control-Expose-Headers"]
    assert "retry-after" in response["Access-Control-Expose-Headers"]


@pytest.mark.parametrize(("origins", "origin", "status"), [
    ("*", "https://anything.example", 200),
    ("shop.example.com", "https://shop.example.com", 200),
    ("*.example.com", "https://app.example.com", 200),
    ("https://shop.example.com", "http://shop.example.com", 403),
    ("shop.example.com", "https://evil.example.net", 403),
    ("shop.example.com", None, 200),  # no Origin: server to server
])
def test_allowed_origins(client, project, origins, origin, status):
    project.allowed_origins = origins
    project.save()
    headers = {"HTTP_ORIGIN": origin} if origin else {}
    response = post(client, project, EVENT, **headers)
    assert response.status_code == status
    if status == 403:
        assert Outcome.objects.filter(outcome=OutcomeKind.FILTERED, reason="cors").exists()


def test_wrong_method(client, project, key):
    response = client.put(f"/api/{project.pk}/envelope/?sentry_key={key}", EVENT)
    assert response.status_code == 405


def test_duplicate_event_id_is_accepted_once(client, project):
    body = event_envelope(exception_event(), event_id="9ec79c33ec9942ab8353589fcb2e04dc")
    for _ in range(3):
        response = post(client, project, body)
        assert response.json() == {"id": "9ec79c33ec9942ab8353589fcb2e04dc"}
    assert InboxItem.objects.count() == 1


def test_client_reports_sessions_and_feedback_travel_in_the_inbox(client, project):
    body = envelope(
        ({"type": "client_report"},
         {"discarded_events": [{"reason": "sample_rate", "category": "error", "quantity": 3}]}),
        ({"type": "session"}, {"sid": "a" * 32, "status": "exited", "attrs": {"release": "1"}}),
        ({"type": "user_report"}, {"event_id": "b" * 32, "name": "Ann", "comments": "broke"}),
    )
    assert post(client, project, body).status_code == 200
    item = InboxItem.objects.get()
    assert [i["type"] for i in item.meta["items"]] == ["client_report", "session",
                                                       "user_report"]


def test_accepting_an_event_takes_at_most_two_statements(client, project,
                                                         django_assert_max_num_queries):
    post(client, project, event_envelope())  # warms the key cache
    with django_assert_max_num_queries(2):
        response = post(client, project, event_envelope(exception_event()))
    assert response.status_code == 200


def test_broken_json_in_store_is_a_400(client, project, key):
    response = client.post(f"/api/{project.pk}/store/?sentry_key={key}", b"{",
                           content_type="application/json")
    assert response.status_code == 400
    assert json.loads(response.content)["detail"]


def test_a_body_shorter_than_its_content_length_is_a_400(client, project):
    """The client went away mid-upload: an attachment without a length header runs to the end
    of the body, so the cut envelope still parses. It must not be stored as if whole."""
    whole = (event_envelope(exception_event())
             + b'{"type":"attachment","filename":"log.txt"}\n' + b"x" * 5000)
    cut = whole[:-1000]
    # Django's test client would refuse to read past the end of its own body: a plain stream
    # ends early, as a WSGI server's does when the client has gone. (The RSGI client ignores
    # it and sends the cut body with the declared length.)
    response = post(client, project, cut, CONTENT_LENGTH=str(len(whole)),
                    **{"wsgi.input": io.BytesIO(cut)})
    assert response.status_code == 400
    assert f"ended after {len(cut)} of the {len(whole)} bytes" in response.json()["detail"]
    assert not InboxItem.objects.exists()
    assert Outcome.objects.filter(outcome=OutcomeKind.INVALID, reason="payload").exists()


BROKEN_CACHE = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                            "LOCATION": "redis://127.0.0.1:1/0"}}  # nothing listens there


def test_a_failing_cache_is_a_cache_miss(client, project, settings):
    settings.CACHES = BROKEN_CACHE  # Redis is down: the database knows the key
    assert post(client, project, EVENT).status_code == 200
    assert InboxItem.objects.count() == 1


def test_saving_a_project_does_not_fail_over_the_cache(project, settings):
    settings.CACHES = BROKEN_CACHE
    project.save()  # drops its keys' cached verdicts: the cache being down must not stop it


def test_a_stale_key_verdict_answers_when_cache_and_database_fail(client, project, settings,
                                                                   monkeypatch):
    assert post(client, project, EVENT).status_code == 200  # the verdict is memoized
    public_key = project.keys.get().public_key
    _, info = keys._local[public_key]
    keys._local[public_key] = (time.monotonic() - keys.STALE_TTL - 1, info)  # long stale
    settings.CACHES = BROKEN_CACHE

    def database_down(public_key):
        raise OperationalError("connection refused")

    monkeypatch.setattr(keys, "_load", database_down)
    response = post(client, project, event_envelope(exception_event()))
    assert response.status_code == 200, response.content
    assert InboxItem.objects.count() == 2


def test_an_unexpected_error_is_a_503_never_a_500(client, project, monkeypatch):
    def bug(public_key):
        raise RuntimeError("a bug")

    monkeypatch.setattr(keys, "_load", bug)
    response = post(client, project, EVENT)
    assert response.status_code == 503
    assert response["Retry-After"]
    assert "try again later" in response.json()["detail"]
    assert response["Access-Control-Allow-Origin"] == "*"
    assert not InboxItem.objects.exists()
