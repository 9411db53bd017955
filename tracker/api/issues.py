"""Issues in the API, on Sentry's routes: lists, detail, updates, bulk changes, merge, and
what hangs off one issue (events, tags, hashes, comments, activity, stats).

Thin views: the search is tracker.search (the pages' syntax), every state change goes through
tracker.actions (so the activity log and the pipeline's rules are the same whichever side
changed the issue), and the JSON is built by tracker.api.serializers.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum, Window
from django.db.models.functions import RowNumber
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework import status as http
from rest_framework.decorators import api_view
from rest_framework.exceptions import ParseError, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from tracker import actions, search
from tracker.access import get_membership, get_project, projects_for, visible_projects
from tracker.api import schema as S
from tracker.api import serializers
from tracker.api.events import (
    family_events,
    filtered,
    latest_event_of,
    neighbours,
    paged_events,
    parse_event_id,
    serialize_event_summary,
)
from tracker.api.pagination import Cursor, keyset_page, link_header
from tracker.api.params import as_id, limit_param, reject_nul, time_range
from tracker.api.schema import array, documented
from tracker.api.scopes import scoped
from tracker.models import (
    ApiToken,
    Issue,
    IssueActivity,
    IssueHash,
    IssueHourlyCount,
    IssueTag,
    IssueUserState,
    Member,
    Priority,
    Release,
    Team,
)

DEFAULT_QUERY = "is:unresolved"
# `sort` values as Sentry names them, and the column each orders by (descending).
SORTS = {"date": "last_seen", "new": "first_seen", "freq": "times_seen", "user": "users_seen"}
# Sentry's bulk mutations touch at most this many issues chosen by a query.
BULK_LIMIT = 1000
STATS_PERIODS = {"24h": (24, timedelta(hours=1)), "14d": (14, timedelta(days=1)),
                 "30d": (30, timedelta(days=1))}
# Bounds that keep the arithmetic and the columns in range.
MAX_IGNORE_MINUTES = 10 * 365 * 24 * 60
MAX_IGNORE_COUNT = 10**9
STATUSES = ("resolved", "resolvedInNextRelease", "unresolved", "ignored", "muted")
Kind = IssueActivity.Kind


# --- finding issues ------------------------------------------------------------------------

def _token_org_id(request: Request) -> int | None:
    return request.auth.organization_id if isinstance(request.auth, ApiToken) else None


def _visible(request: Request) -> QuerySet[Issue]:
    # The one access rule: open membership, or the member's teams' projects.
    issues = Issue.objects.filter(project__in=projects_for(request.user))
    org_id = _token_org_id(request)
    return issues.filter(project__organization_id=org_id) if org_id else issues


def get_issue(request: Request, issue_id: str, org_slug: str | None = None) -> Issue:
    """The issue by id (or by short id under an organization), 404 when the user can't see
    it. A merged issue answers as the issue it was merged into, as Sentry redirects."""
    issues = _visible(request)
    if org_slug is not None:
        issues = issues.filter(project__organization__slug=org_slug)
    if issue_id.isdigit():
        found = issues.filter(pk=as_id(issue_id) or 0)
    elif org_slug is not None:
        found = issues.filter(search.term_filter(search.Term("issue", issue_id), None,
                                                 timezone.now()) or Q(pk__in=[]))
        found = found.filter(project__slug=issue_id.rsplit("-", 1)[0].lower())
    else:
        raise Http404("No such issue.")
    issue = (
        found.select_related("project__organization", "assignee", "assignee_team",
                             "resolved_in_release", "first_release", "last_release")
        .first()
    )
    for _ in range(10):  # follow merges, as far as they go
        if issue is None or issue.merged_into_id is None:
            break
        issue = issues.filter(pk=issue.merged_into_id).select_related(
            "project__organization", "assignee", "assignee_team", "resolved_in_release",
            "first_release", "last_release").first()
    if issue is None:
        raise Http404("No such issue.")
    return issue


def _membership(request: Request, issue: Issue) -> Member:
    return get_membership(request.user, issue.project.organization.slug)


def _query(request: Request) -> Q:
    raw = request.query_params.get("query")
    parsed = search.parse(DEFAULT_QUERY if raw is None else raw[:1000])
    condition = search.to_filter(parsed, request.user)
    if parsed.errors:
        raise ParseError("; ".join(parsed.errors))
    environments = [e for e in request.query_params.getlist("environment") if e]
    if environments:
        condition &= Q(Exists(IssueTag.objects.filter(
            issue=OuterRef("pk"), key="environment", value__in=environments)))
    return condition


def _org_scope(request: Request, org_slug: str) -> tuple[Member, QuerySet[Issue]]:
    membership = get_membership(request.user, org_slug)
    issues = Issue.objects.filter(project__in=visible_projects(membership))
    wanted = [p for p in request.query_params.getlist("project") if p not in ("", "-1")]
    if wanted:
        if not all(as_id(p) for p in wanted):
            raise ParseError("project must be project ids")
        issues = issues.filter(project_id__in=[int(p) for p in wanted])
    return membership, issues


def _project_scope(request: Request, org_slug: str, project_slug: str
                   ) -> tuple[Member, QuerySet[Issue]]:
    project = get_project(request.user, org_slug, project_slug)
    return get_membership(request.user, org_slug), Issue.objects.filter(project=project)


# --- lists ---------------------------------------------------------------------------------

@documented("GET", "List a Project's Issues", "event:read", array(S.ISSUE), paged=True,
            parameters=[S.QUERY, S.STATS_PERIOD_STATS, S.SORT, S.CURSOR, S.LIMIT,
                        S.ENVIRONMENT])
@documented("PUT", "Bulk Mutate a Project's Issues", "event:write", S.BULK_RESULT,
            request=S.BULK_UPDATE, parameters=[S.IDS, S.QUERY], extra_statuses=(204,))
@documented("DELETE", "Bulk Remove a Project's Issues", "event:admin", None, status=204,
            parameters=[S.IDS, S.QUERY])
@api_view(["GET", "PUT", "DELETE"])
@scoped(GET="event:read", PUT="event:write", DELETE="event:admin")
def project_issues(request: Request, org_slug: str, project_slug: str) -> Response:
    """List a project's issues; bulk mutate or bulk remove them."""
    membership, issues = _project_scope(request, org_slug, project_slug)
    if request.method != "GET":
        return _bulk(request, membership, issues)
    stats_period = request.query_params.get("statsPeriod", "24h")
    return _list(request, issues, stats_period, None)


