"""Handling an SDK request, whichever server interface delivered it.

The Django views (`ingest.views`) and the event-loop fast path (`ingest.rsgi`) both turn their
request into a `Request` and send back the `Answer` made here, so the protocol lives in one
place. `plan` decides the answer and what to store; with `io=False` it never blocks and
raises WouldBlock at the first step that would (a key not looked up lately, quotas,
recording an outcome): the event loop then runs the same planning in a thread. What to store
then goes to the inbox: through the loop's writer under granian, through `handle` (one
plain insert) everywhere else. Staging attachments in the file store is left to the caller
(`Keep.stage`).
"""

from __future__ import annotations

import json
import logging
from base64 import b64decode
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from ingest import keys
from ingest.accept import Keep, outcomes_for, plan_envelope, record_now
from ingest.inbox import row
from ingest.keys import KeyInfo
from ingest.protocol import auth, cors
from ingest.protocol.encoding import decode_body
from ingest.protocol.envelope import Envelope, Item, parse_envelope
from ingest.protocol.errors import BadRequest, IngestError, PayloadTooLarge, WouldBlock
from ingest.protocol.outcomes import OutcomeKind
from ingest.protocol.rate_limits import format_rate_limits, retry_after_header
from ingest.protocol.store_body import decode_sentry_data, decode_store_body

logger = logging.getLogger(__name__)

_GIF = b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
ENVELOPE, STORE = "envelope", "store"
_METHODS = {ENVELOPE: "POST", STORE: "GET, POST"}


class Forbidden(IngestError):
    status = 403


class Headers(dict[str, str]):
    """Request headers by lowercase name; lookups ignore case, as HTTP's do.

    A dict rather than Django's CaseInsensitiveMapping: ingest reads a dozen headers per
    request on its hot path, and a plain dict lookup is several times cheaper.
    """

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        super().__init__()
        get, put = dict.get, dict.__setitem__
        for name, value in pairs:
            name = name.lower()
            earlier = get(self, name)
            # Repeated headers are joined, as Django does for its request.headers.
            put(self, name, value if earlier is None else f"{earlier},{value}")

    def __getitem__(self, name: str) -> str:
        return super().__getitem__(name.lower())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and super().__contains__(name.lower())

    def get(self, name: str, default=None):
        return super().get(name.lower(), default)


@dataclass
class Request:
    method: str
    kind: str  # ENVELOPE or STORE
    raw_project_id: str | None  # None for the legacy /api/store/
    headers: Mapping[str, str]  # case-insensitive
    query: Mapping[str, str]
    remote_addr: str | None
    content_length: str | None
    body: Callable[[], Iterable[bytes]]  # the raw body, in chunks


@dataclass
class Answer:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def handle(request: Request) -> Answer:
    """The whole request, blocking where it must."""
    try:
        answer, keep = plan(request, io=True)
        if keep is not None:
            keep.inline()
            stage(keep)
            row.store(keep.item)
    except Exception:
        answer = failed()
    return with_cors(answer, request)


def stage(keep: Keep) -> None:
    """Write the attachments too large for the inbox row to the file store; if that fails
    (S3 away), the request is answered 503 as any failure to store is (`failed`)."""
    if keep.attachments:
        keep.stage()


def plan(request: Request, *, io: bool) -> tuple[Answer, Keep | None]:
    """The answer, and what to store before sending it (if anything)."""
    if request.method == "OPTIONS":
        return Answer(200, content_type="text/plain"), None
    methods = _METHODS[request.kind]
    if request.method == "POST" or (request.method == "GET" and "GET" in methods):
        return _ingest(request, io=io)
    answer = error(IngestError(f"method {request.method} not allowed", status=405))
    answer.headers["Allow"] = f"{methods}, OPTIONS"
    return answer, None


def with_cors(answer: Answer, request: Request) -> Answer:
    cors.add_headers(answer.headers, request.headers, _METHODS[request.kind])
    return answer


def unavailable() -> Answer:
    # Nothing was accepted: say so, and let the SDK (or its user) send it again later.
    answer = error(IngestError("could not store the envelope, try again later", status=503))
    answer.headers["Retry-After"] = "10"
    return answer


def failed() -> Answer:
    """The answer when handling a request raised (call it in the `except` block): nothing was
    stored, whether the database, the file store or Redis was away or we have a bug. Bad
    input is refused with a 4xx long before this; so the request itself is not at fault, and
    a 503 says to send it again later where a 500 would not."""
    logger.exception("could not handle an ingest request")
    return unavailable()


def error(e: IngestError) -> Answer:
    return Answer(
        e.status,
        json.dumps(e.as_json()).encode(),
        headers={"X-Sentry-Error": e.header_detail},
    )


