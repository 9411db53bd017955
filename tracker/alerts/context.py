"""What one evaluation run knows besides the events: issues, counters, latest releases.

Everything is loaded lazily and once per run, for all the run's issues at a time, so a batch
of a hundred events costs a handful of queries whatever the number of rules.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models.functions import Coalesce

from tracker.alerts import counters
from tracker.models import Issue, Release


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
        """The version most recently released (or, never released, created) in the project."""
        if project_id not in self._latest:
            self._latest[project_id] = (
                Release.objects.filter(projects=project_id)
                .order_by(Coalesce("date_released", "created").desc(), "-id")
                .values_list("version", flat=True)
                .first()
            )
        return self._latest[project_id]