@documented("GET", "List an Organization's Issues", "event:read", array(S.ISSUE),
            paged=True, parameters=[S.QUERY, S.STATS_PERIOD, S.START, S.END, S.PROJECTS,
                                    S.GROUP_STATS_PERIOD, S.SORT, S.CURSOR, S.LIMIT,
                                    S.ENVIRONMENT])
@documented("PUT", "Bulk Mutate an Organization's Issues", "event:write", S.BULK_RESULT,
            request=S.BULK_UPDATE, parameters=[S.IDS, S.QUERY, S.PROJECTS],
            extra_statuses=(204,))
@documented("DELETE", "Bulk Remove an Organization's Issues", "event:admin", None,
            status=204, parameters=[S.IDS, S.QUERY, S.PROJECTS])
@api_view(["GET", "PUT", "DELETE"])
@scoped(GET="event:read", PUT="event:write", DELETE="event:admin")
def organization_issues(request: Request, org_slug: str) -> Response:
    """List an organization's issues (`statsPeriod`/`start`/`end` bound when they were
    seen); bulk mutate or bulk remove them."""
    membership, issues = _org_scope(request, org_slug)
    if request.method != "GET":
        return _bulk(request, membership, issues)
    stats_period = request.query_params.get("groupStatsPeriod", "24h")
    return _list(request, issues, stats_period, time_range(request, default="14d"))


def _list(request: Request, issues: QuerySet[Issue], stats_period: str,
          seen: tuple[datetime, datetime] | None) -> Response:
    limit = limit_param(request)
    sort = request.query_params.get("sort", "date")
    column = SORTS.get(sort)
    if column is None:
        raise ParseError(f"sort must be one of {', '.join(SORTS)}")
    if stats_period == "auto":
        stats_period = "24h"
    if stats_period and stats_period not in STATS_PERIODS:
        raise ParseError(f"the stats period must be one of {', '.join(STATS_PERIODS)} or empty")
    cursor = Cursor.parse(request.query_params.get("cursor"))
    issues = issues.exclude(status=Issue.Status.MERGED).filter(_query(request))
    if seen is not None:
        issues = issues.filter(last_seen__gte=seen[0], first_seen__lte=seen[1])
    issues = issues.select_related("project__organization", "assignee", "assignee_team",
                                   "resolved_in_release").defer("search_text")
    page, has_more = keyset_page(issues, column, cursor, limit)
    response = Response(serialize_issues(page, request.user, stats_period))
    response["Link"] = link_header(request, page, column, cursor, has_more)
    return response


