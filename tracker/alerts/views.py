"""The project's alert pages: rules (list, create, edit, enable/disable, delete), test
notifications, and the log of recent firings with their delivery results.

Pages work as plain forms; htmx swaps the parts that change. Everyone in the organization
sees the rules; owners and admins change them.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from tracker.access import project_access, require_manager
from tracker.alerts import forms, preview
from tracker.alerts.models import AlertRule, Firing, Notification, RuleAction
from tracker.alerts.tasks import send_test
from tracker.models import Project

LOG_SIZE = 100
_SECTIONS = [("conditions", "When"), ("filters", "If"), ("actions", "Then")]
DENIED = "Only owners and admins change alert rules."


def _list_url(project: Project) -> str:
    return reverse("alerts:list", args=[project.organization.slug, project.slug])


def _rules(project: Project):
    return (AlertRule.objects.filter(project=project)
            .prefetch_related("conditions", "filters", "actions").select_related("owner"))


@login_required
@vary_on_headers("HX-Request")
def rule_list(request, org_slug: str, project_slug: str):
    access = project_access(request.user, org_slug, project_slug)
    project = access.project
    return render(request, "alerts/rule_list.html", {
        "project": project, "rules": _rules(project), "can_manage": access.can_manage,
    })


@login_required
@require_POST
def rule_toggle(request, org_slug: str, project_slug: str, rule_id: int):
    project = project_access(request.user, org_slug, project_slug, manage=True,
                             denied=DENIED).project
    rule = get_object_or_404(_rules(project), pk=rule_id)
    rule.enabled = not rule.enabled
    rule.save(update_fields=["enabled", "updated"])
    if request.htmx:
        return render(request, "alerts/rule_list.html#row",
                      {"project": project, "rule": rule, "can_manage": True})
    return redirect(_list_url(project))


@login_required
@require_POST
def rule_delete(request, org_slug: str, project_slug: str, rule_id: int):
    project = project_access(request.user, org_slug, project_slug, manage=True,
                             denied=DENIED).project
    rule = get_object_or_404(AlertRule, project=project, pk=rule_id)
    rule.delete()
    messages.success(request, f"Deleted the rule “{rule.name}”.")
    return _done(request, _list_url(project))


def _done(request, url: str):
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@login_required
@vary_on_headers("HX-Request")
def rule_create(request, org_slug: str, project_slug: str):
    project = project_access(request.user, org_slug, project_slug, manage=True,
                             denied=DENIED).project
    rule = AlertRule(project=project, owner=request.user)
    return _edit(request, project, rule, can_manage=True)


@login_required
@vary_on_headers("HX-Request")
def rule_edit(request, org_slug: str, project_slug: str, rule_id: int):
    access = project_access(request.user, org_slug, project_slug)
    project = access.project
    rule = get_object_or_404(AlertRule, project=project, pk=rule_id)
    if request.method == "POST":
        require_manager(access, DENIED)
    return _edit(request, project, rule, can_manage=access.can_manage)


def _edit(request, project: Project, rule: AlertRule, *, can_manage: bool):
    data = None
    would_fire = None
    if request.method == "POST":
        add = request.POST.get("add")
        data = forms.add_row(request.POST, add) if add in forms.PREFIXES else request.POST
        form, formsets = forms.bind(project, rule, data, can_manage=can_manage)
        if "preview" in request.POST:
            would_fire = _preview(form, formsets)
        elif add is None and _save(form, formsets):
            messages.success(request, f"Saved the rule “{form.instance.name}”.")
            return _done(request, _list_url(project))
    else:
        form, formsets = forms.bind(project, rule, can_manage=can_manage)
    context = {
        "preview": would_fire, "row_url": reverse("alerts:row", args=[
            project.organization.slug, project.slug]),
        "project": project, "rule": rule, "form": form,
        "sections": [(prefix, title, formsets[prefix]) for prefix, title in _SECTIONS],
        "can_manage": can_manage, "adding": data is not None and "add" in request.POST,
        "saved_actions": list(rule.actions.all()) if rule.pk else [],
        "firings": _firings(project, rule=rule)[:20] if rule.pk else [],
        "tests": rule.notifications.filter(is_test=True)[:5] if rule.pk else [],
    }
    template = "alerts/rule_form.html#form" if request.htmx else "alerts/rule_form.html"
    return render(request, template, context)


def _preview(form, formsets: dict):
    """What the rule as posted would have fired in the last 24 hours; None while the form
    has errors (they show instead)."""
    if not form.is_valid() or not all(fs.is_valid() for fs in formsets.values()):
        return None

    def kept(prefix: str) -> list:
        formset = formsets[prefix]
        return [f.instance for f in formset.forms
                if f.has_changed() and f not in formset.deleted_forms]

    return preview.preview(form.instance, kept("conditions"), kept("filters"))


@login_required
@require_GET
def rule_row(request, org_slug: str, project_slug: str):
    """The fields of one condition, filter or action row for the kind (and match) now chosen:
    swapped in by htmx when the row's kind changes."""
    access = project_access(request.user, org_slug, project_slug)
    prefix, index = request.GET.get("section", ""), request.GET.get("index", "")
    if prefix not in forms.PREFIXES or not index.isdigit():
        return HttpResponseBadRequest("Give section (conditions, filters or actions) and "
                                      "index (the row's number).")
    form = forms.row_form(access.project, prefix, int(index), request.GET,
                          can_manage=access.can_manage)
    return render(request, "alerts/rule_form.html#row-fields", {
        "f": form, "prefix": prefix, "index": index, "can_manage": access.can_manage,
        "project": access.project,
        "row_url": reverse("alerts:row", args=[org_slug, project_slug]),
    })


