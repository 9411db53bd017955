"""Sentry's release routes, as `sentry-cli releases ...` and `deploys ...` call them.

Thin views: they find the objects (404 outside the token user's organizations, exactly like
objects that don't exist), validate the body, and call tracker/releases.py.
"""

from __future__ import annotations

import uuid

from django.db import transaction
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.exceptions import NotFound, ParseError, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from tracker import releases, suspect_commits
from tracker.access import get_membership, get_project
from tracker.api import release_serializers as out
from tracker.api import schema as S
from tracker.api.pagination import Cursor, keyset_page, link_header
from tracker.api.params import limit_param
from tracker.api.schema import array, documented
from tracker.api.scopes import scoped
from tracker.models import ApiToken, Event, Organization, Project, Release, Repository

RELEASES_PER_PAGE = 100
# Sentry's release routes accept any of these for reading, and `project:releases` (which the
# write and admin project scopes and CI's `org:ci` include) for changes.
READ = ("project:read", "project:releases")
WRITE = "project:releases"
READ_SCOPE = " or ".join(READ)  # as the docs name it
NOT_FOUND = "The requested resource does not exist"


@extend_schema(summary="The API index: who the request acts as", tags=["Releases"],
               responses={200: S.OBJECT}, operation_id="apiIndex")
@api_view(["GET"])
@permission_classes([AllowAny])
def index(request: Request) -> Response:
    """`GET /api/0/`: who the request is authenticated as (`sentry-cli info` reads it)."""
    user = request.user
    if user is None or not user.is_authenticated:
        return Response({"version": "0", "auth": None, "user": None})
    auth = {"scopes": request.auth.scopes} if isinstance(request.auth, ApiToken) else None
    return Response({"version": "0", "auth": auth, "user": out.serialize_user(user)})


def _organization(request: Request, org_slug: str) -> Organization:
    return get_membership(request.user, org_slug).organization


def _release(request: Request, org_slug: str, version: str) -> Release:
    release = Release.objects.filter(
        organization=_organization(request, org_slug), version=version
    ).first()
    if release is None:
        raise Http404(NOT_FOUND)
    return release


def _release_json(release: Release) -> dict:
    facts = releases.facts_for([release])[release.pk]
    return out.serialize_release(release, facts, list(release.projects.order_by("slug")))


def _release_list(request: Request, rows) -> Response:
    query = request.query_params.get("query")
    if query:
        rows = rows.filter(version__icontains=query)
    cursor = Cursor.parse(request.query_params.get("cursor"))
    page, has_more = keyset_page(rows, "created", cursor,
                                 limit_param(request, default=RELEASES_PER_PAGE))
    facts = releases.facts_for(page)
    projects: dict[int, list[Project]] = {r.pk: [] for r in page}
    for link in Release.projects.through.objects.filter(release__in=page).select_related(
            "project").order_by("project__slug"):
        projects[link.release_id].append(link.project)
    response = Response([out.serialize_release(r, facts[r.pk], projects[r.pk]) for r in page])
    response["Link"] = link_header(request, page, "created", cursor, has_more)
    return response


def _valid(serializer_class, data, **kwargs) -> dict:
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _projects(organization: Organization, slugs) -> list[Project]:
    try:
        return releases.projects_by_slug(organization, slugs)
    except releases.ReleaseError as error:
        raise ParseError(str(error)) from None


def _apply_commits(release: Release, data: dict) -> None:
    """`commits` (the local git history) or else `refs` (head commits by repository)."""
    try:
        if "commits" in data:
            fallback = f"organization-{release.organization_id}"  # Sentry's name for it
            releases.set_commits(release, [out.CommitInput().to_commit(c, fallback)
                                           for c in data["commits"]])
        elif "refs" in data:
            releases.set_refs(release, [
                releases.Ref(r["repository"], r["commit"], r.get("previousCommit") or None)
                for r in data["refs"]
            ])
    except releases.ReleaseError as error:
        raise ValidationError({"refs": [str(error)]}) from None


