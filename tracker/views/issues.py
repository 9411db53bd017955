"""Issue pages: the list (per project and per organization), the detail page, and actions.

Views read the request, scope every lookup through tracker.access, and hand state changes to
tracker.actions. Lists page with a keyset cursor (the sort columns plus the id of the last
row), so page 50 costs what page 1 costs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Sum, Window
from django.db.models.functions import RowNumber, TruncDate
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from tracker import actions, search, suspect_commits
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
    Priority,
    Project,
    Release,
    Team,
)
from tracker.timeutil import floor_hour
from tracker.trace import TraceView
from tracker.views import onboarding, saved_searches
from tracker.views.events import event_context, find_event, scoped_issue

PAGE_SIZE = 25
# The suspect commits the issue page lists (tracker/suspect_commits.py), best first.
SHOWN_SUSPECTS = 3
RESOLVE_RELEASES = 20

# sort name -> (label, columns, all descending); the id breaks ties and ends every cursor.
SORTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "last_seen": ("Last seen", ("last_seen",)),
    "first_seen": ("First seen", ("first_seen",)),
    "events": ("Events", ("times_seen",)),
    "users": ("Users", ("users_seen",)),
    "priority": ("Priority", ("priority", "last_seen")),
}
STATUSES = ("unresolved", "resolved", "ignored", "all")
# The time range: issues seen in it are listed, and their sparklines cover it (Sentry's
# `statsPeriod` names). "custom" takes `start` and `end` instead.
PERIODS = {
    "24h": ("Last 24 hours", timedelta(hours=24)),
    "7d": ("Last 7 days", timedelta(days=7)),
    "14d": ("Last 14 days", timedelta(days=14)),
    "30d": ("Last 30 days", timedelta(days=30)),
}
DEFAULT_PERIOD = "14d"
# Up to this span the sparkline has a bar per hour, beyond it a bar per day.
HOURLY_UP_TO = timedelta(hours=48)
# Bulk actions on "all matching issues" act on at most this many (the newest first).
BULK_LIMIT = 10_000
# Destructive actions, and the question asked before them (also in the list's hx-confirm).
CONFIRM = {
    "delete": "Delete the selected issues and their events?",
    "discard": "Delete the selected issues and discard their future events?",
}
# The same questions when "all matching issues" are selected, beyond the page.
CONFIRM_ALL = {
    "delete": "Delete all {n} matching issues and their events?",
    "discard": "Delete all {n} matching issues and discard their future events?",
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
    period: str = DEFAULT_PERIOD
    start: str = ""
    end: str = ""
    cursor: str = ""
    # Previous page: the rows before this cursor (the first row of the page the user was on).
    before: str = ""
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
            period=pick("period", [*PERIODS, "custom"], DEFAULT_PERIOD),
            start=data.get("start", "")[:32],
            end=data.get("end", "")[:32],
            cursor=data.get("cursor", "")[:200],
            before="" if data.get("cursor") else data.get("before", "")[:200],
            page=int(page) if page.isdigit() and 0 < int(page) < 100_000 else 1,
        )

    def urlencode(self, **changes) -> str:
        """The query string of this view with `changes`, leaving out defaults."""
        values = {
            "query": self.query, "status": self.status, "level": self.level,
            "environment": self.environment, "release": self.release,
            "handling": self.handling, "assignee": self.assignee, "project": self.project,
            "sort": self.sort, "period": self.period,
            "start": self.start if self.period == "custom" else "",
            "end": self.end if self.period == "custom" else "",
            "cursor": self.cursor, "before": self.before, "page": self.page, **changes,
        }
        defaults = {"status": "unresolved", "sort": "last_seen", "page": 1,
                    "period": DEFAULT_PERIOD}
        return urlencode({k: v for k, v in values.items() if v and defaults.get(k) != v})


@dataclass
class TimeRange:
    start: datetime
    end: datetime | None  # None: up to now
    label: str  # "Last 14 days", or the custom range in the user's time zone
    words: str  # what a sparkline covers: "14 days"


def _moment(text: str) -> datetime | None:
    """A `datetime-local` value (or any ISO 8601 time), naive ones in the user's time zone."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def time_range(params: ListParams, now: datetime) -> TimeRange:
    """The list's time range; a custom one that makes no sense is reported, and the default
    is used."""
    if params.period == "custom":
        start = _moment(params.start) if params.start else None
        end = _moment(params.end) if params.end else None
        if (params.start and start is None) or (params.end and end is None):
            params.errors.append("Start and end need a date and time, like 2026-12-01T09:00.")
        elif start is not None and end is not None and start >= end:
            params.errors.append("The start of the time range must come before its end.")
        elif start is not None or end is not None:
            end_or_now = end or now
            start = start or end_or_now - PERIODS[DEFAULT_PERIOD][1]
            label = (f"{timezone.localtime(start):%Y-%m-%d %H:%M} to "
                     f"{timezone.localtime(end_or_now):%Y-%m-%d %H:%M}")
            return TimeRange(start, end, label, "the chosen range")
    period = params.period if params.period in PERIODS else DEFAULT_PERIOD
    label, span = PERIODS[period]
    return TimeRange(now - span, None, label, label.removeprefix("Last ").lower())


