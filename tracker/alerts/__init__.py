"""Alert rules: evaluated after the pipeline stores events; notifications sent by tasks."""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def events_stored(events: list[dict]) -> None:
    """Called by the save pipeline after a batch has committed, with one JSON-able dict per
    stored event: project_id, issue_id, event_id (hex), is_new_issue, state_change
    ("regression", "unignored" or None), level (name), handling, priority, release,
    environment, user_key, tags ([[key, value], ...]) and timestamp (epoch seconds).

    Rules are evaluated by a task. If the broker cannot take it, they are evaluated here:
    the caller is a worker already, and a lost batch would mean alerts silently missing.
    """
    from tracker.alerts import tasks

    try:
        tasks.evaluate.delay_on_commit(events)
    except Exception:
        logger.warning("broker unavailable; evaluating alert rules in-process", exc_info=True)
        try:
            tasks.evaluate_events(events)
        except Exception:
            logger.exception("alert rules could not be evaluated for %d events", len(events))
