"""`Authorization: Bearer <token>` authentication for the REST API, as Sentry's API uses."""

from __future__ import annotations

from django.utils import timezone
from rest_framework import authentication, exceptions

from tracker import throttle
from tracker.models import ApiToken
from tracker.models.tokens import hash_token


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0].lower() != self.keyword:
            return None
        # Guessing tokens is throttled like sign-in: 10 failures per 15 minutes per IP.
        ip = request.META.get("REMOTE_ADDR")
        if throttle.blocked("api-token", ip):
            raise exceptions.Throttled(detail=throttle.MESSAGE)
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Invalid bearer header.")
        token = (
            ApiToken.objects.select_related("user", "organization")
            .filter(token_hash=hash_token(header[1]))
            .first()
        )
        if token is None or not token.user.is_active:
            throttle.record("api-token", ip)
            raise exceptions.AuthenticationFailed("Invalid token.")
        now = timezone.now()
        # Touch last_used at most once a minute: reads should not write on every call.
        if token.last_used is None or (now - token.last_used).total_seconds() > 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used=now)
        return token.user, token

    def authenticate_header(self, request) -> str:
        return "Bearer"
