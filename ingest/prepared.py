"""An event on its way through the pipeline: normalized, grouped, not yet stored."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ingest.models import InboxItem
from tracker.models import Project


@dataclass(slots=True)
class Prepared:
    item: InboxItem
    project: Project
    event_id: str  # 32 lowercase hex
    data: dict[str, Any]  # the normalized event, with grouping results added
    hashes: list[str]
    title: str
    culprit: str
    metadata: dict[str, Any]
    timestamp: datetime
    level: int
    handling: str
    priority: int
    release: str
    environment: str
    user_key: str
    tags: list[tuple[str, str]]
    search_text: str
    release_id: int | None = None
    issue_id: int | None = None
    is_new_issue: bool = False
    discarded_id: int | None = None
    is_sample: bool = False  # the onboarding sample event: logged step by step
    attachments: list[dict[str, Any]] = field(default_factory=list)
