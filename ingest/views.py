"""The SDK-facing endpoints: /api/<project_id>/envelope/ and /api/<project_id>/store/.

Thin: authenticate, read and decode the body within limits, parse, hand over to
`ingest.accept`, answer. Every answer, errors included, carries the CORS headers; every
refusal is a JSON `{"detail": ...}` with the same text in `X-Sentry-Error`.
"""

from __future__ import annotations

import base64
import json
import logging

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from ingest import auth, cors, keys
from ingest.accept import accept_envelope, outcomes_for, record_now
from ingest.encoding import decode_body
from ingest.envelope import Envelope, Item, parse_envelope
from ingest.errors import BadRequest, IngestError, PayloadTooLarge
from ingest.keys import KeyInfo
from ingest.outcome_codes import Outcome
from ingest.ratelimit_header import format_rate_limits, retry_after_header
from ingest.store_body import decode_sentry_data, decode_store_body

logger = logging.getLogger(__name__)

_GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
_CHUNK = 64 * 1024


class Forbidden(IngestError):
    status = 403


@csrf_exempt
def envelope(request, project_id: str):
    return _handle(request, project_id, _envelope_from_body, methods="POST")


@csrf_exempt
def store(request, project_id: str | None = None):
    return _handle(request, project_id, _envelope_from_store_body, methods="GET, POST")


def _handle(request, raw_project_id, parse_body, *, methods: str):
    if request.method == "OPTIONS":
        response = HttpResponse(status=200)
    elif request.method == "POST" or (request.method == "GET" and "GET" in methods):
        response = _ingest(request, raw_project_id, parse_body)
    else:
        response = _error(IngestError(f"method {request.method} not allowed", status=405))
        response["Allow"] = f"{methods}, OPTIONS"
    cors.add_headers(response, request, methods)
    return response


def _ingest(request, raw_project_id, parse_body):
    received = timezone.now()
    info: KeyInfo | None = None
    try:
        project_id = _project_id(raw_project_id)
        request_auth = auth.auth_from_request(
            request.headers, request.GET, user_agent=request.headers.get("User-Agent")
        )
        if request_auth is not None:
            info = _lookup(request_auth.public_key, project_id)
        if request.method == "GET":
            envelope = _envelope_from_query(request)
        else:
            envelope = parse_body(_read_body(request, parse_body is _envelope_from_body))
        resolved = auth.resolve_auth(request_auth, envelope.dsn, project_id=project_id)
        if info is None:
            info = _lookup(resolved.public_key, project_id)
        if not cors.origin_allowed(cors.request_origin(request.headers), info.allowed_origins):
            record_now(info, received, [
                row for item in envelope.items
                for row in outcomes_for(item, Outcome.FILTERED, "cors")])
            raise Forbidden("event submission rejected with_reason: Cors")
        meta = {
            "client_ip": request.META.get("REMOTE_ADDR"),
            "client": resolved.client or request.headers.get("User-Agent", "")[:200],
        }
        verdict = accept_envelope(envelope, info, received=received, meta=meta)
    except IngestError as e:
        if info is not None and e.outcome_reason and e.status != 403:
            record_now(info, received, [(Outcome.INVALID, e.outcome_reason, 1, 1)])
        return _error(e)

    if verdict.everything_limited:
        response = _error(IngestError("all items were rate limited", status=429))
        response["Retry-After"] = retry_after_header(verdict.rate_limits)
    elif request.method == "GET":
        response = HttpResponse(_GIF, content_type="image/gif")
    else:
        response = JsonResponse({"id": verdict.event_id} if verdict.event_id else {})
    if verdict.rate_limits:
        response["X-Sentry-Rate-Limits"] = format_rate_limits(verdict.rate_limits)
    return response


def _project_id(raw: str | None) -> int | None:
    if raw is None:
        return None  # /api/store/: the key says which project
    if not raw.isdigit() or len(raw) > 18:
        raise BadRequest(f"invalid project id {raw[:20]!r}", outcome_reason="project_id")
    return int(raw)


def _lookup(public_key: str, project_id: int | None) -> KeyInfo:
    info = keys.get_key(public_key)
    if info is None:
        raise Forbidden("unknown or disabled DSN key")
    if not info.active:
        raise Forbidden("event submission rejected with_reason: DisabledKey")
    if project_id is not None and info.project_id != project_id:
        raise Forbidden("event submission rejected with_reason: ProjectId")
    return info


def _read_body(request, is_envelope: bool) -> bytes:
    limits = settings.ERRATA
    max_compressed = limits["MAX_REQUEST_SIZE"]
    declared = request.META.get("CONTENT_LENGTH")
    if declared and declared.isdigit() and int(declared) > max_compressed:
        raise PayloadTooLarge(
            f"request body of {declared} bytes is over the {max_compressed} byte limit",
            outcome_reason="too_large",
        )
    return decode_body(
        _body_chunks(request),
        request.headers.get("Content-Encoding"),
        max_compressed=max_compressed,
        max_decompressed=limits["MAX_ENVELOPE_SIZE"] if is_envelope else limits["MAX_EVENT_SIZE"],
        too_large_reason="too_large:envelope" if is_envelope else "too_large:event",
    )


def _body_chunks(request):
    """The raw body in chunks. A chunked request has no Content-Length, and Django then
    reads nothing (it ignores `wsgi.input_terminated`); servers that de-chunk, such as
    gunicorn, say so with that flag, and we read their input to its end instead. decode_body
    counts every byte, so the size limits hold either way."""
    stream = request
    if not request.META.get("CONTENT_LENGTH") and request.environ.get("wsgi.input_terminated"):
        stream = request.environ["wsgi.input"]
    return iter(lambda: stream.read(_CHUNK), b"")


def _envelope_from_body(body: bytes) -> Envelope:
    limits = settings.ERRATA
    return parse_envelope(
        body,
        max_event_size=limits["MAX_EVENT_SIZE"],
        max_attachment_size=limits["MAX_ATTACHMENT_SIZE"],
        max_attachments_size=limits["MAX_ATTACHMENT_SIZE"],
    )


def _envelope_from_store_body(body: bytes) -> Envelope:
    """The legacy store body is one event: make it the envelope it would be today."""
    data = decode_store_body(body, max_size=settings.ERRATA["MAX_EVENT_SIZE"])
    return _single_event_envelope(data)


def _envelope_from_query(request) -> Envelope:
    raw = request.GET.get("sentry_data")
    if not raw:
        raise BadRequest("GET store needs a sentry_data parameter", outcome_reason="empty_body")
    return _single_event_envelope(
        decode_sentry_data(raw, max_size=settings.ERRATA["MAX_EVENT_SIZE"])
    )


def _single_event_envelope(data: dict) -> Envelope:
    payload = json.dumps(data, separators=(",", ":")).encode()
    return Envelope(headers={}, items=[Item(headers={"type": "event"}, payload=payload)])


def _error(error: IngestError) -> JsonResponse:
    response = JsonResponse(error.as_json(), status=error.status)
    response["X-Sentry-Error"] = error.header_detail
    return response
