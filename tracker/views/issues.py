"""Issue pages: the list (per project and per organization), the detail page, and actions.

Views read the request, scope every lookup through tracker.access, and hand state changes to
tracker.actions. Lists page with a keyset cursor (the sort columns plus the id of the last
row), so page 50 costs what page 1 costs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Sum, Window
from django.db.models.functions import RowNumber
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from tracker import actions, search
from tracker.access import get_membership, get_project, visible_projects
from tracker.models import (
    Environment,
    Event,
    Handling,
    Issue,
    IssueActivity,
    IssueHourlyCount,
    IssueTag,
    Level,
    Member,
    Organization,
    Project,
    Release,
    Team,
)
from tracker.timeutil import floor_hour
from tracker.views import onboarding
from tracker.views.events import event_context, find_event, scoped_issue

PAGE_SIZE = 25

# sort name -> (label, columns, all descending); the id breaks ties and ends every cursor.
SORTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "last_seen": ("Last seen", ("last_seen",)),
    "first_seen": ("First seen", ("first_seen",)),
    "events": ("Events", ("times_seen",)),
    "users": ("Users", ("users_seen",)),
    "priority": ("Priority", ("priority", "last_seen")),
}
STATUSES = ("unresolved", "resolved", "ignored", "all")
# Destructive actions, and the question asked before them (also in the list's hx-confirm).
CONFIRM = {
    "delete": "Delete the selected issues and their events?",
    "discard": "Delete the selected issues and discard their future events?",
}
IGNORE_CHOICES = {
    "forever": "Forever",
    "60": "For 1 hour",
    "1440": "For 24 hours",
    "10080": "For 7 days",
    "events:10": "Until 10 more events",
    "events:100": "Until 100 more events",
    "events:1000": "Until 1,000 more events",
}


@dataclass
class ListParams:
    """The list's GET parameters, validated; anything unknown falls back to the default."""

    query: str = ""
    status: str = "unresolved"
    level: str = ""
    environment: str = ""
    release: str = ""
    handling: str = ""
    assignee: str = ""
    project: str = ""
    sort: str = "last_seen"
    cursor: str = ""
    page: int = 1
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_query(cls, data: QueryDict) -> ListParams:
        def pick(name: str, allowed, default: str = "") -> str:
            value = data.get(name, default)
            return value if value in allowed else default

        page = data.get("page", "1")
        return cls(
            query=data.get("query", "")[:500],
            status=pick("status", STATUSES, "unresolved"),
            level=pick("level", Level.labels),
            environment=data.get("environment", "")[:64],
            release=data.get("release", "")[:200],
            handling=pick("handling", Handling.values),
            assignee=data.get("assignee", "")[:40],
            project=data.get("project", "")[:50],
            sort=pick("sort", SORTS, "last_seen"),
            cursor=data.get("cursor", "")[:200],
            page=int(page) if page.isdigit() and 0 < int(page) < 100_000 else 1,
        )

    def urlencode(self, **changes) -> str:
        """The query string of this view with `changes`, leaving out defaults."""
        values = {
            "query": self.query, "status": self.status, "level": self.level,
            "environment": self.environment, "release": self.release,
            "handling": self.handling, "assignee": self.assignee, "project": self.project,
            "sort": self.sort, "cursor": self.cursor, "page": self.page, **changes,
        }
        defaults = {"status": "unresolved", "sort": "last_seen", "page": 1}
        return urlencode({k: v for k, v in values.items() if v and defaults.get(k) != v})


def _filters(params: ListParams, user, now: datetime) -> Q:
    parsed = search.parse(params.query)
    q = search.to_filter(parsed, user, now)
    params.errors = parsed.errors
    if params.status == "all":
        q &= ~Q(status=Issue.Status.MERGED)
    elif not parsed.sets_status():
        q &= Q(status=params.status)
    if params.level:
        q &= Q(level=Level.from_name(params.level))
    if params.handling:
        q &= Q(handling=params.handling)
    for key in ("environment", "release"):
        if getattr(params, key):
            q &= Q(Exists(IssueTag.objects.filter(
                issue=OuterRef("pk"), key=key, value=getattr(params, key))))
    q &= _assignee_filter(params.assignee, user)
    return q


