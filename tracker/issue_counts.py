"""Issue counters: times seen, first/last seen, hourly counts, tag values, users.

Every increment of an issue's counters is written here, by the digest (new events), by
merge/unmerge (moving counts between issues) and by retention (expired events). Counters are
summed in the database, never read-modify-written, so concurrent writers never lose an
increment.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import connection

from tracker import sql
from tracker.models import Issue, IssueHourlyCount, IssueTag

HOURLY_COLUMNS = ("issue_id", "hour", "count")
TAG_COLUMNS = ("issue_id", "key", "value", "times_seen", "first_seen", "last_seen")


def add_hours(rows: Sequence[tuple[int, datetime, int]]) -> None:
    """(issue_id, hour, events) rows, sorted by key (concurrent batches lock alike)."""
    sql.add(IssueHourlyCount, HOURLY_COLUMNS, rows, key=("issue_id", "hour"), sums=("count",))


def add_tags(rows: Sequence[tuple[int, str, str, int, datetime, datetime]]) -> None:
    """(issue_id, key, value, times_seen, first_seen, last_seen) rows, sorted by key."""
    sql.add(
        IssueTag, TAG_COLUMNS, rows, key=("issue_id", "key", "value"), sums=("times_seen",),
        also="last_seen = CASE WHEN excluded.last_seen > {t}.last_seen "
             "THEN excluded.last_seen ELSE {t}.last_seen END",
    )


def add_users(new_users: dict[int, int]) -> None:
    """users_seen += n for every issue, in one statement (update_issues holds their locks)."""
    if not new_users:
        return
    source, params = sql.with_rows("v", ("id", "n"), sql.fields(Issue, ("id", "users_seen")),
                                   sorted(new_users.items()))
    t = Issue._meta.db_table
    with sql.cursor() as cursor:
        cursor.execute(
            f"{source}UPDATE {t} SET users_seen = {t}.users_seen + v.n "  # noqa: S608
            f"FROM v WHERE {t}.id = v.id",
            params,
        )


# Sort order of Issue.handling: it only escalates.
HANDLING_RANK = {"handled": 0, "unhandled": 1, "crash": 2}

_ISSUE_ROW = ("id", "n", "first", "last", "level", "culprit", "priority", "rank", "handling",
              "release")
# The Issue field that types each of those columns.
_ISSUE_ROW_FIELDS = ("id", "times_seen", "first_seen", "last_seen", "level", "culprit",
                     "priority", "priority", "handling", "last_release")


def update_issues(rows: Sequence[tuple]) -> None:
    """Apply a batch's aggregates to its issues, in two statements whatever their number.

    A row: (id, events, first seen, last seen, level, culprit, priority, handling rank,
    handling, release id), sorted by id. The rows are locked in id order first (two batches
    touching the same issues in different orders would otherwise deadlock on PostgreSQL).
    Handling and priority only escalate; level, culprit and release follow the newest event,
    by event time.
    """
    if not rows:
        return
    list(Issue.objects.select_for_update().filter(pk__in=[r[0] for r in rows]).order_by("pk")
         .values_list("pk", flat=True))
    greatest, least = ("GREATEST", "LEAST") if connection.vendor == "postgresql" else ("MAX",
                                                                                       "MIN")
    t = Issue._meta.db_table
    newer = f"{t}.last_seen <= v.last"
    current_rank = (f"(CASE {t}.handling WHEN 'crash' THEN 2 WHEN 'unhandled' THEN 1 "
                    "ELSE 0 END)")
    source, params = sql.with_rows("v", _ISSUE_ROW, sql.fields(Issue, _ISSUE_ROW_FIELDS), rows)
    with sql.cursor() as cursor:
        cursor.execute(
            f"{source}UPDATE {t} SET "  # noqa: S608 (constants and column names only)
            f"times_seen = {t}.times_seen + v.n, "
            f"first_seen = {least}({t}.first_seen, v.first), "
            f"last_seen = {greatest}({t}.last_seen, v.last), "
            f"level = CASE WHEN {newer} THEN v.level ELSE {t}.level END, "
            f"culprit = CASE WHEN {newer} THEN v.culprit ELSE {t}.culprit END, "
            f"last_release_id = CASE WHEN {newer} AND v.release IS NOT NULL "
            f"THEN v.release ELSE {t}.last_release_id END, "
            f"priority = {greatest}({t}.priority, v.priority), "
            f"handling = CASE WHEN v.rank > {current_rank} THEN v.handling ELSE {t}.handling END "
            f"FROM v WHERE {t}.id = v.id",
            params,
        )


def move(source_id: int, target_id: int, sign: int) -> None:
    """Add (or, with sign -1, take back) the source's hourly counts and tag values into the
    target, for merge and unmerge. Set-based upserts, so events the digest counts into the
    target meanwhile are never overwritten."""
    hourly = IssueHourlyCount._meta.db_table
    tags = IssueTag._meta.db_table
    if sign > 0:
        count = "{t}.count + excluded.count"
        times = "{t}.times_seen + excluded.times_seen"
    else:
        count = "CASE WHEN {t}.count > excluded.count THEN {t}.count - excluded.count ELSE 0 END"
        times = ("CASE WHEN {t}.times_seen > excluded.times_seen "
                 "THEN {t}.times_seen - excluded.times_seen ELSE 0 END")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {hourly} (issue_id, hour, count) "  # noqa: S608
            f"SELECT %s, hour, count FROM {hourly} WHERE issue_id = %s "
            f"ON CONFLICT (issue_id, hour) DO UPDATE SET count = {count.format(t=hourly)}",
            [target_id, source_id],
        )
        cursor.execute(
            f"INSERT INTO {tags} ({', '.join(TAG_COLUMNS)}) "  # noqa: S608
            f"SELECT %s, key, value, times_seen, first_seen, last_seen FROM {tags} "
            "WHERE issue_id = %s "
            f"ON CONFLICT (issue_id, key, value) DO UPDATE SET times_seen = "
            f"{times.format(t=tags)}",
            [target_id, source_id],
        )
    if sign < 0:
        # Buckets that only the source filled are now empty on the target: drop them.
        IssueHourlyCount.objects.filter(issue_id=target_id, count=0).delete()
        IssueTag.objects.filter(issue_id=target_id, times_seen=0).delete()


def forget_events(expired: dict[int, int]) -> None:
    """times_seen -= n for every issue whose n events retention deleted, in one statement.

    An issue's count then stays the number of events it has. `ignored_until_times_seen`
    moves down with it, so "ignore until N more events" still means N more. Called in the
    transaction that deletes the events; the rows are locked in id order first, as
    update_issues does, so this and a digest batch cannot deadlock.
    """
    if not expired:
        return
    rows = sorted(expired.items())
    list(Issue.objects.select_for_update().filter(pk__in=[r[0] for r in rows]).order_by("pk")
         .values_list("pk", flat=True))
    source, params = sql.with_rows("v", ("id", "n"), sql.fields(Issue, ("id", "times_seen")),
                                   rows)
    t = Issue._meta.db_table
    with sql.cursor() as cursor:
        cursor.execute(
            f"{source}UPDATE {t} SET "  # noqa: S608 (constants and column names only)
            f"times_seen = CASE WHEN {t}.times_seen > v.n THEN {t}.times_seen - v.n ELSE 0 END, "
            f"ignored_until_times_seen = CASE WHEN {t}.ignored_until_times_seen > v.n "
            f"THEN {t}.ignored_until_times_seen - v.n "
            f"WHEN {t}.ignored_until_times_seen IS NULL THEN NULL ELSE 0 END "
            f"FROM v WHERE {t}.id = v.id",
            params,
        )
