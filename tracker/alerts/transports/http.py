"""POSTing to a URL for the Slack and webhook transports (standard library only)."""

from __future__ import annotations

import urllib.error
import urllib.request
from urllib.parse import urlsplit

from tracker.alerts.transports.errors import PermanentError

TIMEOUT = 10  # seconds; well under the delivery lease
USER_AGENT = "Errata-Alerts/1"
# Client errors that may go away: rate limits, timeouts, conflicts.
_RETRYABLE_4XX = {408, 409, 425, 429}


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirected POST would turn into a GET elsewhere: report it instead."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def post(url: str, body: bytes, headers: dict[str, str]) -> str:
    if urlsplit(url).scheme not in ("http", "https"):
        raise PermanentError(f"only http and https URLs can be posted to, not {url!r}")
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        url, data=body, method="POST",
        headers={"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers},
    )
    try:
        with _opener.open(request, timeout=TIMEOUT) as response:
            return f"HTTP {response.status}"
    except urllib.error.HTTPError as e:
        message = f"HTTP {e.code} {e.reason}"
        if 300 <= e.code < 400:
            raise PermanentError(f"{message}: redirects are not followed, "
                                 "use the final URL") from None
        if 400 <= e.code < 500 and e.code not in _RETRYABLE_4XX:
            raise PermanentError(message) from None
        raise ConnectionError(message) from None
