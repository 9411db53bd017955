"""Admin pages: the operator's view of the data.

Every model is here except the counters the code keeps for itself (ProjectCounter,
IssueHourlyCount): their rows mean nothing on their own and editing them corrupts what the
pages show. tests/tracker/test_foundation.py lists those left out on purpose.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin

from tracker import models as m
from tracker import platforms, provisioning


class MemberInline(admin.TabularInline):
    model = m.Member
    extra = 0
    autocomplete_fields = ["user"]


class ProvisionedAdd:
    """Adding goes through tracker.provisioning, like every other way of creating the object:
    the add form asks only for what provisioning doesn't decide, `provision` creates it, and
    inlines (members, keys) are edited once it exists."""

    add_form: type[forms.ModelForm]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, **kwargs)

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
        else:
            self.provision(request, obj)

    def provision(self, request, obj) -> None:
        raise NotImplementedError


class OrganizationAddForm(forms.ModelForm):
    # Model and fields come from the admin, as for its default form.
    class Meta:
        help_texts = {"name": "You become its owner, and a default team is created."}

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"]
        if slug in provisioning.RESERVED_SLUGS:
            raise forms.ValidationError("This address is one Errata uses itself.")
        return slug


@admin.register(m.Organization)
class OrganizationAdmin(ProvisionedAdd, admin.ModelAdmin):
    list_display = ["name", "slug", "crash_report_limit", "created"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MemberInline]

    # Adding goes through tracker.provisioning like every other way of creating one: the
    # creator becomes the owner (an organization without members is invisible to everyone,
    # its creator included). Members are managed once it exists.
    add_form = OrganizationAddForm

    def provision(self, request, obj) -> None:
        provisioning.set_up_organization(obj, request.user)


@admin.register(m.Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role", "created"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__email", "organization__slug"]
    autocomplete_fields = ["user", "organization"]


@admin.register(m.Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "organization"]
    search_fields = ["slug", "name"]
    filter_horizontal = ["members"]


class ProjectKeyInline(admin.TabularInline):
    model = m.ProjectKey
    extra = 0
    fields = ["label", "public_key", "is_active", "rate_limit_count", "rate_limit_window"]
    readonly_fields = ["public_key"]


class ProjectAddForm(forms.ModelForm):
    platform = forms.ChoiceField(choices=platforms.CHOICES)

    class Meta:
        model = m.Project
        fields = ["organization", "name", "slug", "platform"]
        help_texts = {"organization": "The project gets an active DSN key, the organization's "
                                      "default team and the default alert rules."}


@admin.register(m.Project)
class ProjectAdmin(ProvisionedAdd, admin.ModelAdmin):
    list_display = ["slug", "name", "organization", "platform", "is_active", "created"]
    list_filter = ["is_active", "platform"]
    search_fields = ["slug", "name", "organization__slug"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["teams"]
    inlines = [ProjectKeyInline]

    # Adding goes through tracker.provisioning: the new project gets its key, team and alert
    # rules there, so the add form asks only for what they don't decide. Teams, keys and the
    # other settings are edited once it exists.
    add_form = ProjectAddForm

    def get_fields(self, request, obj=None):
        return ProjectAddForm.Meta.fields if obj is None else super().get_fields(request, obj)

    def provision(self, request, obj) -> None:
        provisioning.set_up_project(obj)


@admin.register(m.ProjectKey)
class ProjectKeyAdmin(admin.ModelAdmin):
    list_display = ["label", "project", "public_key", "is_active", "rate_limit_count", "created"]
    list_filter = ["is_active"]
    search_fields = ["public_key", "label", "project__slug"]
    readonly_fields = ["dsn"]


class DeployInline(admin.TabularInline):
    model = m.Deploy
    extra = 0
    raw_id_fields = ["environment"]


class ReleaseCommitInline(admin.TabularInline):
    model = m.ReleaseCommit
    extra = 0
    raw_id_fields = ["commit"]


@admin.register(m.Release)
class ReleaseAdmin(admin.ModelAdmin):
    list_display = ["version", "organization", "date_released", "created"]
    search_fields = ["version"]
    filter_horizontal = ["projects"]
    inlines = [ReleaseCommitInline, DeployInline]


@admin.register(m.Deploy)
class DeployAdmin(admin.ModelAdmin):
    list_display = ["release", "environment", "name", "date_finished"]
    raw_id_fields = ["release", "environment"]


@admin.register(m.Repository)
class RepositoryAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "created"]
    search_fields = ["name"]


class CommitFileChangeInline(admin.TabularInline):
    model = m.CommitFileChange
    extra = 0


@admin.register(m.Commit)
class CommitAdmin(admin.ModelAdmin):
    list_display = ["key", "repository", "author_name", "author_email", "date"]
    search_fields = ["key", "author_email", "message"]
    raw_id_fields = ["repository"]
    inlines = [CommitFileChangeInline]


@admin.register(m.CommitFileChange)
class CommitFileChangeAdmin(admin.ModelAdmin):
    list_display = ["filename", "type", "commit"]
    raw_id_fields = ["commit"]


@admin.register(m.ReleaseCommit)
class ReleaseCommitAdmin(admin.ModelAdmin):
    list_display = ["release", "order", "commit"]
    raw_id_fields = ["release", "commit"]


@admin.register(m.Environment)
class EnvironmentAdmin(admin.ModelAdmin):
    list_display = ["name", "organization"]
    search_fields = ["name"]


@admin.register(m.Issue)
class IssueAdmin(admin.ModelAdmin):
    list_display = [
        "title", "project", "short_id", "level", "status", "handling", "times_seen", "last_seen",
    ]
    list_filter = ["status", "level", "handling", "priority"]
    search_fields = ["title", "culprit"]
    raw_id_fields = [
        "project", "first_release", "last_release", "resolved_in_release", "assignee",
        "assignee_team", "merged_into",
    ]
    list_select_related = ["project"]
    show_full_result_count = False  # COUNT(*) on a big table is slow and rarely needed


@admin.register(m.SavedSearch)
class SavedSearchAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "project", "owner", "visibility", "created"]
    list_filter = ["visibility"]
    search_fields = ["name", "query"]
    raw_id_fields = ["organization", "project", "owner"]


@admin.register(m.IssueHash)
class IssueHashAdmin(admin.ModelAdmin):
    list_display = ["hash", "project", "issue", "discarded", "grouping_config", "created"]
    search_fields = ["hash"]
    raw_id_fields = ["project", "issue", "discarded"]
    show_full_result_count = False


@admin.register(m.DiscardedFingerprint)
class DiscardedFingerprintAdmin(admin.ModelAdmin):
    list_display = ["title", "project", "times_seen", "last_seen", "created"]
    raw_id_fields = ["project", "actor"]


@admin.register(m.IssueActivity)
class IssueActivityAdmin(admin.ModelAdmin):
    list_display = ["kind", "issue", "user", "created"]
    list_filter = ["kind"]
    raw_id_fields = ["issue", "user"]
    show_full_result_count = False


@admin.register(m.IssueTag)
class IssueTagAdmin(admin.ModelAdmin):
    list_display = ["key", "value", "issue", "times_seen", "last_seen"]
    search_fields = ["key", "value"]
    raw_id_fields = ["issue"]
    show_full_result_count = False


@admin.register(m.Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["event_id", "project", "issue", "level", "timestamp", "received"]
    list_filter = ["level", "handling"]
    search_fields = ["=event_id"]
    raw_id_fields = ["project", "issue"]
    list_select_related = ["project"]
    show_full_result_count = False


@admin.register(m.Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ["name", "attachment_type", "size", "project", "event_id", "created"]
    raw_id_fields = ["project", "issue"]
    show_full_result_count = False


@admin.register(m.UserReport)
class UserReportAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "project", "event_id", "created"]
    raw_id_fields = ["project", "issue"]


@admin.register(m.Outcome)
class OutcomeAdmin(admin.ModelAdmin):
    list_display = [
        "hour", "project_id", "key_id", "outcome", "reason", "category", "quantity",
    ]
    list_filter = ["outcome", "category"]
    show_full_result_count = False

    # The accounting of what ingest accepted and dropped: a record, not something to edit.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(m.Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Pending invitations; they are made and accepted on the members page (the link is only
    shown there, once), so here they can only be looked at and deleted."""

    list_display = ["email", "organization", "role", "invited_by", "created", "expires"]
    readonly_fields = ["organization", "email", "role", "team", "token_hash", "invited_by",
                       "expires"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(m.AuditLogEntry)
class AuditLogEntryAdmin(admin.ModelAdmin):
    """The audit log is a record: it can be read, never edited."""

    list_display = ["created", "organization", "actor_label", "event", "target"]
    list_filter = ["event"]
    search_fields = ["actor_label", "target", "event"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ArtifactFileInline(admin.TabularInline):
    model = m.ArtifactFile
    fields = ["url", "type", "debug_id", "size"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(m.ArtifactBundle)
class ArtifactBundleAdmin(admin.ModelAdmin):
    """Uploaded source-map bundles: to see what sentry-cli sent, and to delete a bad one."""

    list_display = ["organization", "release", "dist", "bundle_id", "state", "artifact_count",
                    "size", "created"]
    list_filter = ["state"]
    search_fields = ["release", "bundle_id", "checksum"]
    readonly_fields = ["checksum", "chunks", "state", "detail", "bundle_id", "file", "size",
                       "artifact_count", "date_assembled"]
    raw_id_fields = ["organization"]
    inlines = [ArtifactFileInline]


@admin.register(m.SessionBucket)
class SessionBucketAdmin(admin.ModelAdmin):
    list_display = ["hour", "project", "release", "environment", "status", "count"]
    raw_id_fields = ["project"]


@admin.register(m.ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["hint", "name", "user", "organization", "created", "last_used"]
    readonly_fields = ["prefix", "token_hash"]
    raw_id_fields = ["user", "organization"]
