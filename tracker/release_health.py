"""Release health: sessions folded into hourly counts, and the rates read from them.

A session is counted once, in the hour it started, from its first update (`init: true`),
and moves to a worse status as updates arrive (docs/release-health.md): each session's
state is kept in SessionState, so a retried or repeated update changes nothing and a
status update takes the session out of one bucket and into the next. Aggregates (the
`sessions` item of request-mode SDKs) carry ended sessions only and are added as they are.

Rates, as Sentry defines them and with the split of crashes and unhandled errors:
- crash-free sessions: 1 - crashed / sessions;
- crash-free users: 1 - users with a crashed session / users;
- unhandled-free sessions (and users): 1 - (unhandled + crashed) / sessions, the share of
  sessions that saw no unhandled error at all, whether or not it ended the process;
- adoption: a release's share of its project's sessions in the last 24 hours.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDay
from django.utils import timezone

from tracker import sql
from tracker.models import SessionBucket, SessionState, SessionStatus
from tracker.timeutil import floor_hour

STATUS_NAMES = {s.value: s.label for s in SessionStatus}
ADOPTION_WINDOW = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class SessionUpdate:
    """One session update (`sid` set) or one aggregate of `count` ended sessions."""

    project_id: int
    hour: datetime
    release: str
    environment: str
    status: int  # a SessionStatus
    sid: uuid.UUID | None = None
    init: bool = True
    user: str = ""
    count: int = 1


# -- folding ----------------------------------------------------------------------------------

STATE_COLUMNS = ("project_id", "sid", "hour", "release", "environment", "status", "previous",
                 "counted", "distinct_id")
BUCKET_KEY = ("project_id", "hour", "release", "environment", "status")


def fold(updates: list[SessionUpdate]) -> None:
    """Fold a batch's session updates into the hourly buckets.

    On PostgreSQL one statement does it all: the upsert of the sessions' states, whose
    RETURNING says where each session was counted before, feeds the upsert of the bucket
    deltas (and the aggregates) in the same statement. Elsewhere the same two upserts run
    one after the other."""
    states = [
        (u.project_id, u.sid, u.hour, u.release, u.environment, u.status, 0, u.init, u.user)
        for u in _merge([u for u in updates if u.sid is not None])
    ]
    aggregates: Counter[tuple] = Counter()
    for u in updates:
        if u.sid is None:
            aggregates[(u.project_id, u.hour, u.release, u.environment, u.status)] += u.count
    if connection.vendor == "postgresql":
        _fold_in_one_statement(states, aggregates)
        return
    deltas = Counter(aggregates)
    for project_id, hour, release, environment, previous, status in _fold_states(states):
        if previous != status:
            deltas[(project_id, hour, release, environment, status)] += 1
            if previous:
                deltas[(project_id, hour, release, environment, previous)] -= 1
    rows = sorted((p, h, r, e, STATUS_NAMES[s], n) for (p, h, r, e, s), n in deltas.items() if n)
    sql.add(SessionBucket, (*BUCKET_KEY, "count"), rows, key=BUCKET_KEY, sums=("count",))


def _state_conflict(greatest: str) -> str:
    """A session's state after an update (see _fold_states)."""
    return (
        "(project_id, sid) DO UPDATE SET "
        "previous = CASE WHEN {t}.counted THEN {t}.status ELSE 0 END, "
        f"status = {greatest}({{t}}.status, excluded.status), "
        "counted = {t}.counted OR excluded.counted, "
        "distinct_id = CASE WHEN {t}.distinct_id = '' THEN excluded.distinct_id "
        "ELSE {t}.distinct_id END"
    )


_RETURNING = "project_id, hour, release, environment, previous, status, counted"


