"""Storing a batch of assigned events in one transaction (pipeline.md §14).

Events are inserted with one multi-row INSERT ... ON CONFLICT DO NOTHING RETURNING, so a
redelivered event is recognised by the database and counted nowhere. Only the events that were
really inserted move the counters: issue aggregates (F() and GREATEST/LEAST, never
read-modify-write), hourly counts, tag values and users, all as set-based upserts.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter, defaultdict
from datetime import datetime

from django.db import connection
from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    DateTimeField,
    F,
    PositiveSmallIntegerField,
    Q,
    Value,
    When,
)
from django.db.models.functions import Greatest, Least

from ingest.prepared import Prepared
from tracker.models import Event, Handling, Issue, IssueHourlyCount, IssueTag

_EVENT_FIELDS = (
    "project", "issue", "event_id", "timestamp", "received", "level", "title", "release",
    "environment", "user_key", "handling", "data",
)


def insert_events(events: list[Prepared]) -> list[Prepared]:
    """Insert the events; return those that were new (duplicates are silently skipped)."""
    if not events:
        return []
    fields = [Event._meta.get_field(name) for name in _EVENT_FIELDS]
    columns = ", ".join(f.column for f in fields)
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    params: list = []
    for p in events:
        values = (
            p.project.pk, p.issue_id, p.event_id, p.timestamp, p.item.received, p.level,
            p.title[:512], p.release, p.environment, p.user_key[:200], p.handling, p.data,
        )
        params.extend(f.get_db_prep_save(v, connection) for f, v in zip(fields, values,
                                                                         strict=True))
    table = Event._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) VALUES {', '.join([placeholders] * len(events))} "  # noqa: S608
            "ON CONFLICT (project_id, event_id) DO NOTHING RETURNING project_id, event_id",
            params,
        )
        inserted = {(pid, _hex(eid)) for pid, eid in cursor.fetchall()}
    return [p for p in events if (p.project.pk, p.event_id) in inserted]


def _hex(value) -> str:
    """Event ids come back as UUID (PostgreSQL) or hex text (SQLite)."""
    return value.hex if isinstance(value, uuid.UUID) else str(value).replace("-", "")


_HANDLING_RANK = {Handling.HANDLED: 0, Handling.UNHANDLED: 1, Handling.CRASH: 2}


def update_issues(events: list[Prepared]) -> None:
    """One UPDATE per touched issue: counts, first/last seen, and the latest event's level,
    culprit and release. Handling and priority only ever escalate."""
    by_issue: dict[int, list[Prepared]] = defaultdict(list)
    for p in events:
        by_issue[p.issue_id].append(p)
    # Every writer locks issue rows in id order: two batches touching the same issues in
    # different orders would otherwise deadlock on PostgreSQL.
    for issue_id, group in sorted(by_issue.items()):
        latest = max(group, key=lambda p: p.timestamp)
        first = min(p.timestamp for p in group)
        worst = max(group, key=lambda p: _HANDLING_RANK[p.handling]).handling
        is_latest = Q(last_seen__lte=latest.timestamp)
        small = PositiveSmallIntegerField()
        changes = {
            "times_seen": F("times_seen") + len(group),
            "last_seen": Greatest(F("last_seen"), Value(latest.timestamp, DateTimeField())),
            "first_seen": Least(F("first_seen"), Value(first, DateTimeField())),
            "level": Case(When(is_latest, then=Value(latest.level, small)), default=F("level"),
                          output_field=small),
            "culprit": Case(
                When(is_latest, then=Value(latest.culprit[:256], CharField())),
                default=F("culprit"), output_field=CharField(),
            ),
            "priority": Greatest(F("priority"), Value(max(p.priority for p in group), small),
                                 output_field=small),
        }
        if worst != Handling.HANDLED:
            stronger = [h for h, rank in _HANDLING_RANK.items()
                        if rank < _HANDLING_RANK[worst]]
            changes["handling"] = Case(
                When(handling__in=stronger, then=Value(worst, CharField())),
                default=F("handling"), output_field=CharField(),
            )
        if latest.release_id is not None:
            changes["last_release_id"] = Case(
                When(is_latest, then=Value(latest.release_id, BigIntegerField())),
                default=F("last_release_id"), output_field=BigIntegerField(),
            )
        Issue.objects.filter(pk=issue_id).update(**changes)


def _hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def count_hours(events: list[Prepared]) -> None:
    counts = Counter((p.issue_id, _hour(p.timestamp)) for p in events)
    _upsert(
        IssueHourlyCount, ("issue_id", "hour", "count"), ("issue_id", "hour"),
        [(issue, hour, n) for (issue, hour), n in sorted(counts.items())],
        "count = {t}.count + excluded.count",
    )


def count_tags(events: list[Prepared]) -> dict[int, int]:
    """Upsert tag values per issue; return new distinct users per issue."""
    stats: dict[tuple[int, str, str], list] = {}
    for p in events:
        for key, value in p.tags:
            entry = stats.get((p.issue_id, key, value))
            if entry is None:
                stats[(p.issue_id, key, value)] = [1, p.timestamp, p.timestamp]
            else:
                entry[0] += 1
                entry[1] = min(entry[1], p.timestamp)
                entry[2] = max(entry[2], p.timestamp)
    if not stats:
        return {}
    user_keys = [k for k in stats if k[1] == "user"]
    new_users: Counter[int] = Counter()
    if user_keys:
        # Which users are new to their issue decides users_seen. Two workers racing on the
        # same new user may both count it: a rare over-count we accept over locking.
        known = set(
            IssueTag.objects.filter(
                issue_id__in={k[0] for k in user_keys}, key="user",
                value__in={k[2] for k in user_keys},
            ).values_list("issue_id", "key", "value")
        )
        new_users.update(k[0] for k in user_keys if k not in known)
    _upsert(
        IssueTag, ("issue_id", "key", "value", "times_seen", "first_seen", "last_seen"),
        ("issue_id", "key", "value"),
        [(i, k, v, n, first, last) for (i, k, v), (n, first, last) in sorted(stats.items())],
        "times_seen = {t}.times_seen + excluded.times_seen, "
        "last_seen = CASE WHEN excluded.last_seen > {t}.last_seen THEN excluded.last_seen "
        "ELSE {t}.last_seen END",
    )
    for issue_id, n in sorted(new_users.items()):
        Issue.objects.filter(pk=issue_id).update(users_seen=F("users_seen") + n)
    return dict(new_users)


def _upsert(model, columns, conflict, rows, update_sql: str) -> None:
    """Multi-row upsert; callers pass rows sorted by key so that concurrent batches take
    row locks in the same order."""
    if not rows:
        return
    table = model._meta.db_table
    fields = [model._meta.get_field(c.removesuffix("_id")) for c in columns]
    placeholder = "(" + ", ".join(["%s"] * len(columns)) + ")"
    params = [
        f.get_db_prep_save(v, connection) if not f.is_relation else v
        for row in rows
        for f, v in zip(fields, row, strict=True)
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608
            f"VALUES {', '.join([placeholder] * len(rows))} "
            f"ON CONFLICT ({', '.join(conflict)}) DO UPDATE SET {update_sql.format(t=table)}",
            params,
        )


def dumps(data) -> str:
    return json.dumps(data, separators=(",", ":"))