def _assignee_filter(value: str, user) -> Q:
    if value == "me":
        return Q(assignee=user)
    if value == "none":
        return Q(assignee__isnull=True, assignee_team__isnull=True)
    if value.startswith("team:") and value[5:].isdigit():
        return Q(assignee_team_id=int(value[5:]))
    if value.isdigit():
        return Q(assignee_id=int(value))
    return Q()


def _cursor_values(cursor: str, columns: tuple[str, ...]) -> list | None:
    parts = cursor.split("~")
    if len(parts) != len(columns) + 1:
        return None
    values: list = []
    try:
        for column, part in zip(columns, parts, strict=False):
            is_time = column.endswith("_seen") and column not in ("times_seen", "users_seen")
            values.append(datetime.fromisoformat(part) if is_time else int(part))
        values.append(int(parts[-1]))
    except ValueError:
        return None
    return values


def _after(columns: tuple[str, ...], values: list) -> Q:
    """Rows after the cursor in (columns..., id) descending order, as a tuple comparison."""
    names = [*columns, "pk"]
    q = Q()
    for i, name in enumerate(names):
        step = Q(**{f"{name}__lt": values[i]})
        for before in range(i):
            step &= Q(**{names[before]: values[before]})
        q |= step
    return q


def _cursor_for(issue: Issue, columns: tuple[str, ...]) -> str:
    parts = []
    for column in columns:
        value = getattr(issue, column)
        parts.append(value.isoformat() if isinstance(value, datetime) else str(value))
    return "~".join([*parts, str(issue.pk)])


def _page(scope: QuerySet[Issue], params: ListParams, user) -> tuple[list[Issue], str]:
    now = timezone.now()
    columns = SORTS[params.sort][1]
    issues = scope.filter(_filters(params, user, now))
    values = _cursor_values(params.cursor, columns) if params.cursor else None
    if values is not None:
        issues = issues.filter(_after(columns, values))
    rows = list(
        issues.select_related("project", "assignee", "assignee_team")
        .defer("data", "search_text")
        .order_by(*(f"-{c}" for c in columns), "-pk")[: PAGE_SIZE + 1]
    )
    next_cursor = _cursor_for(rows[PAGE_SIZE - 1], columns) if len(rows) > PAGE_SIZE else ""
    return rows[:PAGE_SIZE], next_cursor