def _filters(params: ListParams, user, now: datetime, rng: TimeRange) -> Q:
    parsed = search.parse(params.query)
    q = search.to_filter(parsed, user, now)
    params.errors += parsed.errors
    # Seen in the range: last seen after its start, first seen before its end.
    q &= Q(last_seen__gte=rng.start)
    if rng.end is not None:
        q &= Q(first_seen__lt=rng.end)
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


def _after(columns: tuple[str, ...], values: list, lookup: str = "lt") -> Q:
    """Rows after the cursor in (columns..., id) descending order, as a tuple comparison;
    with lookup "gt", the rows before it."""
    names = [*columns, "pk"]
    q = Q()
    for i, name in enumerate(names):
        step = Q(**{f"{name}__{lookup}": values[i]})
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


@dataclass
class Page:
    issues: list[Issue]
    next_cursor: str  # the last row's cursor, when more rows follow
    prev_cursor: str  # the first row's cursor, when rows come before it
    total: int  # matching issues, counted up to COUNT_LIMIT


# Counting stops here: the pager then says "10,000+", and counting costs what one page costs
# at most a few times over, however many issues match.
COUNT_LIMIT = 10_000


def matching_issues(scope: QuerySet[Issue], params: ListParams, user,
                    rng: TimeRange) -> QuerySet[Issue]:
    """Every issue of `scope` the list's filters, search and time range match."""
    return scope.filter(_filters(params, user, timezone.now(), rng))


def _page(scope: QuerySet[Issue], params: ListParams, user, rng: TimeRange) -> Page:
    columns = SORTS[params.sort][1]
    matching = matching_issues(scope, params, user, rng)
    order = [*(f"-{c}" for c in columns), "-pk"]
    issues = matching.select_related(
        "project", "assignee", "assignee_team", "last_release").defer(
        "data", "search_text")
    backwards = bool(params.before) and not params.cursor
    values = _cursor_values(params.before if backwards else params.cursor, columns)
    if values is not None and backwards:
        # The rows just before the cursor, nearest first, turned back into list order.
        rows = list(issues.filter(_after(columns, values, "gt"))
                    .order_by(*(o.removeprefix("-") for o in order))[: PAGE_SIZE + 1])
        more_before = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE][::-1]
        more_after = True
    else:
        if values is not None:
            issues = issues.filter(_after(columns, values))
        rows = list(issues.order_by(*order)[: PAGE_SIZE + 1])
        more_after = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE]
        more_before = values is not None
    total = matching.order_by()[: COUNT_LIMIT + 1].count()
    return Page(
        issues=rows,
        next_cursor=_cursor_for(rows[-1], columns) if rows and more_after else "",
        prev_cursor=_cursor_for(rows[0], columns) if rows and more_before else "",
        total=total,
    )


