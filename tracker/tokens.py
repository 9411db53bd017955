"""Creating and revoking API tokens, for the pages and the API alike, with audit entries for
organization auth tokens (personal tokens belong to their user, not to an organization)."""

from __future__ import annotations

from tracker import audit, scopes
from tracker.members import MemberError
from tracker.models import ApiToken, Member


def create_personal(user, name: str, chosen: list[str]) -> tuple[ApiToken, str]:
    if not chosen:
        raise MemberError("Choose at least one scope.")
    if bad := scopes.unknown(chosen):
        raise MemberError(f"Unknown scope(s): {', '.join(bad)}.")
    return ApiToken.issue(user, name.strip(), scopes=chosen)


def create_for_organization(actor: Member, name: str, *,
                            ip: str | None = None) -> tuple[ApiToken, str]:
    if not actor.can_manage:
        raise MemberError("Only owners and admins can create organization auth tokens.")
    token, plaintext = ApiToken.issue_for_organization(actor.organization, actor.user,
                                                       name.strip())
    audit.record(actor.organization, actor.user, "orgauthtoken.create", target=token,
                 label=token.name or token.hint, ip=ip)
    return token, plaintext


def revoke_for_organization(actor: Member, token: ApiToken, *, ip: str | None = None) -> None:
    if not actor.can_manage:
        raise MemberError("Only owners and admins can revoke organization auth tokens.")
    audit.record(actor.organization, actor.user, "orgauthtoken.remove", target=token,
                 label=token.name or token.hint, ip=ip)
    token.delete()
