"""Issue alert rules on Sentry's route and in its JSON shape
(`/api/0/projects/{org}/{project}/rules/`), translated to and from tracker.alerts' rules.

Sentry names each condition, filter and action by a class path; the ones with an Errata
counterpart are accepted (below), anything else is a 400 naming it, rather than a rule that
silently does less than asked. Rows are validated by the models' own clean(), as the
rule editor's forms do.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404
from rest_framework.decorators import api_view
from rest_framework.exceptions import ParseError
from rest_framework.request import Request
from rest_framework.response import Response

from tracker import audit
from tracker.access import project_access
from tracker.alerts.models import AlertRule, RuleAction, RuleCondition, RuleFilter
from tracker.api.scopes import scoped
from tracker.api.serializers import iso
from tracker.models import Member, Team

_C = "sentry.rules.conditions."
CONDITIONS = {
    _C + "first_seen_event.FirstSeenEventCondition": RuleCondition.Kind.FIRST_SEEN,
    _C + "regression_event.RegressionEventCondition": RuleCondition.Kind.REGRESSION,
    _C + "reappeared_event.ReappearedEventCondition": RuleCondition.Kind.REAPPEARED,
    _C + "every_event.EveryEventCondition": RuleCondition.Kind.EVERY_EVENT,
    _C + "event_frequency.EventFrequencyCondition": RuleCondition.Kind.EVENT_FREQUENCY,
    _C + "event_frequency.EventUniqueUserFrequencyCondition": RuleCondition.Kind.UNIQUE_USERS,
}
INTERVALS = {"1m": 1, "5m": 5, "15m": 15, "1h": 60, "1d": 1440, "1w": 10080, "30d": 43200}
LEVEL_FILTER = "sentry.rules.filters.level.LevelFilter"
TAG_FILTER = "sentry.rules.filters.tagged_event.TaggedEventFilter"
LEVELS = {"10": "debug", "20": "info", "30": "warning", "40": "error", "50": "fatal"}
EMAIL_ACTION = "sentry.mail.actions.NotifyEmailAction"
WEBHOOK_ACTION = "sentry.rules.actions.notify_event_service.NotifyEventServiceAction"

MANAGE = "Only owners and admins can change alert rules."


def _key(mapping: dict, wanted) -> str:
    return next(k for k, v in mapping.items() if v == wanted)


def serialize_rule(rule: AlertRule) -> dict:
    conditions = []
    for c in rule.conditions.all():
        row = {"id": _key(CONDITIONS, c.kind), "name": str(c)}
        if c.kind in RuleCondition.COUNTING:
            row.update(value=c.value, interval=_key(INTERVALS, c.interval))
        conditions.append(row)
    filters = []
    for f in rule.filters.all():
        if f.kind == RuleFilter.Kind.LEVEL:
            level = next((k for k, v in LEVELS.items() if v == f.value), f.value)
            filters.append({"id": LEVEL_FILTER, "match": f.match, "level": level})
        elif f.kind == RuleFilter.Kind.TAG:
            filters.append({"id": TAG_FILTER, "key": f.key, "match": f.match, "value": f.value})
        else:  # kinds Sentry has no class for: readable, and kept on update
            filters.append({"id": f"errata.filters.{f.kind}", "match": f.match,
                            "value": f.value})
    actions = []
    for a in rule.actions.all():
        if a.kind == RuleAction.Kind.EMAIL_MEMBER:
            actions.append({"id": EMAIL_ACTION, "targetType": "Member",
                            "targetIdentifier": a.target_user_id})
        elif a.kind == RuleAction.Kind.EMAIL_TEAM:
            actions.append({"id": EMAIL_ACTION, "targetType": "Team",
                            "targetIdentifier": a.target_team_id})
        elif a.kind == RuleAction.Kind.EMAIL_PROJECT:
            actions.append({"id": EMAIL_ACTION, "targetType": "IssueOwners",
                            "fallthroughType": "ActiveMembers"})
        else:  # the URL is a secret: not echoed
            actions.append({"id": WEBHOOK_ACTION, "service": a.kind})
    return {
        "id": str(rule.pk), "name": rule.name, "actionMatch": rule.action_match,
        "filterMatch": rule.filter_match, "frequency": rule.frequency,
        "environment": rule.environment or None, "status": "active" if rule.enabled
        else "disabled", "conditions": conditions, "filters": filters, "actions": actions,
        "owner": f"user:{rule.owner_id}" if rule.owner_id else None,
        "dateCreated": iso(rule.created),
    }


def _rows(request: Request, field: str) -> list[dict]:
    rows = request.data.get(field, [])
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ParseError(f"{field} must be a list of objects")
    return rows


def _build(rule: AlertRule, request: Request) -> tuple[list, list, list]:
    """The rule's new rows from the request, validated, not saved."""
    org = rule.project.organization
    conditions = []
    for row in _rows(request, "conditions"):
        kind = CONDITIONS.get(row.get("id"))
        if kind is None:
            raise ParseError(f"unsupported condition {row.get('id')!r}")
        interval = INTERVALS.get(str(row.get("interval", "")))
        value = row.get("value")
        conditions.append(RuleCondition(
            rule=rule, kind=kind, value=int(value) if str(value).isdigit() else None,
            interval=interval))
    if not conditions:
        raise ParseError("conditions: give at least one")
    filters = []
    for row in _rows(request, "filters"):
        if row.get("id") == LEVEL_FILTER:
            level = LEVELS.get(str(row.get("level")), str(row.get("level", "")))
            filters.append(RuleFilter(rule=rule, kind=RuleFilter.Kind.LEVEL,
                                      match=row.get("match", "eq"), value=level))
        elif row.get("id") == TAG_FILTER:
            filters.append(RuleFilter(rule=rule, kind=RuleFilter.Kind.TAG,
                                      match=row.get("match", "eq"), key=str(row.get("key", "")),
                                      value=str(row.get("value", ""))))
        else:
            raise ParseError(f"unsupported filter {row.get('id')!r}")
    actions = []
    for row in _rows(request, "actions"):
        if row.get("id") != EMAIL_ACTION:
            raise ParseError(f"unsupported action {row.get('id')!r}")
        target, ident = row.get("targetType"), str(row.get("targetIdentifier", ""))
        if target == "Member":
            member = Member.objects.filter(organization=org, user_id=int(ident)).first() \
                if ident.isdigit() else None
            if member is None:
                raise ParseError("targetIdentifier: no such member")
            actions.append(RuleAction(rule=rule, kind=RuleAction.Kind.EMAIL_MEMBER,
                                      target_user_id=member.user_id))
        elif target == "Team":
            team = Team.objects.filter(organization=org, pk=int(ident)).first() \
                if ident.isdigit() else None
            if team is None:
                raise ParseError("targetIdentifier: no such team")
            actions.append(RuleAction(rule=rule, kind=RuleAction.Kind.EMAIL_TEAM,
                                      target_team=team))
        elif target == "IssueOwners":
            actions.append(RuleAction(rule=rule, kind=RuleAction.Kind.EMAIL_PROJECT))
        else:
            raise ParseError("targetType must be Member, Team or IssueOwners")
    if not actions:
        raise ParseError("actions: give at least one")
    return conditions, filters, actions


