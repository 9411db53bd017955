"""The OpenAPI description: served, valid, covering every API route, and exact: schemathesis
drives every operation of a live server with a scoped token and finds no server error and no
response outside the schema (status, content type, body, headers)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factories import make_event, make_issue, make_org, make_project, make_user
from tracker import actions
from tracker.api.urls import urlpatterns
from tracker.models import ApiToken, IssueHash, IssueTag, Release, Team

ROOT = Path(__file__).resolve().parents[2]
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


@pytest.mark.django_db
def test_schema_is_served_and_covers_every_route(client):
    response = client.get("/api/0/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    assert schema["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer",
        "description": "A personal (`sntryu_`) or organization (`sntrys_`) token."}
    paths = set(schema["paths"])
    for pattern in urlpatterns:
        route = "/api/0/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", str(pattern.pattern))
        assert route in paths, route
    operation = schema["paths"]["/api/0/issues/{issue_id}/"]["put"]
    assert operation["description"] == "Needs the `event:write` scope."
    assert {"200", "204", "400", "401", "403", "404", "429"} <= set(operation["responses"])
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert "resolvedInNextRelease" in body["properties"]["status"]["enum"]


# Routes that arrived with the administration, alert-rule, release-health, source-map and
# attachment work: in the schema with drf-spectacular's inferred shapes, not yet annotated with
# `documented(...)`, so schemathesis does not drive them yet. The list may only shrink: a new
# route must be documented.
NOT_YET_DOCUMENTED = {
    "GET /api/0/", "GET /api/0/organizations/", "GET /api/0/organizations/{org_slug}/",
    "POST /api/0/organizations/{org_slug}/artifactbundle/assemble/",
    "GET /api/0/organizations/{org_slug}/audit-logs/",
    "GET /api/0/organizations/{org_slug}/chunk-upload/",
    "POST /api/0/organizations/{org_slug}/chunk-upload/",
    "GET /api/0/organizations/{org_slug}/members/",
    "POST /api/0/organizations/{org_slug}/members/",
    "GET /api/0/organizations/{org_slug}/members/{member_id}/",
    "PUT /api/0/organizations/{org_slug}/members/{member_id}/",
    "DELETE /api/0/organizations/{org_slug}/members/{member_id}/",
    "POST /api/0/organizations/{org_slug}/members/{member_id}/teams/{team_slug}/",
    "DELETE /api/0/organizations/{org_slug}/members/{member_id}/teams/{team_slug}/",
    "GET /api/0/organizations/{org_slug}/sessions/",
    "GET /api/0/organizations/{org_slug}/teams/", "POST /api/0/organizations/{org_slug}/teams/",
    "GET /api/0/projects/{org_slug}/{project_slug}/",
    "PUT /api/0/projects/{org_slug}/{project_slug}/",
    "DELETE /api/0/projects/{org_slug}/{project_slug}/",
    "GET /api/0/projects/{org_slug}/{project_slug}/events/{event_id}/attachments/",
    "GET /api/0/projects/{org_slug}/{project_slug}/events/{event_id}/attachments/"
    "{attachment_id}/",
    "GET /api/0/projects/{org_slug}/{project_slug}/events/{event_id}/committers/",
    "GET /api/0/projects/{org_slug}/{project_slug}/keys/",
    "POST /api/0/projects/{org_slug}/{project_slug}/keys/",
    "GET /api/0/projects/{org_slug}/{project_slug}/keys/{key_id}/",
    "PUT /api/0/projects/{org_slug}/{project_slug}/keys/{key_id}/",
    "DELETE /api/0/projects/{org_slug}/{project_slug}/keys/{key_id}/",
    "GET /api/0/projects/{org_slug}/{project_slug}/rules/",
    "POST /api/0/projects/{org_slug}/{project_slug}/rules/",
    "GET /api/0/projects/{org_slug}/{project_slug}/rules/{rule_id}/",
    "PUT /api/0/projects/{org_slug}/{project_slug}/rules/{rule_id}/",
    "DELETE /api/0/projects/{org_slug}/{project_slug}/rules/{rule_id}/",
    "POST /api/0/teams/{org_slug}/{team_slug}/projects/",
}


@pytest.mark.django_db
def test_every_new_route_is_documented(client):
    schema = json.loads(client.get("/api/0/schema/", {"format": "json"}).content)
    undocumented = {
        f"{method.upper()} {path}" for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if not operation.get("description", "").startswith("Needs the")
    }
    assert undocumented <= NOT_YET_DOCUMENTED, sorted(undocumented - NOT_YET_DOCUMENTED)


@pytest.mark.django_db
def test_docs_page_is_served_without_a_cdn(client):
    response = client.get("/api/0/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    # The page's own script is a file (no inline script under the Content-Security-Policy);
    # it names the schema.
    script = client.get("/api/0/docs/", {"script": ""})
    assert script.status_code == 200 and "/api/0/schema/" in script.content.decode()
    for text in (html, script.content.decode()):
        assert "cdn." not in text and "unpkg" not in text and "jsdelivr" not in text


def _world():
    """An organization with something on every route, and a second one to stay out of."""
    owner = make_user("schema-owner")
    org = make_org("Acme", owner=owner)
    project = make_project(org, "Shop", slug="shop", platform="python")
    Team.objects.create(organization=org, name="Backend", slug="backend")
    Release.objects.create(organization=org, version="1.0").projects.add(project)
    issues = [make_issue(project, f"ValueError: {i}", times_seen=3) for i in range(4)]
    main = issues[0]
    IssueHash.objects.create(project=project, hash="a" * 32, issue=main)
    IssueTag.objects.create(issue=main, key="browser", value="Firefox", times_seen=3,
                            first_seen=main.first_seen, last_seen=main.last_seen)
    event = make_event(main, data={
        "logentry": {"formatted": "boom"}, "tags": [["browser", "Firefox"]],
        "exception": {"values": [{"type": "ValueError", "value": "boom", "stacktrace": {
            "frames": [{"filename": "shop.py", "function": "buy", "lineno": 3,
                        "in_app": True}]}}]},
        "user": {"id": "1"}, "sdk": {"name": "sentry.python", "version": "2.0"}})
    note = actions.comment(main, owner, "looking")
    other = make_project(make_org("Globex", owner=make_user("schema-other")), "Vault",
                         slug="vault")
    make_issue(other)
    _, token = ApiToken.issue(owner, "schemathesis")
    return {"token": token, "main": main, "spare": issues[-1], "event": event, "note": note}


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_schemathesis_finds_no_server_error_and_no_schema_violation(errata_server, tmp_path):
    world = _world()
    main, spare = world["main"].pk, world["spare"].pk
    # Real objects for the path parameters; the destructive operations get the spare issue,
    # so the others keep finding something to answer with.
    config = f"""
