"""Pages through tracker.server.rsgi: granian's native interface bridged to Django's ASGI handler.

The ingest URLs have their own table (tests/ingest/test_endpoints_rsgi.py); here, what the
bridge must keep: methods, query strings, bodies that arrive in chunks, repeated response
headers (cookies), streamed responses, a disconnect for Django once the answer is out, and
an answer that is not a 500 when the client went away first.
"""

import re
from urllib.parse import urlencode

import pytest

from tests.ingest.rsgi_client import Protocol, RsgiClient, Scope, run
from tracker.server import rsgi

pytestmark = pytest.mark.django_db(transaction=True)


def cookies(response) -> dict[str, str]:
    values = [v for k, v in response.header_list if k.lower() == "set-cookie"]
    return dict(v.split(";", 1)[0].split("=", 1) for v in values)


def test_a_page_and_its_query_string():
    response = RsgiClient().get("/login/?next=/a%20b/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert 'name="next" value="/a b/"' in response.content.decode()
    assert "csrftoken" in cookies(response)


def test_signing_in_through_a_form_body_in_chunks(user):
    client = RsgiClient()
    page = client.get("/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())[1]
    # Longer than one chunk of the fake protocol (64 KiB): Django must get it whole.
    form = urlencode({"csrfmiddlewaretoken": token, "username": "alice", "password": "pw",
                      "padding": "x" * 200_000})
    response = client.post(
        "/login/", form, content_type="application/x-www-form-urlencoded",
        HTTP_COOKIE=f"csrftoken={cookies(page)['csrftoken']}",
    )
    assert response.status_code == 302, response.content[:500]
    # Two Set-Cookie headers (session and rotated CSRF token) survive the bridge.
    assert {"sessionid", "csrftoken"} <= cookies(response).keys()


def test_unknown_page_is_django_s_404():
    assert RsgiClient().get("/no/such%20page/").status_code == 404


def _serve(monkeypatch, app, body=b"", method="GET"):
    monkeypatch.setattr(rsgi, "django_application", app)
    protocol = Protocol(body, chunk_size=3)
    scope = Scope(method, "/x", "a=1&b=%20", [("host", "testserver"), ("x-twice", "1"),
                                               ("x-twice", "2")], client="[::1]:5000")
    run(rsgi.serve_django(scope, protocol))
    return protocol


def test_scope_and_body_as_django_expects_them(monkeypatch):
    seen = {}

    async def app(scope, receive, send):
        seen["scope"] = scope
        chunks = []
        while True:
            message = await receive()
            chunks.append(message["body"])
            if not message["more_body"]:
                break
        seen["body"] = b"".join(chunks)
        await send({"type": "http.response.start", "status": 201,
                    "headers": [(b"set-cookie", b"a=1"), (b"set-cookie", b"b=2")]})
        await send({"type": "http.response.body", "body": b"done"})
        # Django's disconnect listener: answered once the response is out.
        seen["after"] = await receive()

    protocol = _serve(monkeypatch, app, body=b"0123456789", method="POST")
    scope = seen["scope"]
    assert (scope["method"], scope["path"], scope["query_string"]) == ("POST", "/x", b"a=1&b=%20")
    assert scope["client"] == ("::1", 5000)
    assert (b"x-twice", b"1") in scope["headers"] and (b"x-twice", b"2") in scope["headers"]
    assert seen["body"] == b"0123456789"
    assert seen["after"] == {"type": "http.disconnect"}
    assert protocol.status == 201 and protocol.body == b"done" and not protocol.streamed
    assert protocol.headers == [("set-cookie", "a=1"), ("set-cookie", "b=2")]


def test_streamed_response(monkeypatch):
    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for chunk in (b"one ", b"two ", b""):
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"three"})

    protocol = _serve(monkeypatch, app)
    assert protocol.streamed and protocol.body == b"one two three"


class GoneProtocol(Protocol):
    """A client that closed the connection right after its request (an aborted htmx
    request, say)."""

    async def client_disconnect(self) -> None:
        return None


def test_a_client_that_went_away_is_answered_499_not_500(monkeypatch):
    async def app(scope, receive, send):
        # What Django does: read the body, hear the disconnect, cancel the view, send nothing.
        while (await receive())["more_body"]:
            pass
        assert await receive() == {"type": "http.disconnect"}

    monkeypatch.setattr(rsgi, "django_application", app)
    protocol = GoneProtocol(b"")
    run(rsgi.serve_django(Scope("GET", "/acme/issues/", "level=error",
                                [("host", "testserver")]), protocol))
    # Otherwise granian answers (and logs) a response the application did not make: a 500.
    assert protocol.status == 499 and protocol.body == b""


def test_django_s_handler_with_a_client_that_went_away():
    protocol = GoneProtocol(b"")
    run(rsgi.serve_django(Scope("GET", "/login/", "", [("host", "testserver")]), protocol))
    # Django cancels the page when it hears the disconnect, or it was done first: either way
    # the bridge has answered, and not with a 500.
    assert protocol.status in (200, 499)
