"""The SDK-facing endpoints as Django views: /api/<project_id>/envelope/ and .../store/.

Thin: turn the HttpRequest into an `ingest.endpoint.Request`, hand it over, send the answer.
Under granian the same URLs are served by `ingest.rsgi` before Django sees them;
these views serve them under WSGI and in Django's test client.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt

from ingest import endpoint

_CHUNK = 64 * 1024


@csrf_exempt
def envelope(request, project_id: str):
    return _respond(request, endpoint.ENVELOPE, project_id)


@csrf_exempt
def store(request, project_id: str | None = None):
    return _respond(request, endpoint.STORE, project_id)


VIEWS = {endpoint.ENVELOPE: envelope, endpoint.STORE: store}


def _respond(request, kind: str, project_id: str | None) -> HttpResponse:
    answer = endpoint.handle(
        endpoint.Request(
            method=request.method,
            kind=kind,
            raw_project_id=project_id,
            headers=request.headers,
            query=request.GET,
            remote_addr=request.META.get("REMOTE_ADDR"),
            content_length=request.META.get("CONTENT_LENGTH"),
            body=lambda: _body_chunks(request),
        )
    )
    response = HttpResponse(answer.body, status=answer.status, content_type=answer.content_type)
    for name, value in answer.headers.items():
        response[name] = value
    return response


def _body_chunks(request):
    """The raw body in chunks. A chunked request has no Content-Length, and Django then
    reads nothing (it ignores `wsgi.input_terminated`); WSGI servers that de-chunk, such as
    gunicorn and granian, say so with that flag, and we read their input to its end instead.
    decode_body counts every byte, so the size limits hold either way."""
    stream = request
    environ = getattr(request, "environ", {})  # WSGI only
    if not request.META.get("CONTENT_LENGTH") and environ.get("wsgi.input_terminated"):
        stream = environ["wsgi.input"]
    return iter(lambda: stream.read(_CHUNK), b"")