def _save(rule: AlertRule, request: Request) -> None:
    data = request.data
    if "name" in data or rule.pk is None:
        rule.name = str(data.get("name", "")).strip()[:200]
    for field, attr in (("actionMatch", "action_match"), ("filterMatch", "filter_match")):
        if field in data:
            setattr(rule, attr, data[field])
    if "frequency" in data:
        rule.frequency = data["frequency"]
    if "environment" in data:
        rule.environment = data["environment"] or ""
    try:
        rule.full_clean(exclude=["project", "owner"])
        with transaction.atomic():
            rule.save()
            if rule.pk is not None and ("conditions" in data or not rule.conditions.exists()):
                conditions, filters, actions = _build(rule, request)
                for row in (*conditions, *filters, *actions):
                    row.full_clean(exclude=["rule"])
                rule.conditions.all().delete()
                rule.filters.all().delete()
                rule.actions.all().delete()
                RuleCondition.objects.bulk_create(conditions)
                RuleFilter.objects.bulk_create(filters)
                RuleAction.objects.bulk_create(actions)
    except ValidationError as error:
        raise ParseError("; ".join(f"{k}: {' '.join(v)}" for k, v in
                                   error.message_dict.items())) from None


@api_view(["GET", "POST"])
@scoped(GET="project:read", POST=("alerts:write", "project:write"))
def project_rules(request: Request, org_slug: str, project_slug: str) -> Response:
    access = project_access(request.user, org_slug, project_slug,
                            manage=request.method == "POST", denied=MANAGE)
    project = access.project
    if request.method == "POST":
        rule = AlertRule(project=project, owner=request.user)
        with transaction.atomic():
            _save(rule, request)
        audit.record(project.organization, request.user, "rule.add", target=rule,
                     label=f"{project.slug}: {rule.name}", ip=audit.client_ip(request))
        return Response(serialize_rule(rule), status=201)
    rules = project.alert_rules.prefetch_related("conditions", "filters", "actions")
    return Response([serialize_rule(r) for r in rules.order_by("pk")])


@api_view(["GET", "PUT", "DELETE"])
@scoped(GET="project:read", PUT=("alerts:write", "project:write"),
        DELETE=("alerts:write", "project:write"))
def project_rule(request: Request, org_slug: str, project_slug: str, rule_id: int) -> Response:
    access = project_access(request.user, org_slug, project_slug,
                            manage=request.method != "GET", denied=MANAGE)
    project = access.project
    rule = get_object_or_404(AlertRule, project=project, pk=rule_id)
    label = f"{project.slug}: {rule.name}"
    if request.method == "DELETE":
        rule.delete()
        audit.record(project.organization, request.user, "rule.remove", label=label,
                     ip=audit.client_ip(request))
        return Response(status=202)
    if request.method == "PUT":
        with transaction.atomic():
            _save(rule, request)
        audit.record(project.organization, request.user, "rule.edit", target=rule,
                     label=f"{project.slug}: {rule.name}", ip=audit.client_ip(request))
    return Response(serialize_rule(rule))