def _fold_in_one_statement(states: list[tuple], aggregates: Counter) -> None:
    """`WITH moved AS (upsert states RETURNING ...), added AS (aggregates) INSERT INTO
    buckets SELECT the deltas ... ON CONFLICT add`: data-modifying CTEs, PostgreSQL only."""
    ctes, sources, params = [], [], []
    if states:
        upsert, upsert_params = sql.insert_statement(
            SessionState, STATE_COLUMNS, states, on_conflict=_state_conflict("GREATEST"),
            returning=_RETURNING)
        ctes.append(f"moved AS ({upsert})")
        params += upsert_params
        sources += [
            "SELECT project_id, hour, release, environment, status, 1 AS n FROM moved "
            "WHERE counted AND status <> previous",
            "SELECT project_id, hour, release, environment, previous, -1 FROM moved "
            "WHERE counted AND previous > 0 AND status <> previous",
        ]
    if aggregates:
        field_list = [*sql.fields(SessionState, ("project_id", "hour", "release",
                                                 "environment", "status")),
                      *sql.fields(SessionBucket, ("count",))]
        rows = [(*k, n) for k, n in sorted(aggregates.items())]
        source, source_params = sql.rows_source(field_list, sql.prep_rows(field_list, rows))
        ctes.append(f"added (project_id, hour, release, environment, status, n) AS ({source})")
        params += source_params
        sources.append("SELECT project_id, hour, release, environment, status, n FROM added")
    if not sources:
        return
    table = SessionBucket._meta.db_table
    label = "CASE status " + " ".join(
        f"WHEN {s.value} THEN '{s.label}'" for s in SessionStatus) + " END"
    # Rows in key order, so that concurrent batches lock buckets in the same order. Only
    # table, column and status names are formatted in; values are parameters.
    statement = (
        f"WITH {', '.join(ctes)} "  # noqa: S608 - names only
        f"INSERT INTO {table} (project_id, hour, release, environment, status, count) "
        f"SELECT project_id, hour, release, environment, {label}, SUM(n) "
        f"FROM ({' UNION ALL '.join(sources)}) AS deltas "
        "GROUP BY project_id, hour, release, environment, status HAVING SUM(n) <> 0 "
        "ORDER BY project_id, hour, release, environment, status "
        f"ON CONFLICT ({', '.join(BUCKET_KEY)}) "
        f"DO UPDATE SET count = {table}.count + excluded.count"
    )
    with sql.cursor() as cursor:
        cursor.execute(statement, params)


def _merge(updates: list[SessionUpdate]) -> list[SessionUpdate]:
    """One update per session: a statement may change a row only once. Its worst status,
    and whether any of them was the first (`init`)."""
    merged: dict[tuple, SessionUpdate] = {}
    for u in updates:
        seen = merged.get((u.project_id, u.sid))
        if seen is None:
            merged[(u.project_id, u.sid)] = u
            continue
        first = seen if seen.init or not u.init else u
        merged[(u.project_id, u.sid)] = SessionUpdate(
            first.project_id, first.hour, first.release, first.environment,
            max(seen.status, u.status), first.sid, seen.init or u.init,
            first.user or seen.user or u.user)
    return [merged[k] for k in sorted(merged, key=lambda k: (k[0], str(k[1])))]


def _fold_states(states: list[tuple]) -> list[tuple]:
    """Upsert the sessions' states; (project, hour, release, environment, previous, status)
    of each counted session, `previous` 0 when it was not counted before.

    A session is counted from its `init` update. An update of a session whose start was
    never seen is remembered (uncounted: `counted` false) so that the start, if it comes
    later, counts it in its worst status. The status only gets worse, so a retried or late
    older update changes nothing. The `previous` and `status` columns are set from the row
    as locked by the upsert, so concurrent batches updating one session move it once each."""
    if not states:
        return []
    returned = sql.insert(SessionState, STATE_COLUMNS, states,
                          on_conflict=_state_conflict("MAX"), returning=_RETURNING)
    return [
        (project_id, _aware(hour), release, environment, previous, status)
        for project_id, hour, release, environment, previous, status, counted in returned
        if counted
    ]


def _aware(moment) -> datetime:
    """RETURNING rows are not converted by Django's fields: SQLite gives text."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# -- reading ----------------------------------------------------------------------------------

FIELDS = (
    "sum(session)", "count_unique(user)", "crash_free_rate(session)", "crash_free_rate(user)",
    "unhandled_free_rate(session)", "unhandled_free_rate(user)",
)
GROUP_BYS = ("project", "release", "environment", "session.status")
RATE_FIELDS = frozenset(f for f in FIELDS if "rate" in f)
CRASHED = SessionStatus.CRASHED
UNHANDLED_OR_WORSE = (SessionStatus.UNHANDLED, SessionStatus.CRASHED)
_STATUS_BY_NAME = {s.label: s.value for s in SessionStatus}


class QueryError(ValueError):
    """A query the sessions API cannot answer; the message says why."""


@dataclass(frozen=True)
class SessionQuery:
    project_ids: tuple[int, ...]
    start: datetime
    end: datetime
    interval: timedelta
    fields: tuple[str, ...]
    group_by: tuple[str, ...] = ()
    environments: tuple[str, ...] = ()
    releases: tuple[str, ...] = ()

    @property
    def intervals(self) -> list[datetime]:
        count = int((self.end - self.start) / self.interval)
        return [self.start + i * self.interval for i in range(count)]


class _Tally:
    """Sessions per status, and each user's worst status, for one group and interval."""

    __slots__ = ("sessions", "users")

    def __init__(self) -> None:
        self.sessions: Counter[int] = Counter()
        self.users: dict[str, int] = {}

    def add_user(self, user: str, status: int) -> None:
        if status > self.users.get(user, 0):
            self.users[user] = status

    def value(self, field: str, only_status: int | None = None):
        sessions, users = self.sessions, Counter(self.users.values())
        if only_status is not None:
            sessions = Counter({only_status: sessions[only_status]})
            users = Counter({only_status: users[only_status]})
        total_sessions, total_users = sum(sessions.values()), sum(users.values())
        if field == "sum(session)":
            return total_sessions
        if field == "count_unique(user)":
            return total_users
        counts, total = (sessions, total_sessions) if field.endswith("(session)") else (
            users, total_users)
        if not total:
            return None
        bad = counts[CRASHED] if field.startswith("crash_free") else sum(
            counts[s] for s in UNHANDLED_OR_WORSE)
        return round(1 - bad / total, 6)