def attach_sparklines(issues: list[Issue], rng: TimeRange | None = None) -> None:
    """Give each issue `.spark`: its events per bucket over the time range, oldest first.

    A bar per hour up to two days, beyond that a bar per day of the user's time zone, summed
    by the database (a 30-day range would otherwise read 720 rows per issue)."""
    now = timezone.now()
    rng = rng or TimeRange(now - timedelta(hours=24), None, "", "24 hours")
    end = rng.end or now
    ids = [issue.pk for issue in issues]
    rows = IssueHourlyCount.objects.filter(
        issue_id__in=ids, hour__gte=floor_hour(rng.start), hour__lt=end)
    if end - rng.start <= HOURLY_UP_TO:
        first = floor_hour(rng.start)
        size = int((floor_hour(end - timedelta(microseconds=1)) - first).total_seconds()
                   // 3600) + 1
        counts = {pk: [0] * size for pk in ids}
        for issue_id, hour, count in rows.values_list("issue_id", "hour", "count"):
            index = int((hour - first).total_seconds() // 3600)
            if 0 <= index < size:
                counts[issue_id][index] += count
    else:
        zone = timezone.get_current_timezone()
        first_day = timezone.localtime(rng.start, zone).date()
        size = (timezone.localtime(end, zone).date() - first_day).days + 1
        counts = {pk: [0] * size for pk in ids}
        daily = (rows.annotate(day=TruncDate("hour", tzinfo=zone)).order_by()
                 .values("issue_id", "day").annotate(n=Sum("count"))
                 .values_list("issue_id", "day", "n"))
        for issue_id, day, count in daily:
            index = (day - first_day).days
            if 0 <= index < size:
                counts[issue_id][index] += count
    for issue in issues:
        issue.spark = counts[issue.pk]


def _attach_links(issues: list[Issue], params: ListParams) -> None:
    """Give each row `.links`: this list filtered by the row's level, handling, release and
    environments (one query for the environments of the page), and `.priority_name`."""
    environments: dict[int, list[str]] = {}
    for issue_id, value in IssueTag.objects.filter(
        issue_id__in=[i.pk for i in issues], key="environment"
    ).order_by("-times_seen", "value").values_list("issue_id", "value"):
        environments.setdefault(issue_id, []).append(value)

    def link(**change: str) -> str:
        return "?" + params.urlencode(cursor="", before="", page=1, **change)

    for issue in issues:
        issue.priority_name = Priority(issue.priority).label \
            if issue.priority in Priority.values else ""
        issue.links = {
            "level": link(level=issue.level_name),
            "handling": link(handling=issue.handling),
            "release": link(release=issue.last_release.version) if issue.last_release else "",
            "environments": [(name, link(environment=name))
                             for name in environments.get(issue.pk, [])[:3]],
        }


def _list_choices(org: Organization, project: Project | None, params: ListParams) -> dict:
    environments = Environment.objects.filter(organization=org)
    releases = Release.objects.filter(organization=org)
    if project is not None:
        environments = environments.filter(projects=project)
        releases = releases.filter(projects=project)
    members = list(
        Member.objects.filter(organization=org).select_related("user").order_by("user__username")
    )
    teams = list(Team.objects.filter(organization=org))
    # The chosen value is offered even when it is not among the newest (a release clicked in
    # a row, say), so the control shows what the URL filters by.
    return {
        "environments": _with(params.environment,
                              list(environments.values_list("name", flat=True)[:100])),
        "releases": _with(params.release, list(
            releases.order_by("-created").values_list("version", flat=True)[:50])),
        "assignees": assignee_choices(members, teams),
    }


def _with(chosen: str, values: list[str]) -> list[str]:
    return [chosen, *values] if chosen and chosen not in values else values


def assignee_choices(members: list[Member], teams: list[Team]) -> list[tuple[str, str]]:
    """(value, label) for assignee selects: user ids, and team ids prefixed `team:`."""
    return [(str(m.user_id), m.user.get_username()) for m in members] + [
        (f"team:{t.pk}", f"#{t.slug}") for t in teams
    ]


def _render_list(request: HttpRequest, membership: Member, project: Project | None):
    org = membership.organization
    params = ListParams.from_query(request.GET)
    projects = [] if project is not None else list(visible_projects(membership).order_by("name"))
    scope = _scope(project, projects, params)
    rng = time_range(params, timezone.now())
    page = _page(scope, params, request.user, rng)
    issues = page.issues
    attach_sparklines(issues, rng)
    _attach_links(issues, params)
    context = {
        "org": org, "project": project, "membership": membership, "params": params,
        "issues": issues, "sorts": {k: v[0] for k, v in SORTS.items()}, "statuses": STATUSES,
        "levels": Level.labels, "handlings": Handling.values, "ignore_choices": IGNORE_CHOICES,
        "periods": {k: v[0] for k, v in PERIODS.items()}, "range": rng,
        "priorities": Priority.labels[::-1],
        "matching_query": params.urlencode(cursor="", before="", page=1),
        # New issues come in at the top of the first page: only it is refreshed.
        "poll_seconds": settings.ERRATA["ISSUE_LIST_REFRESH_SECONDS"]
        if params.page == 1 and not params.before else 0,
        "confirm": CONFIRM,
        "confirm_all": {k: v.format(n=f"{min(page.total, BULK_LIMIT):,}")
                        for k, v in CONFIRM_ALL.items()},
        "total": page.total, "total_capped": page.total > COUNT_LIMIT,
        "next_query": params.urlencode(cursor=page.next_cursor, before="", page=params.page + 1)
        if page.next_cursor else "",
        # Page 2's previous page is the first page: its URL has no cursor at all (and may
        # have no query string: the links test `has_prev`, not the query).
        "has_prev": bool(page.prev_cursor), "has_first": bool(page.prev_cursor) and params.page > 2,
        "prev_query": params.urlencode(cursor="", before="", page=1) if params.page <= 2
        else params.urlencode(cursor="", before=page.prev_cursor, page=params.page - 1),
        "first_query": params.urlencode(cursor="", before="", page=1),
        "projects": projects,
        "saved_searches": saved_searches.visible(membership, project, request.user),
        "filtered": bool(params.urlencode(cursor="", before="", page=1)),
        **_list_choices(org, project, params),
    }
    htmx = getattr(request, "htmx", None)
    partial = bool(htmx) and not htmx.history_restore_request
    template = "issues/list.html#results" if partial else "issues/list.html"
    return render(request, template, context)


def _scope(project: Project | None, projects: list[Project], params: ListParams):
    """The issues a list is about: one project's, or those of the organization's `projects`
    (all, or the one the `project` filter names)."""
    if project is not None:
        return Issue.objects.filter(project=project)
    # Project ids rather than a join on the organization: the planner can then walk the
    # (status, last_seen) index and stop after one page.
    chosen = [p.pk for p in projects if not params.project or p.slug == params.project]
    return Issue.objects.filter(project_id__in=chosen)


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
        case "resolve_in_release":
            value = request.POST.get("release", "")
            release = Release.objects.filter(
                organization=org, pk=int(value)).first() if value.isdigit() else None
            if release is None:
                raise Http404("No such release.")
            done = actions.resolve_in_release(issues, user, release)
            return f"Resolved {len(done)} {plural} in release {release.version}."
        case "unresolve":
            return f"Reopened {len(actions.unresolve(issues, user))} {plural}."
        case "ignore":
            options = _ignore_options(request.POST.get("ignore", "forever"))
            return f"Ignored {len(actions.ignore(issues, user, **options))} {plural}."
        case "assign":
            options = _assign_options(request.POST.get("assign_to", ""), org)
            done = actions.assign(issues, user, **options)
            return f"Assigned {len(done)} {plural}." if options else f"Unassigned {n} {plural}."
        case "priority":
            value = request.POST.get("priority", "")
            if value not in Priority.labels:
                raise actions.ActionError("choose a priority: high, medium or low")
            actions.set_priority(issues, user, Priority[value.upper()].value)
            return f"Set the priority of {n} {plural} to {value}."
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
    all_matching = bool(request.POST.get("all_matching"))
    if all_matching:
        issues = _all_matching(request, membership)
    else:
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
            "question": CONFIRM_ALL[action].format(n=len(issues)) if all_matching
            else CONFIRM[action], "next": next_url, "all_matching": all_matching,
            "matching": request.POST.get("matching", ""),
            "project_slug": request.POST.get("project_slug", ""),
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


def _all_matching(request: HttpRequest, membership: Member) -> list[Issue]:
    """"Select all N matching": the issues the list's query string (`matching`) finds in
    its scope (`project_slug`, or the organization), found again now, up to BULK_LIMIT."""
    org = membership.organization
    params = ListParams.from_query(QueryDict(request.POST.get("matching", "")))
    slug = request.POST.get("project_slug", "")
    project = get_project(request.user, org.slug, slug) if slug else None
    projects = [] if project is not None else list(visible_projects(membership))
    rng = time_range(params, timezone.now())
    matching = matching_issues(_scope(project, projects, params), params, request.user, rng)
    return list(matching.select_related("project").defer("data", "search_text")
                .order_by("-last_seen", "-pk")[:BULK_LIMIT])


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


def detail_context(
    membership: Member, issue: Issue, event: Event | None, trace: TraceView
) -> dict:
    """Everything the detail page shows beside the event itself."""
    family = actions.merged_family(issue.pk)
    shown = event_context(issue, family, event, trace)
    return {
        "org": membership.organization, "project": issue.project, "membership": membership,
        "issue": issue, "family": family, "merged_count": len(family) - 1,
        # Those merged straight into this one (each unmerges on its own); the family lookup
        # already said whether there are any.
        "merged_issues": list(
            Issue.objects.filter(merged_into=issue).select_related("project")
            .defer("data", "search_text").order_by("-times_seen", "pk")
        ) if len(family) > 1 else [],
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
        "suspects": suspect_commits.suspects(issue, shown["event"])[:SHOWN_SUSPECTS],
        # The releases "Resolve in release" offers: the project's most recent ones.
        "resolve_releases": list(Release.objects.filter(projects=issue.project_id)
                                 .order_by("-created", "-pk")[:RESOLVE_RELEASES]),
        **shown,
    }


@require_GET
@login_required
@vary_on_headers("HX-Request")
def issue_detail(request: HttpRequest, org_slug: str, issue_id: int) -> HttpResponse:
    membership, issue = scoped_issue(request, org_slug, issue_id)
    trace = TraceView.from_query(request.GET)
    return render(request, "issues/detail.html",
                  detail_context(membership, issue, None, trace))


@require_GET
@login_required
@vary_on_headers("HX-Request")
def event_detail(
    request: HttpRequest, org_slug: str, issue_id: int, event_ref: str
) -> HttpResponse:
    """The issue page showing one event; htmx navigation swaps the event, and the recent
    events table out of band so that it marks the event now shown."""
    membership, issue = scoped_issue(request, org_slug, issue_id)
    family = actions.merged_family(issue.pk)
    event = find_event(issue, family, event_ref)
    trace = TraceView.from_query(request.GET)
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.history_restore_request:
        context = {"org": membership.organization, "issue": issue, "project": issue.project,
                   **event_context(issue, family, event, trace)}
        return render(request, "issues/_event_swap.html", context)
    return render(request, "issues/detail.html",
                  detail_context(membership, issue, event, trace))


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
    """Split a merged issue back out. Asks first: the page's button posts `confirmed` on its
    second click; a post without it gets a page that asks."""
    membership, issue = scoped_issue(request, org_slug, issue_id)
    next_url = _safe_next(request, reverse("issues:detail", args=[org_slug, issue.pk]))
    if not request.POST.get("confirmed"):
        return render(request, "issues/confirm_unmerge.html", {
            "org": membership.organization, "issue": issue, "next": next_url,
        })
    try:
        actions.unmerge(issue, request.user)
        messages.success(request, f"Unmerged {issue.qualified_short_id}.")
    except actions.ActionError as error:
        messages.error(request, str(error).capitalize() + ".")
    return HttpResponseRedirect(next_url, status=303)
