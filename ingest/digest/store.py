"""Storing a batch of assigned events in one transaction (docs/pipeline.md §7).

Events are inserted with one multi-row INSERT ... ON CONFLICT DO NOTHING RETURNING, so a
redelivered event is recognised by the database and counted nowhere. Only the events that were
really inserted move the counters (tracker.issue_counts): issue aggregates, hourly counts, tag
values and users, all as set-based upserts.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from ingest.digest.prepare import Prepared
from tracker import issue_counts, sql
from tracker.models import Event, IssueTag
from tracker.models.events import event_id_hex
from tracker.timeutil import floor_hour

_EVENT_FIELDS = (
    "project", "issue", "event_id", "timestamp", "received", "level", "title", "release",
    "environment", "user_key", "handling", "data",
)


def insert_events(events: list[Prepared]) -> list[Prepared]:
    """Insert the events; return those that were new (duplicates are silently skipped)."""
    if not events:
        return []
    rows = [
        (p.project.pk, p.issue_id, p.event_id, p.timestamp, p.item.received, p.level,
         p.title[:512], p.release, p.environment, p.user_key[:200], p.handling, p.data)
        for p in events
    ]
    returned = sql.insert(Event, _EVENT_FIELDS, rows,
                          on_conflict="(project_id, event_id) DO NOTHING",
                          returning="project_id, event_id")
    inserted = {(pid, event_id_hex(eid)) for pid, eid in returned}
    return [p for p in events if (p.project.pk, p.event_id) in inserted]


def issue_of(p: Prepared) -> int:
    """The issue of an event past assignment (only those reach the store steps)."""
    assert p.issue_id is not None, "events are stored only once assigned to an issue"
    return p.issue_id


def update_issues(events: list[Prepared]) -> None:
    """Counts, first/last seen, and the latest event's level, culprit and release for every
    touched issue."""
    by_issue: dict[int, list[Prepared]] = defaultdict(list)
    for p in events:
        by_issue[issue_of(p)].append(p)
    rank = issue_counts.HANDLING_RANK
    rows = []
    for issue_id in sorted(by_issue):
        group = by_issue[issue_id]
        latest = max(group, key=lambda p: p.timestamp)
        worst = max(group, key=lambda p: rank[p.handling]).handling
        rows.append((
            issue_id, len(group), min(p.timestamp for p in group), latest.timestamp,
            latest.level, latest.culprit[:256], max(p.priority for p in group), rank[worst],
            str(worst), latest.release_id,
        ))
    issue_counts.update_issues(rows)


def count_hours(events: list[Prepared]) -> None:
    counts = Counter((issue_of(p), floor_hour(p.timestamp)) for p in events)
    issue_counts.add_hours([(issue, hour, n) for (issue, hour), n in sorted(counts.items())])


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
    issue_counts.add_tags(
        [(i, k, v, n, first, last) for (i, k, v), (n, first, last) in sorted(stats.items())])
    issue_counts.add_users(dict(new_users))
    return dict(new_users)