def serialize_issues(issues: list[Issue], user, stats_period: str = "") -> list[dict]:
    """Issues as Sentry lists them: a few queries for the whole page, not per issue."""
    comments = _comment_counts(issues)
    states = _user_states(issues, user)
    stats = hourly_stats([i.pk for i in issues], stats_period) if stats_period else {}
    return [
        serializers.serialize_issue(
            issue, comments.get(issue.pk, 0),
            has_seen=states.get(issue.pk, (False, False))[0],
            is_bookmarked=states.get(issue.pk, (False, False))[1],
            stats={stats_period: stats[issue.pk]} if stats_period else None,
        )
        for issue in issues
    ]


def _comment_counts(page: list[Issue]) -> dict[int, int]:
    if not page:
        return {}
    rows = (
        IssueActivity.objects.filter(issue__in=page, kind=Kind.COMMENT)
        .values("issue_id").annotate(n=Count("id"))
    )
    return {row["issue_id"]: row["n"] for row in rows}


def _user_states(page: list[Issue], user) -> dict[int, tuple[bool, bool]]:
    if not page:
        return {}
    rows = IssueUserState.objects.filter(issue__in=page, user=user).values_list(
        "issue_id", "last_seen", "bookmarked")
    return {pk: (seen is not None, bookmarked) for pk, seen, bookmarked in rows}


def hourly_stats(issue_ids: list[int], period: str,
                 now: datetime | None = None) -> dict[int, list[list[int]]]:
    """`[[epoch seconds, events], ...]` per issue, oldest bucket first: 24 hours or 14/30
    days, as Sentry's `stats` field. Read from the hourly counters, one query."""
    buckets, step = STATS_PERIODS[period]
    return bucketed_counts(issue_ids, step, buckets, now)


