"""Plain-function factories: explicit arguments, sensible defaults, no magic."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime

from django.contrib.auth import get_user_model

from tracker.models import Event, Issue, Member, Organization, Project, ProjectKey
from tracker.provisioning import create_organization, create_project

_counter = itertools.count(1)


def make_user(username: str = "", *, password: str = "pw", **fields):
    username = username or f"user{next(_counter)}"
    fields.setdefault("email", f"{username}@example.com")
    return get_user_model().objects.create_user(username, password=password, **fields)


def make_org(name: str = "", *, owner=None) -> Organization:
    name = name or f"Org {next(_counter)}"
    return create_organization(name, owner or make_user())


def make_member(org: Organization, user=None, role: str = Member.Role.MEMBER) -> Member:
    return Member.objects.create(organization=org, user=user or make_user(), role=role)


def make_project(org: Organization | None = None, name: str = "", **fields) -> Project:
    org = org or make_org()
    return create_project(org, name or f"Project {next(_counter)}", **fields)


def project_key(project: Project) -> ProjectKey:
    return project.keys.get()


def make_issue(project: Project, title: str = "ValueError: boom", **fields) -> Issue:
    now = fields.pop("now", None) or datetime.now(UTC)
    fields.setdefault("first_seen", now)
    fields.setdefault("last_seen", now)
    return Issue.objects.create(
        project=project, short_id=project.next_short_id(), title=title, **fields
    )


def make_event(issue: Issue, **fields) -> Event:
    now = datetime.now(UTC)
    fields.setdefault("event_id", uuid.uuid4())
    fields.setdefault("timestamp", now)
    fields.setdefault("received", now)
    fields.setdefault("data", {"message": "hello"})
    return Event.objects.create(project=issue.project, issue=issue, **fields)