def _ingest(request: Request, *, io: bool) -> tuple[Answer, Keep | None]:
    received = timezone.now()
    lookup = keys.get_key if io else keys.get_key_memoized
    info: KeyInfo | None = None
    try:
        project_id = _project_id(request.raw_project_id)
        request_auth = auth.auth_from_request(
            request.headers, request.query, user_agent=request.headers.get("User-Agent")
        )
        if request_auth is not None:
            info = _lookup(lookup, request_auth.public_key, project_id)
        if request.method == "GET":
            envelope = _envelope_from_query(request)
        else:
            envelope = _envelope_from_body(request)
        resolved = auth.resolve_auth(request_auth, envelope.dsn, project_id=project_id)
        if info is None:
            info = _lookup(lookup, resolved.public_key, project_id)
        if not cors.origin_allowed(cors.request_origin(request.headers), info.allowed_origins):
            _record(info, received, [
                row for item in envelope.items
                for row in outcomes_for(item, OutcomeKind.FILTERED, "cors")], io=io)
            raise Forbidden("event submission rejected with_reason: Cors")
        meta = {
            "client_ip": request.remote_addr,
            "client": resolved.client or request.headers.get("User-Agent", "")[:200],
        }
        verdict, keep = plan_envelope(envelope, info, received=received, meta=meta, io=io)
    except IngestError as e:
        if info is not None and e.outcome_reason and e.status != 403:
            _record(info, received, [(OutcomeKind.INVALID, e.outcome_reason, 1, 1)], io=io)
        return error(e), None

    if verdict.everything_limited:
        answer = error(IngestError("all items were rate limited", status=429))
        answer.headers["Retry-After"] = retry_after_header(verdict.rate_limits)
    elif request.method == "GET":
        answer = Answer(200, _GIF, content_type="image/gif")
    else:
        # event_id is 32 hex digits (validated), nothing to escape.
        answer = Answer(200, b'{"id":"%s"}' % verdict.event_id.encode() if verdict.event_id
                        else b"{}")
    if verdict.rate_limits:
        answer.headers["X-Sentry-Rate-Limits"] = format_rate_limits(verdict.rate_limits)
    return answer, keep


def _record(info: KeyInfo, received: datetime, rows, *, io: bool) -> None:
    if not io:
        raise WouldBlock("outcomes")
    record_now(info, received, rows)


def _project_id(raw: str | None) -> int | None:
    if raw is None:
        return None  # /api/store/: the key says which project
    if not raw.isdigit() or len(raw) > 18:
        raise BadRequest(f"invalid project id {raw[:20]!r}", outcome_reason="project_id")
    return int(raw)


def _lookup(lookup, public_key: str, project_id: int | None) -> KeyInfo:
    info = lookup(public_key)
    if info is None:
        raise Forbidden("unknown or disabled DSN key")
    if not info.active:
        raise Forbidden("event submission rejected with_reason: DisabledKey")
    if project_id is not None and info.project_id != project_id:
        raise Forbidden("event submission rejected with_reason: ProjectId")
    return info


def declared_length(content_length: str | None) -> int | None:
    """The Content-Length header as a number, or None when absent or not a plain number
    (isdigit alone would let through digits int() refuses, such as "²")."""
    if content_length and content_length.isascii() and content_length.isdigit():
        return int(content_length)
    return None


def _read_body(request: Request, max_decompressed: int, too_large_reason: str) -> bytes:
    max_compressed = settings.ERRATA["MAX_REQUEST_SIZE"]
    declared = declared_length(request.content_length)
    if declared is not None and declared > max_compressed:
        raise PayloadTooLarge(
            f"request body of {declared} bytes is over the {max_compressed} byte limit",
            outcome_reason="too_large",
        )
    return decode_body(
        request.body(),
        request.headers.get("Content-Encoding"),
        max_compressed=max_compressed,
        max_decompressed=max_decompressed,
        too_large_reason=too_large_reason,
        content_length=declared,
    )


def _envelope_from_body(request: Request) -> Envelope:
    limits = settings.ERRATA
    if request.kind == STORE:
        # The legacy store body is one event: make it the envelope it would be today.
        body = _read_body(request, limits["MAX_EVENT_SIZE"], "too_large:event")
        return _single_event_envelope(decode_store_body(body, max_size=limits["MAX_EVENT_SIZE"]))
    body = _read_body(request, limits["MAX_ENVELOPE_SIZE"], "too_large:envelope")
    return parse_envelope(
        body,
        max_event_size=limits["MAX_EVENT_SIZE"],
        max_attachment_size=limits["MAX_ATTACHMENT_SIZE"],
        max_attachments_size=limits["MAX_ATTACHMENT_SIZE"],
    )


def _envelope_from_query(request: Request) -> Envelope:
    raw = request.query.get("sentry_data")
    if not raw:
        raise BadRequest("GET store needs a sentry_data parameter", outcome_reason="empty_body")
    return _single_event_envelope(
        decode_sentry_data(raw, max_size=settings.ERRATA["MAX_EVENT_SIZE"])
    )


def _single_event_envelope(data: dict) -> Envelope:
    payload = json.dumps(data, separators=(",", ":")).encode()
    return Envelope(headers={}, items=[Item(headers={"type": "event"}, payload=payload)])