def _save(form, formsets: dict) -> bool:
    # Formsets validate against the rule's project, so the rule form goes first.
    if not form.is_valid() or not all(fs.is_valid() for fs in formsets.values()):
        return False
    with transaction.atomic():
        rule = form.save()
        for formset in formsets.values():
            formset.instance = rule
            formset.save()
    return True


@login_required
@require_POST
def action_test(request, org_slug: str, project_slug: str, action_id: int):
    project = project_access(request.user, org_slug, project_slug, manage=True,
                             denied=DENIED).project
    action = get_object_or_404(RuleAction.objects.select_related("rule"),
                               rule__project=project, pk=action_id)
    notification = send_test(action)
    if request.htmx:
        return render(request, "alerts/_notification.html",
                      {"project": project, "n": notification})
    messages.success(request, "A test notification is on its way; see the log below.")
    return redirect("alerts:edit", project.organization.slug, project.slug, action.rule_id)


@login_required
def notification_status(request, org_slug: str, project_slug: str, notification_id: int):
    """One notification's delivery state: polled by the page until it is final."""
    project = project_access(request.user, org_slug, project_slug).project
    notification = get_object_or_404(Notification, rule__project=project, pk=notification_id)
    return render(request, "alerts/_notification.html",
                  {"project": project, "n": notification})


def _firings(project: Project, rule: AlertRule | None = None):
    firings = Firing.objects.filter(rule__project=project).select_related("rule", "issue")
    if rule is not None:
        firings = firings.filter(rule=rule)
    return firings.prefetch_related(
        Prefetch("notifications", queryset=Notification.objects.order_by("id")))


@login_required
@vary_on_headers("HX-Request")
def firing_log(request, org_slug: str, project_slug: str):
    access = project_access(request.user, org_slug, project_slug)
    project = access.project
    tests = Notification.objects.filter(rule__project=project, is_test=True).select_related(
        "rule")[:20]
    context = {"project": project, "firings": _firings(project)[:LOG_SIZE], "tests": tests,
               "can_manage": access.can_manage}
    template = "alerts/log.html#entries" if request.htmx else "alerts/log.html"
    return render(request, template, context)
