"""Browser-facing hardening: the headers every page carries, the cookies, HSTS over HTTPS, and a
SECRET_KEY that must be given once Errata is reachable from elsewhere.

The environment-driven settings are read in a fresh process each, as a deployment would."""

import json
import os
import subprocess
import sys

import pytest
from django.test import override_settings

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHOW = (
    "import json, django; from django.conf import settings; django.setup(); print(json.dumps({"
    "'secure': settings.SESSION_COOKIE_SECURE, 'csrf_secure': settings.CSRF_COOKIE_SECURE, "
    "'hsts': settings.SECURE_HSTS_SECONDS, 'httponly': settings.SESSION_COOKIE_HTTPONLY, "
    "'csrf_httponly': settings.CSRF_COOKIE_HTTPONLY, 'samesite': settings.SESSION_COOKIE_SAMESITE,"
    "'key': settings.SECRET_KEY}))"
)


def settings_under(tmp_path, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items()
             if k not in ("SECRET_KEY", "PUBLIC_URL", "HSTS_SECONDS")}
    return subprocess.run(
        [sys.executable, "-c", SHOW], cwd=ROOT, capture_output=True, text=True, check=False,
        env={**clean, "DJANGO_SETTINGS_MODULE": "tracker.settings",
             "ERRATA_VAR_DIR": str(tmp_path), **env},
    )


def shown(result: subprocess.CompletedProcess) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_embedded_default_generates_and_keeps_a_key(tmp_path):
    first = shown(settings_under(tmp_path))
    assert len(first["key"]) >= 50
    assert shown(settings_under(tmp_path))["key"] == first["key"]
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    # Plain HTTP on this machine: cookies cannot be Secure, no HSTS.
    assert first["secure"] is False and first["hsts"] == 0
    assert first["httponly"] and first["csrf_httponly"] and first["samesite"] == "Lax"


def test_a_public_address_requires_a_secret_key(tmp_path):
    result = settings_under(tmp_path, PUBLIC_URL="https://errata.example.com")
    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr
    assert not (tmp_path / "secret_key").exists()


def test_the_example_placeholder_is_refused(tmp_path):
    result = settings_under(tmp_path, SECRET_KEY="change-me-to-a-long-random-string")
    assert result.returncode != 0
    assert "placeholder" in result.stderr


def test_https_makes_cookies_secure_and_turns_on_hsts(tmp_path):
    values = shown(settings_under(tmp_path, PUBLIC_URL="https://errata.example.com",
                                  SECRET_KEY="k" * 50))
    assert values["key"] == "k" * 50
    assert values["secure"] and values["csrf_secure"]
    assert values["hsts"] == 365 * 24 * 3600
    values = shown(settings_under(tmp_path, PUBLIC_URL="https://errata.example.com",
                                  SECRET_KEY="k" * 50, HSTS_SECONDS="0"))
    assert values["hsts"] == 0


@pytest.mark.django_db
def test_pages_carry_the_security_headers(client):
    response = client.get("/login/")
    assert response.status_code == 200
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "Strict-Transport-Security" not in response.headers


@pytest.mark.django_db
@override_settings(SECURE_HSTS_SECONDS=31536000, SESSION_COOKIE_SECURE=True,
                   CSRF_COOKIE_SECURE=True)
def test_over_https_hsts_is_sent_and_cookies_are_secure(client, user):
    response = client.get("/login/", secure=True)
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    response = client.post("/login/", {"username": "alice", "password": "pw"}, secure=True)
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"
    # Without TLS (a request the proxy did not mark as HTTPS) no HSTS: browsers ignore it there.
    assert "Strict-Transport-Security" not in client.get("/login/").headers
