"""What one evaluation run knows besides the events: issues, counters, latest releases.

Everything is loaded lazily and once per run, for all the run's issues at a time, so a batch
of a hundred events costs a handful of queries whatever the number of rules.
"""

from __future__ import annotations

from datetime import datetime

from tracker.alerts import counters
from tracker.models import Issue
from tracker.models.releases import latest as latest_release


class Context:
    def __init__(self, issues: dict[int, Issue], now: datetime) -> None:
        self.issues = issues
        self.now = now
        self._counts: dict[tuple[str, int], dict[int, int]] = {}
        self._latest: dict[int, str | None] = {}

    def events_in(self, issue_id: int, minutes: int) -> int:
        key = ("events", minutes)
        if key not in self._counts:
            self._counts[key] = counters.events_in(list(self.issues), minutes, self.now)
        return self._counts[key].get(issue_id, 0)

    def users_in(self, issue_id: int, minutes: int) -> int:
        key = ("users", minutes)
        if key not in self._counts:
            self._counts[key] = counters.users_in(list(self.issues), minutes, self.now)
        return self._counts[key].get(issue_id, 0)

    def latest_release(self, project_id: int) -> str | None:
        """The project's latest release, in the one release order (semver, else release
        date: tracker.models.releases.compare)."""
        if project_id not in self._latest:
            release = latest_release(project_id)
            self._latest[project_id] = release.version if release else None
        return self._latest[project_id]
