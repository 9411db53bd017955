"""Organizations: creating one, its projects overview, adding a project, and its settings:
members and invitations, teams, auth tokens and the audit log."""

from django.urls import path

from tracker.views import members, organization_settings, organizations, teams

_O = "<slug:org_slug>"
# Settings live under /settings/<org>/ as in Sentry: `<org>/<project>/...` can't shadow them.
_S = "settings/<slug:org_slug>"

urlpatterns = [
    # "organizations", "invitations" and "settings" are reserved slugs (tracker.provisioning),
    # so no organization's own pages can shadow these.
    path("organizations/new/", organizations.new_organization, name="new-organization"),
    path("invitations/<str:token>/", members.accept_invitation, name="accept-invitation"),
    path(f"{_S}/", organization_settings.general, name="org-settings"),
    path(f"{_S}/members/", members.member_list, name="org-members"),
    path(f"{_S}/members/<int:member_id>/role/", members.member_role, name="org-member-role"),
    path(f"{_S}/members/<int:member_id>/remove/", members.member_remove,
         name="org-member-remove"),
    path(f"{_S}/invitations/<int:invitation_id>/resend/", members.invitation_resend,
         name="org-invitation-resend"),
    path(f"{_S}/invitations/<int:invitation_id>/revoke/", members.invitation_revoke,
         name="org-invitation-revoke"),
    path(f"{_S}/teams/", teams.team_list, name="org-teams"),
    path(f"{_S}/teams/<slug:team_slug>/", teams.team_detail, name="org-team"),
    path(f"{_S}/teams/<slug:team_slug>/change/", teams.team_change, name="org-team-change"),
    path(f"{_S}/auth-tokens/", organization_settings.auth_tokens, name="org-auth-tokens"),
    path(f"{_S}/auth-tokens/<int:token_id>/revoke/", organization_settings.auth_token_revoke,
         name="org-auth-token-revoke"),
    path(f"{_S}/audit-log/", organization_settings.audit_log, name="org-audit-log"),
    path(f"{_O}/projects/", organizations.projects_overview, name="org-projects"),
    path(f"{_O}/projects/new/", organizations.new_project, name="org-new-project"),
]
