"""The one exception type the pure ingest protocol modules raise.

The view turns an `IngestError` into the response (`{"detail": ...}` plus `X-Sentry-Error`) and,
when `outcome_reason` is set and the project is known, into an INVALID outcome.
"""

from __future__ import annotations

import re

# X-Sentry-Error carries `detail`, which may quote client input: keep it printable ASCII.
_UNSAFE_HEADER_CHARS = re.compile(r"[^\x20-\x7e]")
_MAX_HEADER_DETAIL = 200


class IngestError(Exception):
    """A request the ingest endpoints must refuse with `status`.

    `detail` is the human message; `outcome_reason` the INVALID outcome reason
    (`invalid_envelope`, `too_large:event`, ...) or None when no outcome is recorded.
    """

    status: int = 400

    def __init__(
        self, detail: str, *, status: int | None = None, outcome_reason: str | None = None
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if status is not None:
            self.status = status
        self.outcome_reason = outcome_reason

    def __str__(self) -> str:
        return self.detail

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.detail!r}, status={self.status}, "
            f"outcome_reason={self.outcome_reason!r})"
        )

    @property
    def header_detail(self) -> str:
        """`detail` made safe for the `X-Sentry-Error` response header."""
        text = _UNSAFE_HEADER_CHARS.sub("?", self.detail)
        if len(text) > _MAX_HEADER_DETAIL:
            text = text[: _MAX_HEADER_DETAIL - 3] + "..."
        return text

    def as_json(self) -> dict[str, str]:
        return {"detail": self.detail}


class BadRequest(IngestError):
    status = 400


class Unauthorized(IngestError):
    status = 401


class PayloadTooLarge(IngestError):
    status = 413


def invalid_envelope(detail: str) -> BadRequest:
    return BadRequest(f"invalid envelope: {detail}", outcome_reason="invalid_envelope")


def too_large(detail: str, reason: str) -> PayloadTooLarge:
    """413 with an INVALID `too_large:<item>` outcome reason."""
    return PayloadTooLarge(detail, outcome_reason=reason)


def clip(value: object, limit: int = 40) -> str:
    """A short repr of client-supplied data for use inside a `detail`."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class WouldBlock(Exception):
    """Raised by a step run in no-I/O mode (on the event loop) that would have to wait for the
    database, Redis or the file store: the caller runs the whole request again in a thread."""
