"""Token scopes: a token reaches what its scopes name and no more; an organization auth token
(`sntrys_`) reaches its organization's releases only, and carries the server URL and
organization for sentry-cli."""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess

import pytest
from django.core.management import CommandError, call_command

from tests.factories import make_org, make_project, make_user
from tests.tracker.test_api_releases import SENTRY_CLI
from tracker import scopes
from tracker.api.urls import urlpatterns
from tracker.models import ApiToken, Member, Release


def scoped_token(user, *wanted: str) -> str:
    out = io.StringIO()
    call_command("create_token", user.username, "--scopes", ",".join(wanted), stdout=out)
    return out.getvalue().strip()


def call(client, method: str, path: str, token: str, body=None):
    return getattr(client, method)(
        f"/api/0/{path}", data=json.dumps(body) if body is not None else None,
        content_type="application/json", headers={"Authorization": f"Bearer {token}"},
    )


def test_scopes_include_lower_levels_of_their_resource():
    assert scopes.expand(["project:admin"]) >= {"project:read", "project:write",
                                                "project:releases"}
    assert "event:read" not in scopes.expand(["project:admin"])
    assert scopes.expand(["org:ci"]) == {"org:ci", "org:read", "project:read",
                                         "project:releases"}
    assert scopes.expand(["event:read"]) == {"event:read"}


@pytest.mark.django_db
def test_a_token_reaches_what_its_scopes_name(client, project):
    user = project.organization.members.get().user
    reader = scoped_token(user, "event:read")
    assert call(client, "get", "projects/acme/shop/issues/", reader).status_code == 200
    refused = call(client, "post", "organizations/acme/releases/", reader,
                   {"version": "1.0", "projects": ["shop"]})
    assert refused.status_code == 403
    assert "project:releases" in refused.json()["detail"]
    assert not Release.objects.exists()

    releaser = scoped_token(user, "project:releases")
    assert call(client, "post", "organizations/acme/releases/", releaser,
                {"version": "1.0", "projects": ["shop"]}).status_code == 201
    denied = call(client, "get", "projects/acme/shop/issues/", releaser)
    assert denied.status_code == 403 and "event:read" in denied.json()["detail"]
    index = call(client, "get", "", releaser).json()
    assert index["auth"]["scopes"] == ["project:releases"]


@pytest.mark.django_db
def test_scopes_never_widen_the_user(client, project):
    """A token's scopes narrow its user; another organization stays a 404 whatever the
    scopes say."""
    other = make_org("Other", owner=make_user("mallory"))
    make_project(other, "Secret", slug="secret")
    user = project.organization.members.get().user
    token = scoped_token(user, *(s for s in scopes.ALL if s != "org:ci"))
    assert call(client, "get", "projects/other/secret/issues/", token).status_code == 404


@pytest.mark.django_db
def test_create_token_refuses_unknown_scopes(project):
    user = project.organization.members.get().user
    with pytest.raises(CommandError, match="unknown scope"):
        scoped_token(user, "project:everything")


@pytest.mark.django_db
def test_every_api_route_declares_its_scopes():
    """A route without declared scopes would refuse tokens; one that means to be open to
    tokens must say which scope it needs."""
    for pattern in urlpatterns:
        view_class = getattr(pattern.callback, "cls", None)
        if pattern.name == "api-index":
            continue
        assert view_class is not None, pattern.name
        declared = [getattr(p, "required", None) for p in view_class.permission_classes]
        assert any(declared), pattern.name


@pytest.mark.django_db
def test_organization_token_format_and_reach(client, project, settings):
    settings.PUBLIC_URL = "https://errata.example.com"
    org = project.organization
    other = make_org("Other", owner=org.members.get().user)
    make_project(other, "Web", slug="web")
    _, token = ApiToken.issue_for_organization(org, org.members.get().user, "CI")

    prefix, payload, secret = token.split("_")
    assert prefix == "sntrys" and secret
    claims = json.loads(base64.b64decode(payload))
    assert claims["url"] == "https://errata.example.com" and claims["org"] == "acme"

    assert call(client, "post", "organizations/acme/releases/", token,
                {"version": "1.0", "projects": ["shop"]}).status_code == 201
    # Its own organization's releases only: not issues, not another organization.
    assert call(client, "get", "projects/acme/shop/issues/", token).status_code == 403
    assert call(client, "post", "organizations/other/releases/", token,
                {"version": "1.0", "projects": ["web"]}).status_code == 404


@pytest.mark.django_db
def test_organization_token_stops_when_its_creator_leaves(client, project):
    org = project.organization
    creator = org.members.get().user
    _, token = ApiToken.issue_for_organization(org, creator, "CI")
    Member.objects.filter(user=creator).delete()
    assert call(client, "get", "organizations/acme/releases/", token).status_code == 404


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_sentry_cli_needs_only_an_organization_token(errata_server, project, tmp_path, settings):
    """The token alone tells sentry-cli where the server is and which organization to use."""
    settings.PUBLIC_URL = errata_server
    org = project.organization
    _, token = ApiToken.issue_for_organization(org, org.members.get().user, "CI")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SENTRY_", "GITHUB_"))}
    env.update(SENTRY_AUTH_TOKEN=token, SENTRY_DISABLE_UPDATE_CHECK="1", HOME=str(tmp_path))
    result = subprocess.run(
        [str(SENTRY_CLI), "--log-level=debug", "releases", "new", "-p", "shop", "ci-1.0"],
        env=env, cwd=tmp_path,
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert Release.objects.filter(organization=org, version="ci-1.0").exists()
