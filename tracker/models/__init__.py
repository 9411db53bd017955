"""The tracker's models, one module per concept, all importable from `tracker.models`."""

from tracker.models.artifacts import ArtifactBundle, ArtifactFile, FileChunk
from tracker.models.commits import Commit, CommitFileChange, ReleaseCommit, Repository
from tracker.models.events import Attachment, Event, UserReport
from tracker.models.issues import (
    DiscardedFingerprint,
    Handling,
    Issue,
    IssueActivity,
    IssueHash,
    IssueHourlyCount,
    IssueTag,
    IssueUserState,
    Level,
    Priority,
)
from tracker.models.orgs import (
    CRASH_REPORTS_ALL,
    CRASH_REPORTS_NONE,
    AuditLogEntry,
    Invitation,
    Member,
    Organization,
    Team,
)
from tracker.models.outcomes import (
    Outcome,
    OutcomeKind,
    SessionBucket,
    SessionState,
    SessionStatus,
)
from tracker.models.projects import Project, ProjectCounter, ProjectKey
from tracker.models.releases import Deploy, Environment, Release
from tracker.models.searches import SavedSearch
from tracker.models.tokens import ApiToken

__all__ = [
    "CRASH_REPORTS_ALL",
    "CRASH_REPORTS_NONE",
    "ApiToken",
    "ArtifactBundle",
    "ArtifactFile",
    "Attachment",
    "AuditLogEntry",
    "Commit",
    "CommitFileChange",
    "Deploy",
    "DiscardedFingerprint",
    "Environment",
    "Event",
    "FileChunk",
    "Handling",
    "Invitation",
    "Issue",
    "IssueActivity",
    "IssueHash",
    "IssueHourlyCount",
    "IssueTag",
    "IssueUserState",
    "Level",
    "Member",
    "Organization",
    "Outcome",
    "OutcomeKind",
    "Priority",
    "Project",
    "ProjectCounter",
    "ProjectKey",
    "Release",
    "ReleaseCommit",
    "Repository",
    "SavedSearch",
    "SessionBucket",
    "SessionState",
    "SessionStatus",
    "Team",
    "UserReport",
]