@documented("GET", "List an Organization's Releases", READ_SCOPE, array(S.OBJECT),
            paged=True, tag="Releases", parameters=[S.CURSOR, S.LIMIT, S.PROJECTS])
@documented("POST", "Create a New Release for an Organization", WRITE, S.OBJECT, status=201,
            request=out.ReleaseCreate, tag="Releases", also={208: S.OBJECT},
            bad_request=S.FIELD_ERRORS)
@api_view(["GET", "POST"])
@scoped(GET=READ, POST=WRITE)
def organization_releases(request: Request, org_slug: str) -> Response:
    organization = _organization(request, org_slug)
    if request.method == "GET":
        rows = Release.objects.filter(organization=organization)
        project_ids = [p for p in request.query_params.getlist("project") if p.isdigit()]
        if project_ids:
            rows = rows.filter(projects__in=project_ids).distinct()
        return _release_list(request, rows)

    data = _valid(out.ReleaseCreate, request.data)
    with transaction.atomic():
        release, changed = releases.create_release(
            organization, data["version"], _projects(organization, data["projects"]),
            url=data.get("url") or "", ref=data.get("ref") or "",
            date_started=data.get("dateStarted"), date_released=data.get("dateReleased"),
        )
        _apply_commits(release, data)
        if changed:
            releases.resolve_fixed_issues(release)
    # Sentry's answer to a repeated `releases new`: 208 Already Reported, same body.
    code = status.HTTP_201_CREATED if changed else status.HTTP_208_ALREADY_REPORTED
    return Response(_release_json(release), status=code)


@documented("GET", "List a Project's Releases", READ_SCOPE, array(S.OBJECT), paged=True,
            tag="Releases", parameters=[S.CURSOR, S.LIMIT])
@api_view(["GET"])
@scoped(GET=READ)
def project_releases(request: Request, org_slug: str, project_slug: str) -> Response:
    project = get_project(request.user, org_slug, project_slug)
    return _release_list(request, Release.objects.filter(projects=project))


@documented("GET", "Retrieve an Organization's Release", READ_SCOPE, S.OBJECT,
            tag="Releases")
@documented("PUT", "Update an Organization's Release", WRITE, S.OBJECT,
            request=out.ReleaseChanges, tag="Releases", bad_request=S.FIELD_ERRORS)
@documented("DELETE", "Delete an Organization's Release", WRITE, None, status=204,
            tag="Releases")
@api_view(["GET", "PUT", "DELETE"])
@scoped(GET=READ, PUT=WRITE, DELETE=WRITE)
def organization_release(request: Request, org_slug: str, version: str) -> Response:
    release = _release(request, org_slug, version)
    if request.method == "GET":
        return Response(_release_json(release))
    if request.method == "DELETE":
        try:
            releases.delete_release(release)
        except releases.ReleaseError as error:
            raise ParseError(str(error)) from None
        return Response(status=status.HTTP_204_NO_CONTENT)

    # Every field is optional already; `partial` would also waive the required fields of
    # each commit and ref.
    data = _valid(out.ReleaseChanges, request.data)
    was_finalized = release.date_released is not None
    with transaction.atomic():
        releases.update_release(
            release, url=data.get("url"), ref=data.get("ref"),
            date_released=data.get("dateReleased"),
            projects=_projects(release.organization, data["projects"])
            if data.get("projects") else (),
        )
        _apply_commits(release, data)
        # `fixes SHORT-ID` takes effect when the release is finalized, or when a finalized
        # release gets its commits (`releases new --finalize`, then `set-commits`).
        if not was_finalized or "commits" in data or "refs" in data:
            releases.resolve_fixed_issues(release)
    return Response(_release_json(release))


@documented("GET", "List an Organization Release's Commits", READ_SCOPE, array(S.OBJECT),
            tag="Releases")
@api_view(["GET"])
@scoped(GET=READ)
def release_commits(request: Request, org_slug: str, version: str) -> Response:
    release = _release(request, org_slug, version)
    commits = list(releases.release_commits(release))
    users = releases.members_by_email(release.organization_id,
                                      [c.author_email for c in commits])
    return Response([out.serialize_commit(c, users) for c in commits])


