"""The issue search syntax, as in Sentry: `is:unresolved level:error !release:1.2 "bad thing"`.

`parse()` splits a query into terms; `to_filter()` turns them into one Q over Issue. Tag-like
terms (release, environment, user.email and any `key:value`) become EXISTS subqueries on
IssueTag, which the (issue, key, value) unique index answers per issue. Unknown `is:` values
and malformed comparisons are reported back rather than silently ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from tracker.models import Handling, Issue, IssueTag, Level, Team
from tracker.models.issues import parse_qualified_short_id

# key:value (value quoted or bare), "quoted text", or a bare word; each optionally negated.
_TOKEN = re.compile(
    r'''(?P<neg>!)?(?:
        (?P<key>[A-Za-z_][\w.\-]*):(?P<value>"(?:[^"\\]|\\.)*"|[^\s"]\S*|)
      | (?P<phrase>"(?:[^"\\]|\\.)*")
      | (?P<word>\S+)
    )''',
    re.VERBOSE,
)
_COMPARISON = re.compile(r"^(?P<op><=|>=|<|>|=)?(?P<number>\d+)$")
_AGE = re.compile(r"^(?P<sign>[-+])(?P<amount>\d+)(?P<unit>[smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_OPS = {"<": "lt", "<=": "lte", ">": "gt", ">=": "gte", "=": "exact", None: "exact"}
NEW_FOR = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Term:
    key: str  # "" for free text
    value: str
    negated: bool = False


@dataclass(slots=True)
class Search:
    terms: list[Term] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def sets_status(self) -> bool:
        """Whether the query picks a status itself, overriding the status filter."""
        statuses = {"unresolved", "resolved", "ignored", "regressed", "escalating", "for_review"}
        return any(t.key == "is" and t.value.lower() in statuses for t in self.terms)


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def parse(query: str) -> Search:
    search = Search()
    for match in _TOKEN.finditer(query or ""):
        negated = bool(match["neg"])
        if match["key"] is not None:
            value = _unquote(match["value"])
            if value:
                search.terms.append(Term(match["key"].lower(), value, negated))
            else:
                search.errors.append(f"“{match['key']}:” needs a value")
        else:
            text = _unquote(match["phrase"] or match["word"])
            if text:
                search.terms.append(Term("", text, negated))
    return search


def _tag(key: str, value: str) -> Exists:
    return Exists(IssueTag.objects.filter(issue=OuterRef("pk"), key=key, value=value))


def _is(value: str, user, now: datetime) -> Q | None:
    match value.lower():
        case "unresolved" | "resolved" | "ignored" as status:
            return Q(status=status)
        case "regressed":
            return Q(status=Issue.Status.UNRESOLVED, substatus=Issue.Substatus.REGRESSED)
        case "escalating":
            return Q(status=Issue.Status.UNRESOLVED, substatus=Issue.Substatus.ESCALATING)
        case "new":
            return Q(substatus=Issue.Substatus.NEW, first_seen__gte=now - NEW_FOR)
        case "assigned":
            return Q(assignee__isnull=False) | Q(assignee_team__isnull=False)
        case "unassigned":
            return Q(assignee__isnull=True, assignee_team__isnull=True)
        case "crash":
            return Q(handling=Handling.CRASH)
        case "unhandled":
            return Q(handling__in=(Handling.UNHANDLED, Handling.CRASH))
        case "handled":
            return Q(handling=Handling.HANDLED)
        case "for_review":
            return Q(status=Issue.Status.UNRESOLVED, substatus__in=(
                Issue.Substatus.NEW, Issue.Substatus.REGRESSED, Issue.Substatus.ESCALATING))
    return None


def _assigned(value: str, user) -> Q:
    value = value.lower()
    if value == "me":
        # A subquery, not a join through team members: a join would repeat issues.
        return Q(assignee=user) | Q(assignee_team__in=Team.objects.filter(members__user=user))
    if value in ("none", "nobody"):
        return Q(assignee__isnull=True, assignee_team__isnull=True)
    if value.startswith("#"):
        return Q(assignee_team__slug=value[1:])
    return Q(assignee__email__iexact=value) | Q(assignee__username__iexact=value)


def _levels(value: str) -> list[int] | None:
    names = [v.strip().lower() for v in value.strip("[]").split(",") if v.strip()]
    levels = [Level.from_name(n) for n in names if n in Level.labels]
    return levels if len(levels) == len(names) and levels else None


def _compare(field_name: str, value: str) -> Q | None:
    match = _COMPARISON.match(value)
    if match is None:
        return None
    return Q(**{f"{field_name}__{_OPS[match['op']]}": int(match["number"])})


def _age(field_name: str, value: str, now: datetime) -> Q | None:
    """`-24h`: within the last 24 hours; `+7d`: longer ago than 7 days."""
    match = _AGE.match(value)
    if match is None:
        return None
    moment = now - timedelta(**{_UNITS[match["unit"]]: int(match["amount"])})
    return Q(**{f"{field_name}__{'gte' if match['sign'] == '-' else 'lt'}": moment})


def _short_id(text: str) -> int | None:
    parsed = parse_qualified_short_id(text)
    return parsed[1] if parsed else None


def _text(value: str) -> Q:
    # The pipeline writes title, culprit and in-app frames into search_text; title and culprit
    # are only read for issues without it, so a search scans one column, not three.
    q = Q(search_text__icontains=value) | Q(search_text="") & (
        Q(title__icontains=value) | Q(culprit__icontains=value)
    )
    number = _short_id(value)
    if number is not None:
        project_slug = value.rsplit("-", 1)[0].lower()
        q |= Q(short_id=number, project__slug=project_slug)
    return q


def term_filter(term: Term, user, now: datetime) -> Q | None:
    """One term as a Q (not yet negated), or None when the term makes no sense."""
    key, value = term.key, term.value
    match key:
        case "":
            return _text(value)
        case "is":
            return _is(value, user, now)
        case "level":
            levels = _levels(value)
            return Q(level__in=levels) if levels else None
        case "first-release" | "first_release" | "firstrelease":
            return Q(first_release__version=value)
        case "assigned" | "assigned_to":
            return _assigned(value, user)
        case "times_seen" | "timesseen" | "events":
            return _compare("times_seen", value)
        case "users_seen" | "users":
            return _compare("users_seen", value)
        case "age" | "first_seen" | "firstseen":
            return _age("first_seen", value, now)
        case "last_seen" | "lastseen":
            return _age("last_seen", value, now)
        case "user.email":
            # The pipeline keys users by id when they have one, so the email may be recorded
            # either as the user tag itself or as its own tag.
            return _tag("user", f"email:{value}") | _tag("user.email", value)
        case "user.id":
            return _tag("user", f"id:{value}")
        case "user.username":
            return _tag("user", f"username:{value}")
        case "has":
            return Exists(IssueTag.objects.filter(issue=OuterRef("pk"), key=value))
        case "issue":
            number = _short_id(value)
            return Q(short_id=number) if number is not None else None
    # release, environment, handled, url, browser... and any custom tag.
    return _tag(key, value)


def to_filter(search: Search, user, now: datetime | None = None) -> Q:
    now = now or timezone.now()
    combined = Q()
    for term in search.terms:
        q = term_filter(term, user, now)
        if q is None:
            search.errors.append(f"“{term.key}:{term.value}” is not something I can search")
            continue
        combined &= ~q if term.negated else q
    return combined