def bucketed_counts(issue_ids: list[int], step: timedelta, buckets: int,
                    now: datetime | None = None, end: datetime | None = None
                    ) -> dict[int, list[list[int]]]:
    end = end or now or timezone.now()
    last = _floor(end, step)
    first = last - step * (buckets - 1)
    totals = {pk: [0] * buckets for pk in issue_ids}
    if issue_ids:
        rows = IssueHourlyCount.objects.filter(
            issue_id__in=issue_ids, hour__gte=first, hour__lt=last + step
        ).values_list("issue_id", "hour", "count")
        for pk, hour, count in rows:
            index = int((hour - first) // step)
            if 0 <= index < buckets:
                totals[pk][index] += count
    return {
        pk: [[int((first + step * i).timestamp()), n] for i, n in enumerate(counts)]
        for pk, counts in totals.items()
    }


def _floor(moment: datetime, step: timedelta) -> datetime:
    moment = moment.replace(minute=0, second=0, microsecond=0)
    return moment.replace(hour=0) if step >= timedelta(days=1) else moment


# --- bulk changes --------------------------------------------------------------------------

def _selected(request: Request, issues: QuerySet[Issue]) -> list[Issue]:
    """The issues named by `id` (repeated), or else the ones `query` finds (at most 1,000)."""
    ids = request.query_params.getlist("id")
    if ids:
        if not all(as_id(i) for i in ids):
            raise ParseError("id must be issue ids")
        chosen = issues.filter(pk__in=[int(i) for i in ids])
    else:
        chosen = issues.filter(_query(request))
    return list(chosen.exclude(status=Issue.Status.MERGED).select_related(
        "project__organization").order_by("-last_seen", "-pk")[:BULK_LIMIT])


def _bulk(request: Request, membership: Member, issues: QuerySet[Issue]) -> Response:
    chosen = _selected(request, issues)
    if not chosen:
        return Response(status=http.HTTP_204_NO_CONTENT)
    if request.method == "DELETE":
        _require_manager(membership)
        actions.delete(chosen, request.user)
        return Response(status=http.HTTP_204_NO_CONTENT)
    return Response(update_issues(request, membership, chosen, request.data, bulk=True))


def _require_manager(membership: Member) -> None:
    if not membership.can_manage:
        raise PermissionDenied("Only owners and admins delete issues.")


def update_issues(request: Request, membership: Member, issues: list[Issue], data,
                  *, bulk: bool) -> dict:
    """Apply Sentry's mutation fields to scoped issues; return what was changed, as Sentry's
    bulk mutation answers."""
    if not isinstance(data, dict):
        raise ParseError("the body must be a JSON object")
    reject_nul(data)
    user = request.user
    result: dict = {}
    try:
        if data.get("merge") in (True, 1, "1", "true"):
            if not bulk:
                raise ParseError("merge issues through the bulk route")
            target = actions.merge(issues, user)
            result["merge"] = {"parent": str(target.pk), "children": [
                str(i.pk) for i in issues if i.pk != target.pk]}
            return result
        if data.get("discard") in (True, "true"):
            _require_manager(membership)
            actions.delete_and_discard(issues, user)
            return {"discard": True}
        if "status" in data:
            result.update(_set_status(issues, user, data["status"],
                                      data.get("statusDetails") or {}))
        if "assignedTo" in data:
            result["assignedTo"] = _assign(issues, user, membership, data["assignedTo"])
        if "priority" in data:
            result["priority"] = _set_priority(issues, user, data["priority"])
        for field, column in (("hasSeen", "last_seen"), ("isBookmarked", "bookmarked")):
            if field in data:
                result[field] = _set_user_state(issues, user, column, data[field])
    except actions.ActionError as error:
        raise ParseError(str(error)) from None
    for ignored in ("isPublic", "isSubscribed"):
        if ignored in data:
            result[ignored] = False
    return result


def _set_status(issues: list[Issue], user, status, details) -> dict:
    if status not in STATUSES:
        raise ParseError(f"status must be one of {', '.join(STATUSES)}")
    if not isinstance(details, dict):
        raise ParseError("statusDetails must be an object")
    if status == "resolvedInNextRelease" or (
        status == "resolved" and details.get("inNextRelease")
    ):
        actions.resolve_in_next_release(issues, user)
        return {"status": "resolved", "statusDetails": {"inNextRelease": True}}
    if status == "resolved" and details.get("inRelease"):
        version = details["inRelease"]
        release = _release(issues, version)
        actions.resolve_in_release(issues, user, release)
        return {"status": "resolved", "statusDetails": {"inRelease": release.version}}
    if status == "resolved":
        actions.resolve(issues, user)
        return {"status": "resolved", "statusDetails": {}}
    if status == "unresolved":
        actions.unresolve(issues, user)
        return {"status": "unresolved", "statusDetails": {}}
    return _ignore(issues, user, details)


def _release(issues: list[Issue], version) -> Release:
    """`inRelease`: a version of the issues' project, or `latest`."""
    projects = {i.project_id for i in issues}
    if version == "latest" and len(projects) == 1:
        release = actions.latest_release(projects.pop())
    elif isinstance(version, str):
        release = Release.objects.filter(
            organization_id=issues[0].project.organization_id, version=version).first()
    else:
        release = None
    if release is None:
        raise ParseError(f"no release {version!r} to resolve in")
    return release


def _ignore(issues: list[Issue], user, details: dict) -> dict:
    unsupported = {"ignoreWindow", "ignoreUserCount", "ignoreUserWindow"} & set(details)
    if unsupported:
        raise ParseError(f"{', '.join(sorted(unsupported))} is not supported; use "
                         "ignoreDuration, ignoreUntil or ignoreCount")
    options: dict = {}
    answer: dict = {}
    duration = details.get("ignoreDuration")
    until = details.get("ignoreUntil")
    count = details.get("ignoreCount")
    if duration is not None:
        if not isinstance(duration, int) or isinstance(duration, bool) or not (
            1 <= duration <= MAX_IGNORE_MINUTES
        ):
            raise ParseError(f"ignoreDuration is a number of minutes, 1 to {MAX_IGNORE_MINUTES}")
        options["duration"] = timedelta(minutes=duration)
        answer["ignoreDuration"] = duration
    elif until is not None:
        try:
            moment = parse_datetime(until) if isinstance(until, str) else None
        except ValueError:
            moment = None
        if moment is not None and moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        if moment is None or not (
            timezone.now() < moment <= timezone.now() + timedelta(minutes=MAX_IGNORE_MINUTES)
        ):
            raise ParseError("ignoreUntil is a date and time in the future, within ten years")
        options["duration"] = moment - timezone.now()
    if count is not None:
        if not isinstance(count, int) or isinstance(count, bool) or not (
            1 <= count <= MAX_IGNORE_COUNT
        ):
            raise ParseError(f"ignoreCount is a number of events, 1 to {MAX_IGNORE_COUNT}")
        options["more_events"] = count
        answer["ignoreCount"] = count
    actions.ignore(issues, user, **options)
    if "duration" in options:
        answer["ignoreUntil"] = serializers.iso(timezone.now() + options["duration"])
    return {"status": "ignored", "statusDetails": answer}


def _assign(issues: list[Issue], user, membership: Member, value) -> dict | None:
    """`assignedTo`: a username, email or user id (`user:<id>` too), `team:<id>`, or
    empty/null to unassign."""
    org = membership.organization
    if value in (None, ""):
        actions.assign(issues, user)
        return None
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise ParseError("assignedTo must be a user, team:<id> or empty")
    value = str(value)
    if value.startswith(("team:", "#")):
        team_key = value[5:] if value.startswith("team:") else value[1:]
        teams = Team.objects.filter(organization=org)
        team = (teams.filter(pk=int(team_key)) if team_key.isdigit()
                else teams.filter(slug=team_key)).first()
        if team is None:
            raise ParseError("Unknown actor input: no such team in this organization")
        actions.assign(issues, user, team=team)
        return {"type": "team", "id": str(team.pk), "name": team.slug}
    key = value[5:] if value.startswith("user:") else value
    users = get_user_model().objects.filter(memberships__organization=org)
    lookup = Q(username__iexact=key) | Q(email__iexact=key)
    if key.isdigit():
        lookup |= Q(pk=int(key))
    assignee = users.filter(lookup).order_by("pk").first()
    if assignee is None:
        raise ParseError("Unknown actor input: no such member of this organization")
    actions.assign(issues, user, assignee=assignee)
    return {"type": "user", "id": str(assignee.pk), "name": assignee.get_username(),
            "email": assignee.email}


def _set_priority(issues: list[Issue], user, value) -> str:
    if value not in Priority.labels:
        raise ParseError(f"priority must be one of {', '.join(Priority.labels)}")
    actions.set_priority(issues, user, Priority.values[Priority.labels.index(value)])
    return value


def _set_user_state(issues: list[Issue], user, column: str, value) -> bool:
    if not isinstance(value, bool):
        raise ParseError("hasSeen and isBookmarked are true or false")
    stored = (timezone.now() if value else None) if column == "last_seen" else value
    for issue in issues:
        IssueUserState.objects.update_or_create(issue=issue, user=user,
                                                defaults={column: stored})
    return value


# --- one issue -----------------------------------------------------------------------------

@documented("GET", "Retrieve an Issue", "event:read", S.ISSUE_DETAIL)
@documented("PUT", "Update an Issue", "event:write", S.ISSUE_DETAIL, request=S.ISSUE_UPDATE,
            extra_statuses=(204,))
@documented("DELETE", "Remove an Issue", "event:admin", None, status=202)
@api_view(["GET", "PUT", "DELETE"])
@scoped(GET="event:read", PUT="event:write", DELETE="event:admin")
def organization_issue(request: Request, org_slug: str, issue_id: str) -> Response:
    return _issue_detail(request, get_issue(request, issue_id, org_slug))


@documented("GET", "Retrieve an Issue (without the organization)", "event:read",
            S.ISSUE_DETAIL)
@documented("PUT", "Update an Issue (without the organization)", "event:write",
            S.ISSUE_DETAIL, request=S.ISSUE_UPDATE, extra_statuses=(204,))
@documented("DELETE", "Remove an Issue (without the organization)", "event:admin", None,
            status=202)
@api_view(["GET", "PUT", "DELETE"])
@scoped(GET="event:read", PUT="event:write", DELETE="event:admin")
def issue(request: Request, issue_id: str) -> Response:
    return _issue_detail(request, get_issue(request, issue_id))


def _issue_detail(request: Request, issue: Issue) -> Response:
    membership = _membership(request, issue)
    if request.method == "DELETE":
        _require_manager(membership)
        actions.delete([issue], request.user)
        return Response(status=http.HTTP_202_ACCEPTED)
    if request.method == "PUT":
        result = update_issues(request, membership, [issue], request.data, bulk=False)
        if result.get("discard"):
            return Response(status=http.HTTP_204_NO_CONTENT)
        issue = get_issue(request, str(issue.pk))
    return Response(serialize_issue_detail(issue, request.user))


def serialize_issue_detail(issue: Issue, user) -> dict:
    """Sentry's "Retrieve an Issue": the list fields plus activity, releases, tags, stats."""
    [body] = serialize_issues([issue], user)
    stats = {
        "24h": hourly_stats([issue.pk], "24h")[issue.pk],
        "30d": hourly_stats([issue.pk], "30d")[issue.pk],
    }
    activity = (
        IssueActivity.objects.filter(issue=issue).select_related("user")
        .order_by("-created", "-pk")[:100]
    )
    seen_by = (
        IssueUserState.objects.filter(issue=issue, last_seen__isnull=False)
        .select_related("user").order_by("-last_seen")[:20]
    )
    body.update({
        "activity": [serialize_activity(a) for a in activity],
        "firstRelease": _release_summary(issue.first_release),
        "lastRelease": _release_summary(issue.last_release),
        "participants": [],
        "pluginActions": [], "pluginContexts": [], "pluginIssues": [],
        "seenBy": [{**serializers.serialize_user(s.user), "lastSeen": serializers.iso(
            s.last_seen)} for s in seen_by],
        "shareId": None,
        "stats": stats,
        "subscriptionDetails": None,
        "tags": [_tag_summary(t) for t in tag_keys(issue)],
        "userReportCount": 0,
    })
    return body


def _release_summary(release: Release | None) -> dict | None:
    if release is None:
        return None
    return {"version": release.version, "shortVersion": release.version,
            "dateCreated": serializers.iso(release.created)}


ACTIVITY_TYPES = {
    Kind.FIRST_SEEN: "first_seen", Kind.RESOLVED: "set_resolved",
    Kind.RESOLVED_IN_RELEASE: "set_resolved_in_release", Kind.UNRESOLVED: "set_unresolved",
    Kind.REGRESSION: "set_regression", Kind.IGNORED: "set_ignored",
    Kind.UNIGNORED: "set_unresolved", Kind.ASSIGNED: "assigned",
    Kind.UNASSIGNED: "unassigned", Kind.MERGED: "merge", Kind.UNMERGED: "unmerge_source",
    Kind.PRIORITY: "set_priority", Kind.COMMENT: "note",
}


def serialize_activity(activity: IssueActivity) -> dict:
    return {
        "id": str(activity.pk),
        "type": ACTIVITY_TYPES.get(activity.kind, activity.kind),
        "data": activity.data,
        "user": serializers.serialize_user(activity.user),
        "dateCreated": serializers.iso(activity.created),
    }


@documented("GET", "List an Issue's Activity", "event:read",
            S.obj({"activity": array(S.ACTIVITY)}), parameters=[S.LIMIT])
@api_view(["GET"])
@scoped(GET="event:read")
def issue_activities(request: Request, issue_id: str) -> Response:
    issue = get_issue(request, issue_id)
    rows = (
        IssueActivity.objects.filter(issue=issue).select_related("user")
        .order_by("-created", "-pk")[:limit_param(request, default=100)]
    )
    return Response({"activity": [serialize_activity(a) for a in rows]})


# --- comments (Sentry's notes) -------------------------------------------------------------

@documented("GET", "List an Issue's Comments", "event:read", array(S.ACTIVITY),
            paged=True, parameters=[S.CURSOR, S.LIMIT])
@documented("POST", "Add a Comment to an Issue", "event:read", S.ACTIVITY, status=201,
            request=S.COMMENT)
@api_view(["GET", "POST"])
@scoped(GET="event:read", POST="event:read")
def issue_comments(request: Request, issue_id: str) -> Response:
    issue = get_issue(request, issue_id)
    if request.method == "POST":
        text = request.data.get("text") if isinstance(request.data, dict) else None
        if not isinstance(text, str):
            raise ParseError("text is required")
        reject_nul(text, "text")
        try:
            note = actions.comment(issue, request.user, text)
        except actions.ActionError as error:
            raise ParseError(str(error)) from None
        return Response(serialize_activity(note), status=http.HTTP_201_CREATED)
    notes = (
        IssueActivity.objects.filter(issue=issue, kind=Kind.COMMENT).select_related("user")
        .order_by("-created", "-pk")
    )
    page, has_more = keyset_page(notes, "created", Cursor.parse(
        request.query_params.get("cursor")), limit_param(request, default=100))
    response = Response([serialize_activity(n) for n in page])
    response["Link"] = link_header(request, page, "created",
                                   Cursor.parse(request.query_params.get("cursor")), has_more)
    return response


@documented("DELETE", "Delete a Comment", "event:read", None, status=204)
@api_view(["DELETE"])
@scoped(DELETE="event:read")
def issue_comment(request: Request, issue_id: str, note_id: str) -> Response:
    """Only the comment's author deletes it, as in Sentry."""
    issue = get_issue(request, issue_id)
    note = IssueActivity.objects.filter(
        issue=issue, kind=Kind.COMMENT, pk=as_id(note_id) or 0).first()
    if note is None:
        raise Http404("No such comment.")
    if note.user_id != request.user.pk:
        raise PermissionDenied("Only its author deletes a comment.")
    note.delete()
    return Response(status=http.HTTP_204_NO_CONTENT)


# --- tags ----------------------------------------------------------------------------------

def tag_keys(issue: Issue, top: int = 9) -> list[dict]:
    """Each key of the issue's tags with its count of events, distinct values and top
    values (two queries)."""
    totals = {
        row["key"]: row
        for row in IssueTag.objects.filter(issue=issue).values("key").annotate(
            total=Count("id"), events=Sum("times_seen"))
    }
    tops: dict[str, list[IssueTag]] = {key: [] for key in totals}
    # Ranked in the database: a key like `user` can have tens of thousands of values.
    ranked = IssueTag.objects.filter(issue=issue).annotate(rank=Window(
        RowNumber(), partition_by=[F("key")],
        order_by=[F("times_seen").desc(), F("value").asc()])).filter(rank__lte=top)
    for tag in ranked.order_by("key", "rank"):
        tops[tag.key].append(tag)
    return [
        {"key": key, "totalValues": totals[key]["events"] or 0,
         "uniqueValues": totals[key]["total"], "topValues": tops[key]}
        for key in sorted(totals)
    ]


def _tag_value(tag: IssueTag) -> dict:
    return {"key": tag.key, "name": tag.value, "value": tag.value,
            "count": tag.times_seen, "lastSeen": serializers.iso(tag.last_seen),
            "firstSeen": serializers.iso(tag.first_seen)}


def _tag_summary(key: dict) -> dict:
    return {"key": key["key"], "name": _tag_name(key["key"]),
            "totalValues": key["totalValues"], "uniqueValues": key["uniqueValues"],
            "topValues": [_tag_value(t) for t in key["topValues"]]}


def _tag_name(key: str) -> str:
    return key.replace("_", " ").replace(".", " ").title()


@documented("GET", "List an Issue's Tags", "event:read", array(S.TAG),
            parameters=[S.TAG_KEYS])
@api_view(["GET"])
@scoped(GET="event:read")
def issue_tags(request: Request, issue_id: str) -> Response:
    issue = get_issue(request, issue_id)
    wanted = set(request.query_params.getlist("key"))
    keys = [k for k in tag_keys(issue) if not wanted or k["key"] in wanted]
    return Response([_tag_summary(k) for k in keys])


@documented("GET", "Retrieve Tag Details", "event:read", S.TAG)
@api_view(["GET"])
@scoped(GET="event:read")
def issue_tag(request: Request, issue_id: str, key: str) -> Response:
    issue = get_issue(request, issue_id)
    found = [k for k in tag_keys(issue) if k["key"] == key]
    if not found:
        raise Http404("No such tag.")
    return Response(_tag_summary(found[0]))


@documented("GET", "List a Tag's Values for an Issue", "event:read", array(S.TAG_VALUE),
            paged=True, parameters=[S.CURSOR, S.LIMIT])
@api_view(["GET"])
@scoped(GET="event:read")
def issue_tag_values(request: Request, issue_id: str, key: str) -> Response:
    issue = get_issue(request, issue_id)
    values = IssueTag.objects.filter(issue=issue, key=key)
    if not values.exists():
        raise Http404("No such tag.")
    cursor = Cursor.parse(request.query_params.get("cursor"))
    page, has_more = keyset_page(values, "last_seen", cursor, limit_param(request, 100))
    response = Response([_tag_value(t) for t in page])
    response["Link"] = link_header(request, page, "last_seen", cursor, has_more)
    return response


# --- hashes --------------------------------------------------------------------------------

@documented("GET", "List an Issue's Hashes", "event:read", array(S.HASH))
@documented("PUT", "Unmerge Hashes from an Issue", "event:write", None, status=202,
            parameters=[S.HASH_IDS])
@api_view(["GET", "PUT"])
@scoped(GET="event:read", PUT="event:write")
def issue_hashes(request: Request, issue_id: str) -> Response:
    """The issue's grouping hashes; `PUT ?id=<hash>` unmerges the issue those hashes came
    from (Errata unmerges whole merged issues, which is what a merge moved)."""
    issue = get_issue(request, issue_id)
    origins = _hash_origins(issue)
    if request.method == "PUT":
        wanted = request.query_params.getlist("id")
        if not wanted:
            raise ParseError("id (a hash) is required")
        unknown = [h for h in wanted if h not in origins]
        if unknown:
            raise ParseError(f"no hash {unknown[0]} on this issue")
        sources = {origins[h] for h in wanted}
        if issue.pk in sources:
            raise ParseError("only hashes that came with a merge can be unmerged")
        try:
            for source in Issue.objects.filter(pk__in=sources):
                actions.unmerge(source, request.user)
        except actions.ActionError as error:
            raise ParseError(str(error)) from None
        return Response(status=http.HTTP_202_ACCEPTED)
    latest: dict[int, dict | None] = {}
    for source in set(origins.values()):
        event = latest_event_of([source])
        latest[source] = serialize_event_summary(event) if event else None
    return Response([{"id": h, "latestEvent": latest[origins[h]], "mergedBySeer": False}
                     for h in sorted(origins)])


def _hash_origins(issue: Issue) -> dict[str, int]:
    """Each hash of the issue and the issue whose events it grouped (itself or a merged
    one)."""
    origins = {h: issue.pk for h in IssueHash.objects.filter(issue=issue).values_list(
        "hash", flat=True)}
    merges = IssueActivity.objects.filter(
        kind=Kind.MERGED, issue__merged_into=issue, data__has_key="into"
    ).values_list("issue_id", "data")
    for source, data in merges:
        for h in data.get("hashes") or []:
            if h in origins:
                origins[h] = source
    return origins


# --- stats ---------------------------------------------------------------------------------

@documented("GET", "Retrieve an Issue's Event Counts", "event:read", S.SERIES,
            parameters=[S.STATS_PERIOD, S.START, S.END, S.INTERVAL])
@api_view(["GET"])
@scoped(GET="event:read")
def issue_stats(request: Request, issue_id: str) -> Response:
    """Events per hour (`interval=1h`, the default) or per day (`1d`) over
    `statsPeriod` (24h by default) or `start`/`end`: `[[epoch seconds, events], ...]`."""
    issue = get_issue(request, issue_id)
    interval = request.query_params.get("interval") or request.query_params.get(
        "resolution") or "1h"
    steps = {"1h": timedelta(hours=1), "1d": timedelta(days=1)}
    if interval not in steps:
        raise ParseError("interval must be 1h or 1d")
    start, end = time_range(request, default="24h")
    step = steps[interval]
    buckets = max(1, -(-(end - start) // step))  # whole buckets covering the range
    if buckets > 24 * 90:
        raise ParseError("too many buckets: use interval=1d or a shorter range")
    return Response(bucketed_counts([issue.pk], step, buckets, end=end)[issue.pk])


# --- the issue's events --------------------------------------------------------------------

@documented("GET", "List an Issue's Events", "event:read",
            array(S.EVENT_OR_SUMMARY), paged=True,
            parameters=[S.FULL, S.CURSOR, S.LIMIT, S.STATS_PERIOD, S.START, S.END,
                        S.ENVIRONMENT])
@api_view(["GET"])
@scoped(GET="event:read")
def issue_events(request: Request, issue_id: str) -> Response:
    """The issue's events (and those of issues merged into it), newest first; `full=true`
    for whole payloads."""
    issue = get_issue(request, issue_id)
    return paged_events(request, filtered(request, family_events(issue.pk)))


@documented("GET", "List an Issue's Events (in an organization)", "event:read",
            array(S.EVENT_OR_SUMMARY), paged=True,
            parameters=[S.FULL, S.CURSOR, S.LIMIT, S.STATS_PERIOD, S.START, S.END,
                        S.ENVIRONMENT])
@api_view(["GET"])
@scoped(GET="event:read")
def organization_issue_events(request: Request, org_slug: str, issue_id: str) -> Response:
    issue = get_issue(request, issue_id, org_slug)
    return paged_events(request, filtered(request, family_events(issue.pk)))


@documented("GET", "Retrieve an Issue Event", "event:read", S.EVENT,
            parameters=[S.STATS_PERIOD, S.START, S.END, S.ENVIRONMENT])
@api_view(["GET"])
@scoped(GET="event:read")
def issue_event(request: Request, issue_id: str, event_id: str) -> Response:
    """One event of the issue: `latest`, `oldest`, `recommended` or an event id.

    `recommended` is Sentry's "most helpful" event; here it is the latest event that has a
    stack trace, else the latest."""
    return _issue_event(request, get_issue(request, issue_id), event_id)


def _issue_event(request: Request, issue: Issue, event_id: str) -> Response:
    events = filtered(request, family_events(issue.pk))
    match event_id:
        case "latest":
            event = events.order_by("-timestamp", "-id").first()
        case "oldest":
            event = events.order_by("timestamp", "id").first()
        case "recommended":
            recent = list(events.order_by("-timestamp", "-id")[:20])
            event = next((e for e in recent if _has_stacktrace(e)), recent[0] if recent else None)
        case _:
            event = events.filter(event_id=parse_event_id(event_id)).first()
    if event is None:
        raise Http404("No such event.")
    body = serializers.serialize_event(event)
    body.update(neighbours(event, events))
    return Response(body)


@documented("GET", "Retrieve an Issue Event (in an organization)", "event:read", S.EVENT,
            parameters=[S.STATS_PERIOD, S.START, S.END, S.ENVIRONMENT])
@api_view(["GET"])
@scoped(GET="event:read")
def organization_issue_event(request: Request, org_slug: str, issue_id: str,
                             event_id: str) -> Response:
    issue = get_issue(request, issue_id, org_slug)
    return _issue_event(request, issue, event_id)


def _has_stacktrace(event) -> bool:
    return any(entry["type"] in ("exception", "stacktrace", "threads")
               for entry in serializers.entries(event.data or {}))
