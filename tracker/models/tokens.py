"""API tokens for the REST API: stored hashed, shown once, narrowed by scopes.

Two kinds, as in Sentry: personal tokens (`sntryu_…`) act for their user with the scopes chosen
at creation; organization auth tokens (`sntrys_…`) are for CI: they carry `org:ci` only, reach
one organization only, and embed the server URL and organization slug, so `sentry-cli` needs no
other configuration. Tokens made before scopes existed (`errata_…`) keep working.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time

from django.conf import settings
from django.db import models

from tracker import scopes as scope_names

PERSONAL_PREFIX = "sntryu_"
ORG_PREFIX = "sntrys_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def user_scopes() -> list[str]:
    """Everything a personal token may be given: all but the CI-only scope."""
    return [s for s in scope_names.ALL if s != "org:ci"]


def _recognisable(plaintext: str) -> str:
    """What is kept of a token to recognise it: its kind and its last four characters."""
    return plaintext[:7] + plaintext[-4:]


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="api_tokens")
    # Set for organization auth tokens: the one organization the token reaches. `user` is who
    # created it; the token stops working if they leave the organization.
    organization = models.ForeignKey(
        "tracker.Organization", models.CASCADE, null=True, blank=True, related_name="auth_tokens"
    )
    name = models.CharField(max_length=100, blank=True, default="")
    scopes = models.JSONField(default=list, blank=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(
        max_length=16, editable=False,
        help_text="Its first and last characters, to recognise the token.",
    )
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.hint} ({self.user})"

    @property
    def hint(self) -> str:
        return f"{self.prefix[:7]}…{self.prefix[7:]}"

    @property
    def is_org_token(self) -> bool:
        return self.organization_id is not None

    @classmethod
    def issue(
        cls, user, name: str = "", scopes: list[str] | None = None
    ) -> tuple[ApiToken, str]:
        """Create a personal token and return it with its plaintext, which is not stored.
        Without `scopes` it carries every scope: all of its user's rights."""
        plaintext = PERSONAL_PREFIX + secrets.token_hex(32)
        token = cls.objects.create(
            user=user, name=name, scopes=list(scopes if scopes is not None else user_scopes()),
            token_hash=hash_token(plaintext), prefix=_recognisable(plaintext),
        )
        return token, plaintext

    @classmethod
    def issue_for_organization(cls, organization, user, name: str = "") -> tuple[ApiToken, str]:
        """Create an organization auth token in Sentry's format:
        `sntrys_<base64 of {"iat", "url", "region_url", "org"}>_<secret>`."""
        payload = {
            "iat": time.time(), "url": settings.PUBLIC_URL, "region_url": settings.PUBLIC_URL,
            "org": organization.slug,
        }
        encoded = base64.b64encode(json.dumps(payload).encode()).decode()
        # 32 random bytes in standard base64 without padding: sentry-cli checks the length.
        secret = base64.b64encode(secrets.token_bytes(32)).decode().rstrip("=")
        plaintext = f"{ORG_PREFIX}{encoded}_{secret}"
        token = cls.objects.create(
            user=user, organization=organization, name=name,
            scopes=list(scope_names.ORG_TOKEN_SCOPES), token_hash=hash_token(plaintext),
            prefix=_recognisable(plaintext),
        )
        return token, plaintext
