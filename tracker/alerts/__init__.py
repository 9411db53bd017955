"""Alert rules: evaluated after the pipeline stores events (tasks.events_stored); notifications
written by firing, sent by delivery. Only tasks.py enqueues tasks."""
