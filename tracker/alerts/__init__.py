"""Alert rules: evaluated after the pipeline stores events; notifications sent by tasks."""

from __future__ import annotations


def events_stored(events: list[dict]) -> None:
    """Called by the save pipeline after a batch has committed, with one JSON-able dict per
    stored event: project_id, issue_id, event_id (hex), is_new_issue, state_change
    ("regression", "unignored" or None), level (name), handling, priority, release,
    environment, user_key, tags ([[key, value], ...]) and timestamp (epoch seconds).
    """