@documented("GET", "Retrieve Files Changed in a Release's Commits", READ_SCOPE,
            array(S.OBJECT), tag="Releases")
@api_view(["GET"])
@scoped(GET=READ)
def release_commit_files(request: Request, org_slug: str, version: str) -> Response:
    release = _release(request, org_slug, version)
    changes = list(releases.release_file_changes(release))
    users = releases.members_by_email(release.organization_id,
                                      {f.commit.author_email for f in changes})
    return Response([out.serialize_file_change(f, users) for f in changes])


@documented("GET", "Retrieve the Previous Release with Commits", READ_SCOPE, S.OBJECT,
            tag="Releases")
@api_view(["GET"])
@scoped(GET=READ)
def previous_release_with_commits(request: Request, org_slug: str, version: str) -> Response:
    """The previous release with commits, or `{}` (sentry-cli reads an empty object as none)."""
    previous = releases.previous_with_commits(_release(request, org_slug, version))
    return Response(_release_json(previous) if previous else {})


@documented("GET", "List a Release's Deploys", READ_SCOPE, array(S.OBJECT),
            tag="Releases")
@documented("POST", "Create a Deploy", WRITE, S.OBJECT, status=201,
            request=out.DeployCreate, tag="Releases", bad_request=S.FIELD_ERRORS)
@api_view(["GET", "POST"])
@scoped(GET=READ, POST=WRITE)
def release_deploys(request: Request, org_slug: str, version: str) -> Response:
    release = _release(request, org_slug, version)
    if request.method == "GET":
        deploys = release.deploys.select_related("environment")
        return Response([out.serialize_deploy(d) for d in deploys])
    data = _valid(out.DeployCreate, request.data)
    try:
        deploy = releases.create_deploy(
            release, data["environment"], name=data.get("name") or "",
            url=data.get("url") or "", date_started=data.get("dateStarted"),
            date_finished=data.get("dateFinished"), project_slugs=data.get("projects"),
        )
    except releases.ReleaseError as error:
        raise ValidationError({"projects": [str(error)]}) from None
    return Response(out.serialize_deploy(deploy), status=status.HTTP_201_CREATED)


@documented("GET", "List an Organization's Repositories", "org:read or project:releases",
            array(S.OBJECT), tag="Releases")
@api_view(["GET"])
@scoped(GET=("org:read", "project:releases"))
def organization_repositories(request: Request, org_slug: str) -> Response:
    organization = _organization(request, org_slug)
    repositories = Repository.objects.filter(organization=organization).order_by("name")
    return Response([out.serialize_repository(r) for r in repositories])


@api_view(["GET"])
@scoped(GET="event:read")
def event_committers(request: Request, org_slug: str, project_slug: str,
                     event_id: str) -> Response:
    """Sentry's committers of an event: the suspect commits grouped by author, best first
    (tracker/suspect_commits.py), each commit with its `score`."""
    project = get_project(request.user, org_slug, project_slug)
    try:
        wanted = uuid.UUID(event_id)
    except ValueError:
        raise NotFound("No such event.") from None
    event = Event.objects.filter(project=project, event_id=wanted).select_related(
        "issue__first_release", "issue__project").first()
    if event is None:
        raise NotFound("No such event.")
    if event.issue.first_release is None:
        raise NotFound("Release not found")
    committers: dict[str, dict] = {}
    for suspect in suspect_commits.suspects(event.issue, event):
        commit = suspect.commit
        who = (f"user:{suspect.user.pk}" if suspect.user is not None
               else commit.author_email.lower() or commit.author_name)
        users = {commit.author_email.lower(): suspect.user} if suspect.user else {}
        entry = committers.setdefault(who, {
            "author": out.author(commit.author_name, commit.author_email, users),
            "commits": [],
        })
        entry["commits"].append({**out.serialize_commit(commit, users),
                                 "suspectCommitType": "via commit in release",
                                 "score": suspect.score})
    return Response({"committers": list(committers.values())})