[parameters]
"path.org_slug" = "acme"
"path.project_slug" = "shop"
"path.issue_id" = "{main}"
"path.event_id" = "{world['event'].event_id.hex}"
"path.key" = "browser"
"path.version" = "1.0"
"path.note_id" = "{world['note'].pk}"

[[operations]]
include-method = "DELETE"
parameters = {{ "path.issue_id" = "{spare}", "query.id" = "{spare}" }}
"""
    (tmp_path / "schemathesis.toml").write_text(config)
    report = tmp_path / "report.json"
    env = {**os.environ, "SCHEMATHESIS_HOOKS": ""}
    result = subprocess.run(
        [str(SCHEMATHESIS), "--config-file", str(tmp_path / "schemathesis.toml"), "run",
         f"{errata_server}/api/0/schema/", "--url", errata_server,
         "-H", f"Authorization: Bearer {world['token']}",
         # The operations annotated with `documented` (see NOT_YET_DOCUMENTED below).
         "--include-tag-regex", "^(Issues|Events|Releases|Organizations|Stats)$",
         "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,"
         "response_schema_conformance,response_headers_conformance",
         "--phases", "examples,coverage,fuzzing", "--max-examples", "8", "--workers", "1",
         # Under the server's per-token limit (40/s), so the operations are tested, not 429ed.
         "--rate-limit", "30/s", "--seed", "17", "--no-shrink", "--generation-database", "none",
         "--suppress-health-check", "all", "--report", "json",
         "--report-json-path", str(report), "--no-color"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=540, check=False,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "No issues found" in result.stdout or "passed" in result.stdout