def query(q: SessionQuery) -> dict:
    """Sentry's sessions API answer: start, end, intervals, and per group its totals and
    series of each field. Grouped by `session.status`, a session counts in its status and a
    user in the worst status of their sessions; rates make no sense per status."""
    unknown = [f for f in q.fields if f not in FIELDS]
    if unknown:
        raise QueryError(f"Invalid field: {unknown[0]!r}")
    bad_group = [g for g in q.group_by if g not in GROUP_BYS]
    if bad_group:
        raise QueryError(f"Invalid groupBy: {bad_group[0]!r}")
    by_status = "session.status" in q.group_by
    if by_status:
        rate = next((f for f in q.fields if f in RATE_FIELDS), None)
        if rate:
            raise QueryError(f"Cannot group field {rate} by session.status")
    keys = [g for g in q.group_by if g != "session.status"]
    intervals = q.intervals
    totals: dict[tuple, _Tally] = {}
    series: dict[tuple, list[_Tally]] = {}

    def tallies(row) -> tuple[_Tally, _Tally]:
        group = tuple(row[_COLUMN[k]] for k in keys)
        if group not in totals:
            totals[group] = _Tally()
            series[group] = [_Tally() for _ in intervals]
        index = int((_aware(row["slot"]) - q.start) / q.interval)
        return totals[group], series[group][index]

    # Rows summed in the database per interval when intervals are whole days (the range is
    # aligned on them), else per hour; and only by the columns grouped by.
    slot = TruncDay("hour", tzinfo=UTC) if not q.interval % timedelta(days=1) else F("hour")
    columns = [_COLUMN[k] for k in keys]
    buckets = (_filtered(SessionBucket.objects, q).values(*columns, "status", slot=slot)
               .annotate(n=Sum("count")).order_by())
    for row in buckets:
        status = _STATUS_BY_NAME.get(row["status"])
        if status is None or not row["n"]:
            continue
        for tally in tallies(row):
            tally.sessions[status] += row["n"]
    if any(f.endswith("(user)") for f in q.fields):
        states = (_filtered(SessionState.objects, q).filter(counted=True)
                  .exclude(distinct_id="")
                  .values(*columns, "status", "distinct_id", slot=slot).distinct().order_by())
        for row in states:
            for tally in tallies(row):
                tally.add_user(row["distinct_id"], row["status"])

    groups = []
    for group in sorted(totals, key=lambda g: tuple(str(v) for v in g)):
        by = dict(zip(keys, group, strict=True))
        for status in (SessionStatus if by_status else [None]):
            status_value = status.value if status is not None else None
            entry_by = {**by, "session.status": status.label} if status is not None else by
            groups.append({
                "by": entry_by,
                "totals": {f: totals[group].value(f, status_value) for f in q.fields},
                "series": {f: [t.value(f, status_value) for t in series[group]]
                           for f in q.fields},
            })
    if not groups and not keys:
        empty = _Tally()
        groups.append({"by": {}, "totals": {f: empty.value(f) for f in q.fields},
                       "series": {f: [empty.value(f) for _ in intervals] for f in q.fields}})
    return {"start": _iso(q.start), "end": _iso(q.end), "intervals": [_iso(i) for i in intervals],
            "groups": groups}


_COLUMN = {"project": "project_id", "release": "release", "environment": "environment"}


