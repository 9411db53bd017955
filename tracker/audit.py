"""The organization audit log: who created, changed or deleted what.

Domain functions record their own entries (tracker/members.py, tracker/teams.py, ...), so
the pages and the API leave the same trail. Event names are Sentry's (`member.invite`,
`project.add`, `team.add`, ...), which its audit log API also returns.
"""

from __future__ import annotations

from tracker.models import AuditLogEntry, Organization


def record(
    organization: Organization, actor, event: str, *, target=None, label: str = "",
    data: dict | None = None, ip: str | None = None,
) -> AuditLogEntry:
    """One entry; `target` is the object acted on (its id is kept), `label` what to call it
    once it is gone."""
    return AuditLogEntry.objects.create(
        organization=organization,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=actor.get_username() if getattr(actor, "pk", None) else "",
        event=event,
        target_object=getattr(target, "pk", None),
        target=label or (str(target) if target is not None else ""),
        data=data or {},
        ip_address=ip,
    )


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None if request is not None else None
