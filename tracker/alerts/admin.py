"""Alert rules in the admin: a rule with its conditions, filters and actions inline, a
"send a test notification" button per saved action, and the firing log read-only.

The counters the evaluation keeps for itself (IssueMinuteCount, IssueUserBucket,
CountedBatch) are not here: they are pruned as they go and mean nothing to an operator.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.views.decorators.http import require_http_methods

from tracker.alerts import tasks
from tracker.alerts.forms import ActionsRequired, ConditionsRequired
from tracker.alerts.models import (
    AlertRule,
    Firing,
    Notification,
    RuleAction,
    RuleCondition,
    RuleFilter,
    RuleIssueState,
)


class FirstRowOnAdd:
    """A new rule shows one empty row to fill in (without relying on the inline scripts)."""

    def get_extra(self, request, obj=None, **kwargs) -> int:
        return 1 if obj is None else 0


class ConditionInline(FirstRowOnAdd, admin.TabularInline):
    model = RuleCondition
    formset = ConditionsRequired


class FilterInline(admin.TabularInline):
    model = RuleFilter
    extra = 0
    autocomplete_fields = ["target_user", "target_team"]


class ActionInline(FirstRowOnAdd, admin.TabularInline):
    model = RuleAction
    formset = ActionsRequired
    autocomplete_fields = ["target_user", "target_team"]
    fields = ["kind", "target_user", "target_team", "url", "secret", "test_button"]
    readonly_fields = ["test_button"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, models.URLField):
            kwargs["assume_scheme"] = "https"  # as the project pages do (Django 6's default)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description="Test")
    def test_button(self, action: RuleAction) -> str:
        if action.pk is None:
            return "save first"
        url = reverse("admin:alerts_ruleaction_test", args=[action.rule_id, action.pk])
        # A link to a page with the button: a submit button inside the change form would
        # become the form's default button, pressed by Enter in any field.
        return format_html('<a class="button" href="{}">Send a test notification</a>', url)


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "enabled", "frequency", "environment", "owner"]
    list_filter = ["enabled"]
    list_select_related = ["project__organization", "owner"]
    search_fields = ["name", "project__slug", "project__organization__slug"]
    # Plain id inputs: a select of every project and user would not scale.
    raw_id_fields = ["project", "owner"]
    inlines = [ConditionInline, FilterInline, ActionInline]
    actions = ["enable", "disable"]

    @admin.action(description="Enable the selected rules")
    def enable(self, request, queryset) -> None:
        queryset.update(enabled=True)

    @admin.action(description="Disable the selected rules")
    def disable(self, request, queryset) -> None:
        queryset.update(enabled=False)

    def get_urls(self):
        test = self.admin_site.admin_view(self.send_test_view)
        return [
            path("<int:rule_id>/actions/<int:action_id>/test/", test,
                 name="alerts_ruleaction_test"),
            *super().get_urls(),
        ]

    @method_decorator(require_http_methods(["GET", "POST"]))
    def send_test_view(self, request, rule_id: int, action_id: int):
        """GET: a page with the button; POST: queue the test notification."""
        rule = get_object_or_404(AlertRule, pk=rule_id)
        if not self.has_change_permission(request, rule):
            raise PermissionDenied
        action = get_object_or_404(RuleAction, rule=rule, pk=action_id)
        if request.method == "GET":
            return TemplateResponse(request, "alerts/admin_send_test.html", {
                **self.admin_site.each_context(request), "rule": rule, "action": action,
                "opts": self.model._meta, "title": "Send a test notification",
            })
        notification = tasks.send_test(action)
        link = reverse("admin:alerts_notification_change", args=[notification.pk])
        messages.success(request, format_html(
            'Test notification queued for “{}”: <a href="{}">follow its delivery</a>.',
            action, link))
        return redirect("admin:alerts_alertrule_change", rule.pk)


class NotificationInline(admin.TabularInline):
    model = Notification
    extra = 0
    can_delete = False
    fields = ["kind", "target", "status", "attempts", "result", "sent_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Firing)
class FiringAdmin(admin.ModelAdmin):
    list_display = ["created", "rule", "issue", "event_id"]
    list_select_related = ["rule", "issue__project"]
    search_fields = ["rule__name", "event_id"]
    readonly_fields = ["rule", "issue", "event_id", "reasons", "event", "created"]
    inlines = [NotificationInline]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created", "rule", "kind", "target", "is_test", "status", "attempts",
                    "result"]
    list_filter = ["status", "kind", "is_test"]
    list_select_related = ["rule"]
    search_fields = ["rule__name", "target", "result"]
    readonly_fields = [f.name for f in Notification._meta.fields]
    actions = ["send_again"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Send the selected failed notifications again")
    def send_again(self, request, queryset) -> None:
        ids = list(queryset.filter(status=Notification.Status.FAILED).values_list("pk",
                                                                                 flat=True))
        count = tasks.send_again(ids)
        self.message_user(request, f"{count} notification(s) queued again.")


@admin.register(RuleCondition, RuleFilter, RuleAction)
class RulePartAdmin(admin.ModelAdmin):
    """Conditions, filters and actions across rules; edit them inline on their rule."""

    list_display = ["__str__", "rule", "kind"]
    list_filter = ["kind"]
    list_select_related = ["rule"]
    search_fields = ["rule__name"]
    raw_id_fields = ["rule"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Per-rule state: shown to explain why a rule did not fire again, not editable."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(RuleIssueState)
class RuleIssueStateAdmin(ReadOnlyAdmin):
    list_display = ["rule", "issue", "last_fired"]
    list_select_related = ["rule", "issue__project"]
