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

from ingest import sql
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
    fields = sql.fields(Event, _EVENT_FIELDS)
    rows = []
    for p in events:
        values = (
            p.project.pk, p.issue_id, p.event_id, p.timestamp, p.item.received, p.level,
            p.title[:512], p.release, p.environment, p.user_key[:200], p.handling, p.data,
        )
        rows.append(values)
    source, params = sql.rows_source(fields, sql.prep_rows(fields, rows))
    table = Event._meta.db_table
    with sql.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({sql.columns(fields)}) {source} "
            "ON CONFLICT (project_id, event_id) DO NOTHING RETURNING project_id, event_id",
            params,
        )
        inserted = {(pid, _hex(eid)) for pid, eid in cursor.fetchall()}
    return [p for p in events if (p.project.pk, p.event_id) in inserted]


def _hex(value) -> str:
    """Event ids come back as UUID (PostgreSQL) or hex text (SQLite)."""
    return value.hex if isinstance(value, uuid.UUID) else str(value).replace("-", "")


_HANDLING_RANK: dict[str, int] = {Handling.HANDLED: 0, Handling.UNHANDLED: 1,
                                  Handling.CRASH: 2}


def issue_of(p: Prepared) -> int:
    """The issue of an event past assignment (only those reach the store steps)."""
    assert p.issue_id is not None, "events are stored only once assigned to an issue"
    return p.issue_id


def update_issues(events: list[Prepared]) -> None:
    """Counts, first/last seen, and the latest event's level, culprit and release for every
    touched issue, in two statements whatever their number: lock the rows in id order (two
    batches touching the same issues in different orders would otherwise deadlock on
    PostgreSQL), then one UPDATE from a VALUES list. Handling and priority only escalate;
    level, culprit and release follow the newest event, by event time."""
    by_issue: dict[int, list[Prepared]] = defaultdict(list)
    for p in events:
        by_issue[issue_of(p)].append(p)
    if not by_issue:
        return
    ids = sorted(by_issue)
    list(Issue.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list(
        "pk", flat=True))
    rows = []
    for issue_id in ids:
        group = by_issue[issue_id]
        latest = max(group, key=lambda p: p.timestamp)
        worst = max(group, key=lambda p: _HANDLING_RANK[p.handling]).handling
        rows.append((
            issue_id, len(group), _db_time(min(p.timestamp for p in group)),
            _db_time(latest.timestamp), latest.level, latest.culprit[:256],
            max(p.priority for p in group), _HANDLING_RANK[worst], str(worst),
            latest.release_id,
        ))
    pg = connection.vendor == "postgresql"
    greatest, least = ("GREATEST", "LEAST") if pg else ("MAX", "MIN")

    def cast(column: str, pg_type: str) -> str:
        # PostgreSQL types VALUES columns from their literals (NULL and dates are text);
        # SQLite needs no casts, and a CAST there would change the stored text's affinity.
        return f"CAST(v.{column} AS {pg_type})" if pg else f"v.{column}"

    t = Issue._meta.db_table
    newer = f"{t}.last_seen <= {cast('last', 'timestamptz')}"
    current_rank = (f"(CASE {t}.handling WHEN 'crash' THEN 2 WHEN 'unhandled' THEN 1 "
                    "ELSE 0 END)")
    values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(rows))
    sql = (
        f"WITH v (id, n, first, last, level, culprit, priority, rank, handling, release) "  # noqa: S608 (constants and column names only)
        f"AS (VALUES {values}) "
        f"UPDATE {t} SET "
        f"times_seen = {t}.times_seen + {cast('n', 'bigint')}, "
        f"first_seen = {least}({t}.first_seen, {cast('first', 'timestamptz')}), "
        f"last_seen = {greatest}({t}.last_seen, {cast('last', 'timestamptz')}), "
        f"level = CASE WHEN {newer} THEN {cast('level', 'smallint')} ELSE {t}.level END, "
        f"culprit = CASE WHEN {newer} THEN {cast('culprit', 'varchar')} ELSE {t}.culprit END, "
        f"last_release_id = CASE WHEN {newer} AND v.release IS NOT NULL "
        f"THEN {cast('release', 'bigint')} ELSE {t}.last_release_id END, "
        f"priority = {greatest}({t}.priority, {cast('priority', 'smallint')}), "
        f"handling = CASE WHEN {cast('rank', 'int')} > {current_rank} "
        f"THEN {cast('handling', 'varchar')} ELSE {t}.handling END "
        f"FROM v WHERE {t}.id = {cast('id', 'bigint')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for row in rows for value in row])


def _db_time(moment: datetime):
    return Issue._meta.get_field("last_seen").get_db_prep_save(moment, connection)


def _hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def count_hours(events: list[Prepared]) -> None:
    counts = Counter((issue_of(p), _hour(p.timestamp)) for p in events)
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
            entry = stats.get((issue_of(p), key, value))
            if entry is None:
                stats[(issue_of(p), key, value)] = [1, p.timestamp, p.timestamp]
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
    _add_users(new_users)
    return dict(new_users)


def _add_users(new_users: Counter[int]) -> None:
    """users_seen += n for every issue, in one statement (update_issues holds their locks)."""
    if not new_users:
        return
    fields = sql.fields(Issue, ("id", "users_seen"))
    source, params = sql.rows_source(fields, sorted(new_users.items()))
    t = Issue._meta.db_table
    with sql.cursor() as cursor:
        cursor.execute(
            f"WITH v (id, n) AS ({source}) "  # noqa: S608 (table and column types only)
            f"UPDATE {t} SET users_seen = {t}.users_seen + v.n FROM v WHERE {t}.id = v.id",
            params,
        )


def _upsert(model, columns, conflict, rows, update_sql: str) -> None:
    """Multi-row upsert; callers pass rows sorted by key so that concurrent batches take
    row locks in the same order."""
    if not rows:
        return
    table = model._meta.db_table
    fields = [model._meta.get_field(c.removesuffix("_id")) for c in columns]
    source, params = sql.rows_source(fields, sql.prep_rows(fields, rows))
    with sql.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) {source} "
            f"ON CONFLICT ({', '.join(conflict)}) DO UPDATE SET {update_sql.format(t=table)}",
            params,
        )


def dumps(data) -> str:
    return json.dumps(data, separators=(",", ":"))