def _filtered(rows, q: SessionQuery):
    rows = rows.filter(project_id__in=q.project_ids, hour__gte=q.start, hour__lt=q.end)
    if q.environments:
        rows = rows.filter(environment__in=q.environments)
    if q.releases:
        rows = rows.filter(release__in=q.releases)
    return rows


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def aligned(start: datetime, end: datetime, interval: timedelta) -> tuple[datetime, datetime]:
    """The range widened to whole intervals (counted from the epoch), as Sentry does."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    start = epoch + ((start - epoch) // interval) * interval
    end = epoch + -((epoch - end) // interval) * interval
    return start, max(end, start + interval)


@dataclass
class ReleaseHealth:
    """A release's health over a period, and its adoption over the last 24 hours."""

    sessions: int = 0
    crashed: int = 0
    unhandled: int = 0
    users: int = 0
    crashed_users: int = 0
    unhandled_users: int = 0
    sessions_24h: int = 0
    adoption: float | None = None
    daily: list[int] | None = None

    @property
    def crash_free_sessions(self) -> float | None:
        return 1 - self.crashed / self.sessions if self.sessions else None

    @property
    def unhandled_free_sessions(self) -> float | None:
        return 1 - (self.crashed + self.unhandled) / self.sessions if self.sessions else None

    @property
    def crash_free_users(self) -> float | None:
        return 1 - self.crashed_users / self.users if self.users else None

    @property
    def unhandled_free_users(self) -> float | None:
        return 1 - self.unhandled_users / self.users if self.users else None


def release_health(project_id: int, versions: list[str], *, days: int = 14,
                   now: datetime | None = None) -> dict[str, ReleaseHealth]:
    """Health of each release of a project over the last `days` days, with its daily
    session counts (oldest first) and its adoption: a fixed number of grouped queries,
    whatever the number of releases."""
    now = now or timezone.now()
    end = floor_hour(now) + timedelta(hours=1)
    since = end - timedelta(days=days)
    # The window spans days + 1 calendar days (UTC), the first and last one partly.
    health = {v: ReleaseHealth(daily=[0] * (days + 1)) for v in versions}
    # Summed per release, status and day in the database: a few rows per release and day,
    # whatever the number of hourly rows behind them.
    buckets = (
        SessionBucket.objects.filter(project_id=project_id, release__in=versions,
                                     hour__gte=since, hour__lt=end)
        .values("release", "status", day=TruncDay("hour", tzinfo=UTC))
        .annotate(n=Sum("count"), recent=Sum("count", filter=Q(hour__gte=end - ADOPTION_WINDOW)))
        .order_by()
    )
    for row in buckets:
        h = health[row["release"]]
        n = row["n"]
        h.sessions += n
        if row["status"] == CRASHED.label:
            h.crashed += n
        elif row["status"] == SessionStatus.UNHANDLED.label:
            h.unhandled += n
        index = (_aware(row["day"]).date() - since.date()).days
        h.daily[min(days, max(0, index))] += n
        h.sessions_24h += row["recent"] or 0
    users = (
        SessionState.objects.filter(project_id=project_id, release__in=versions,
                                    hour__gte=since, hour__lt=end, counted=True)
        .exclude(distinct_id="").values("release")
        .annotate(users=Count("distinct_id", distinct=True),
                  crashed=Count("distinct_id", distinct=True, filter=Q(status=CRASHED)),
                  unhandled=Count("distinct_id", distinct=True,
                                  filter=Q(status__in=UNHANDLED_OR_WORSE)))
    )
    for row in users:
        h = health[row["release"]]
        h.users, h.crashed_users, h.unhandled_users = (
            row["users"], row["crashed"], row["unhandled"])
    total_24h = SessionBucket.objects.filter(
        project_id=project_id, hour__gte=end - ADOPTION_WINDOW, hour__lt=end,
    ).aggregate(n=Sum("count"))["n"] or 0
    for h in health.values():
        h.adoption = h.sessions_24h / total_24h if total_24h else None
    return health


def crash_free_rate(project_id: int, release: str | None, since: datetime,
                    until: datetime, *, environment: str | None = None,
                    ) -> tuple[float | None, int]:
    """Crash-free session rate of a project (or one of its releases) between two moments,
    by the hours sessions started in, and the number of sessions it is computed from."""
    rows = SessionBucket.objects.filter(project_id=project_id, hour__gte=floor_hour(since),
                                        hour__lt=until)
    if release is not None:
        rows = rows.filter(release=release)
    if environment is not None:
        rows = rows.filter(environment=environment)
    counts = dict(rows.values_list("status").annotate(n=Sum("count")))
    total = sum(counts.values())
    if not total:
        return None, 0
    return 1 - counts.get(CRASHED.label, 0) / total, total