def attach_sparklines(issues: list[Issue], hours: int = 24) -> None:
    """Give each issue `.spark`: its events per hour over the last `hours`, oldest first."""
    start = floor_hour(timezone.now()) - timedelta(hours=hours - 1)
    counts: dict[int, list[int]] = {issue.pk: [0] * hours for issue in issues}
    rows = IssueHourlyCount.objects.filter(issue_id__in=counts, hour__gte=start).values_list(
        "issue_id", "hour", "count"
    )
    for issue_id, hour, count in rows:
        index = int((hour - start).total_seconds() // 3600)
        if 0 <= index < hours:
            counts[issue_id][index] += count
    for issue in issues:
        issue.spark = counts[issue.pk]


def _list_choices(org: Organization, project: Project | None) -> dict:
    environments = Environment.objects.filter(organization=org)
    releases = Release.objects.filter(organization=org)
    if project is not None:
        environments = environments.filter(projects=project)
        releases = releases.filter(projects=project)
    members = list(
        Member.objects.filter(organization=org).select_related("user").order_by("user__username")
    )
    teams = list(Team.objects.filter(organization=org))
    return {
        "environments": list(environments.values_list("name", flat=True)[:100]),
        "releases": list(releases.order_by("-created").values_list("version", flat=True)[:50]),
        "assignees": assignee_choices(members, teams),
    }


def assignee_choices(members: list[Member], teams: list[Team]) -> list[tuple[str, str]]:
    """(value, label) for assignee selects: user ids, and team ids prefixed `team:`."""
    return [(str(m.user_id), m.user.get_username()) for m in members] + [
        (f"team:{t.pk}", f"#{t.slug}") for t in teams
    ]


def _render_list(request: HttpRequest, membership: Member, project: Project | None):
    org = membership.organization
    params = ListParams.from_query(request.GET)
    projects: list[Project] = []
    if project is not None:
        scope = Issue.objects.filter(project=project)
    else:
        # Project ids rather than a join on the organization: the planner can then walk the
        # (status, last_seen) index and stop after one page.
        projects = list(visible_projects(membership).order_by("name"))
        chosen = [p.pk for p in projects if not params.project or p.slug == params.project]
        scope = Issue.objects.filter(project_id__in=chosen)
    issues, next_cursor = _page(scope, params, request.user)
    attach_sparklines(issues)
    context = {
        "org": org, "project": project, "membership": membership, "params": params,
        "issues": issues, "sorts": {k: v[0] for k, v in SORTS.items()}, "statuses": STATUSES,
        "levels": Level.labels, "handlings": Handling.values, "ignore_choices": IGNORE_CHOICES,
        "confirm": CONFIRM,
        "next_query": params.urlencode(cursor=next_cursor, page=params.page + 1)
        if next_cursor else "",
        "first_query": params.urlencode(cursor="", page=1) if params.cursor else "",
        "projects": projects,
        **_list_choices(org, project),
    }
    htmx = getattr(request, "htmx", None)
    partial = bool(htmx) and not htmx.history_restore_request
    template = "issues/list.html#results" if partial else "issues/list.html"
    return render(request, template, context)


@require_GET
@login_required
@vary_on_headers("HX-Request")
def project_issues(request: HttpRequest, org_slug: str, project_slug: str) -> HttpResponse:
    membership = get_membership(request.user, org_slug)
    project = get_project(request.user, org_slug, project_slug)
    if onboarding.is_waiting(request, project):
        return onboarding.page(request, membership, project)
    return _render_list(request, membership, project)


@require_GET
@login_required
@vary_on_headers("HX-Request")
def org_issues(request: HttpRequest, org_slug: str) -> HttpResponse:
    return _render_list(request, get_membership(request.user, org_slug), None)


# --- actions -------------------------------------------------------------------------------


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _ignore_options(choice: str) -> dict:
    if choice.startswith("events:") and choice[7:].isdigit():
        return {"more_events": int(choice[7:])}
    if choice.isdigit():
        return {"duration": timedelta(minutes=int(choice))}
    return {}


def _assign_options(value: str, org: Organization) -> dict:
    if value.startswith("team:") and value[5:].isdigit():
        team = Team.objects.filter(organization=org, pk=int(value[5:])).first()
        if team is None:
            raise Http404("No such team.")
        return {"team": team}
    if value.isdigit():
        member = Member.objects.filter(organization=org, user_id=int(value)).first()
        if member is None:
            raise Http404("No such member.")
        return {"assignee": get_user_model().objects.get(pk=member.user_id)}
    return {}


def perform(action: str, issues: list[Issue], request: HttpRequest, membership: Member) -> str:
    """Run one action on scoped issues; return what to tell the user."""
    user, org = request.user, membership.organization
    n = len(issues)
    plural = "issue" if n == 1 else "issues"
    match action:
        case "resolve":
            return f"Resolved {len(actions.resolve(issues, user))} {plural}."
        case "resolve_next_release":
            done = actions.resolve_in_next_release(issues, user)
            return f"Resolved {len(done)} {plural} in the next release."
        case "unresolve":
            return f"Reopened {len(actions.unresolve(issues, user))} {plural}."
        case "ignore":
            options = _ignore_options(request.POST.get("ignore", "forever"))
            return f"Ignored {len(actions.ignore(issues, user, **options))} {plural}."
        case "assign":
            options = _assign_options(request.POST.get("assign_to", ""), org)
            done = actions.assign(issues, user, **options)
            return f"Assigned {len(done)} {plural}." if options else f"Unassigned {n} {plural}."
        case "merge":
            # The target is one of the chosen issues and is not merged into itself, and issues
            # merged before are skipped: count the chosen ones that now point at the target.
            unmerged = [i.pk for i in issues if i.status != Issue.Status.MERGED]
            target = actions.merge(issues, user)
            merged = Issue.objects.filter(pk__in=unmerged, merged_into=target).count()
            return (
                f"Merged {merged} issue{'' if merged == 1 else 's'} "
                f"into {target.qualified_short_id}."
            )
        case "delete" | "discard":
            if not membership.can_manage:
                raise PermissionDenied("Only owners and admins delete issues.")
            if action == "discard":
                actions.delete_and_discard(issues, user)
                return f"Deleted {n} {plural}; their future events will be discarded."
            actions.delete(issues, user)
            return f"Deleted {n} {plural}."
    raise Http404("No such action.")


@require_POST
@login_required
def issue_actions(request: HttpRequest, org_slug: str) -> HttpResponse:
    """Bulk and single actions: `issue` ids (any number), `action`, and its options.

    Answers with a redirect to `next` (Post/Redirect/Get); htmx follows it with its headers,
    so a list that posted through htmx gets its refreshed rows back as a partial.
    """
    membership = get_membership(request.user, org_slug)
    ids = [int(i) for i in request.POST.getlist("issue") if i.isdigit()]
    issues = list(
        Issue.objects.filter(pk__in=ids, project__in=visible_projects(membership))
        .select_related("project")
    )
    fallback = reverse("issues:org", args=[org_slug])
    next_url = _safe_next(request, fallback)
    if not issues:
        messages.info(request, "Select some issues first.")
        return HttpResponseRedirect(next_url, status=303)
    action = request.POST.get("action", "")
    if action in CONFIRM and not request.POST.get("confirmed"):
        # Nothing is deleted on the first post: the form's buttons post here directly without
        # JavaScript, and this page asks first (with htmx the buttons ask and send
        # `confirmed`).
        if not membership.can_manage:
            raise PermissionDenied("Only owners and admins delete issues.")
        return render(request, "issues/confirm.html", {
            "org": membership.organization, "issues": issues, "action": action,
            "question": CONFIRM[action], "next": next_url,
        })
    try:
        messages.success(request, perform(action, issues, request, membership))
    except actions.ActionError as error:
        messages.error(request, str(error).capitalize() + ".")
    if action in ("delete", "discard") and "/issues/" in next_url and any(
        f"/issues/{issue.pk}/" in next_url for issue in issues
    ):
        # The issue's own page is gone: go to its project's list.
        next_url = reverse("issues:project", args=[org_slug, issues[0].project.slug])
    return HttpResponseRedirect(next_url, status=303)


# --- detail --------------------------------------------------------------------------------


def tag_distribution(issue_id: int, top: int = 5) -> list[dict]:
    """Each tag key with its top values, their counts and share of the key's events.

    One query: window functions rank values within their key and sum the key's total.
    """
    rows = (
        IssueTag.objects.filter(issue_id=issue_id)
        .annotate(
            rank=Window(RowNumber(), partition_by=[F("key")],
                        order_by=[F("times_seen").desc(), F("value").asc()]),
            total=Window(Sum("times_seen"), partition_by=[F("key")]),
        )
        .filter(rank__lte=top)
        .order_by("key", "rank")
        .values_list("key", "value", "times_seen", "total")
    )
    keys: dict[str, dict] = {}
    for key, value, count, total in rows:
        entry = keys.setdefault(key, {"key": key, "total": total, "values": []})
        share = round(100 * count / total) if total else 0
        entry["values"].append({"value": value, "count": count, "percent": share})
    # The derived keys everybody looks for first, then the rest alphabetically.
    first = ["level", "handled", "environment", "release", "user"]
    return sorted(keys.values(), key=lambda k: (k["key"] not in first,
                                                first.index(k["key"]) if k["key"] in first
                                                else 0, k["key"]))


def daily_counts(issue_id: int, days: int = 14) -> list[tuple[str, int]]:
    today = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    start = today - timedelta(days=days - 1)
    totals = [0] * days
    for hour, count in IssueHourlyCount.objects.filter(
        issue_id=issue_id, hour__gte=start
    ).values_list("hour", "count"):
        index = (hour - start).days
        if 0 <= index < days:
            totals[index] += count
    return [((start + timedelta(days=i)).strftime("%b %-d"), n) for i, n in enumerate(totals)]


def ignored_more_events(issue: Issue) -> int | None:
    """How many more events the user chose to wait for, from the ignore that is in force.

    The issue itself stores only the absolute count to reach (times_seen at the time plus the
    choice), which is not the number anyone picked.
    """
    if issue.status != Issue.Status.IGNORED or not issue.ignored_until_times_seen:
        return None
    latest = (
        IssueActivity.objects.filter(issue=issue, kind=IssueActivity.Kind.IGNORED)
        .order_by("-created", "-pk").first()
    )
    return latest.data.get("more_events") if latest else None


def detail_context(membership: Member, issue: Issue, event: Event | None) -> dict:
    """Everything the detail page shows beside the event itself."""
    family = actions.merged_family(issue.pk)
    return {
        "org": membership.organization, "project": issue.project, "membership": membership,
        "issue": issue, "family": family, "merged_count": len(family) - 1,
        "ignored_more_events": ignored_more_events(issue),
        "days": daily_counts(issue.pk),
        "tags": tag_distribution(issue.pk),
        "activities": list(
            IssueActivity.objects.filter(issue=issue).select_related("user")
            .order_by("-created", "-pk")[:100]
        ),
        "ignore_choices": IGNORE_CHOICES,
        "current_assignee": f"team:{issue.assignee_team_id}" if issue.assignee_team_id
        else str(issue.assignee_id or ""),
        "assignees": assignee_choices(
            list(Member.objects.filter(organization=membership.organization)
                 .select_related("user").order_by("user__username")),
            list(Team.objects.filter(organization=membership.organization)),
        ),
        **event_context(issue, family, event),
    }


@require_GET
@login_required
@vary_on_headers("HX-Request")
def issue_detail(request: HttpRequest, org_slug: str, issue_id: int) -> HttpResponse:
    membership, issue = scoped_issue(request, org_slug, issue_id)
    return render(request, "issues/detail.html", detail_context(membership, issue, None))


@require_GET
@login_required
@vary_on_headers("HX-Request")
def event_detail(
    request: HttpRequest, org_slug: str, issue_id: int, event_ref: str
) -> HttpResponse:
    """The issue page showing one event; htmx navigation swaps only the event."""
    membership, issue = scoped_issue(request, org_slug, issue_id)
    family = actions.merged_family(issue.pk)
    event = find_event(issue, family, event_ref)
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.history_restore_request:
        context = {"org": membership.organization, "issue": issue, "project": issue.project,
                   **event_context(issue, family, event)}
        return render(request, "issues/detail.html#event", context)
    return render(request, "issues/detail.html", detail_context(membership, issue, event))


@require_POST
@login_required
def add_comment(request: HttpRequest, org_slug: str, issue_id: int) -> HttpResponse:
    _, issue = scoped_issue(request, org_slug, issue_id)
    try:
        actions.comment(issue, request.user, request.POST.get("text", ""))
    except actions.ActionError as error:
        messages.error(request, str(error).capitalize() + ".")
    return redirect(reverse("issues:detail", args=[org_slug, issue.pk]) + "#activity")


@require_POST
@login_required
def unmerge(request: HttpRequest, org_slug: str, issue_id: int) -> HttpResponse:
    _, issue = scoped_issue(request, org_slug, issue_id)
    try:
        actions.unmerge(issue, request.user)
        messages.success(request, f"Unmerged {issue.qualified_short_id}.")
    except actions.ActionError as error:
        messages.error(request, str(error).capitalize() + ".")
    return redirect("issues:detail", org_slug, issue.pk)
