"""Rule forms for the project pages; the admin reuses the formset rules (at least one
condition and one action), and every model validates itself in clean()."""

from __future__ import annotations

from functools import cache

from django import forms
from django.contrib.auth import get_user_model
from django.db import models
from django.forms import BaseInlineFormSet, inlineformset_factory

from tracker.alerts import secrets
from tracker.alerts.models import AlertRule, RuleAction, RuleCondition, RuleFilter
from tracker.models import Environment, Project


class RequiredInlineFormSet(BaseInlineFormSet):
    """An inline formset that must keep at least one row; `required_message` says why."""

    required_message = "Add at least one."

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        kept = [
            f for f in self.forms
            if f.has_changed() or f.instance.pk
            if not (self.can_delete and self._should_delete_form(f))
        ]
        if not kept:
            raise forms.ValidationError(self.required_message)


class ConditionsRequired(RequiredInlineFormSet):
    required_message = "Add at least one condition: a rule without conditions never fires."


class ActionsRequired(RequiredInlineFormSet):
    required_message = "Add at least one action: a rule without actions notifies nobody."


def org_users(project: Project):
    return get_user_model().objects.filter(
        memberships__organization_id=project.organization_id).order_by("username")


class ScopedForm(forms.ModelForm):
    """Member and team choices limited to the project's organization."""

    def __init__(self, *args, project: Project, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if name in ("target_user", "owner"):
                field.queryset = org_users(project)
            elif name == "target_team":
                field.queryset = project.organization.teams.all()


class RuleForm(ScopedForm):
    class Meta:
        model = AlertRule
        fields = ["name", "enabled", "environment", "action_match", "filter_match",
                  "frequency", "owner"]

    def __init__(self, *args, project: Project, **kwargs) -> None:
        super().__init__(*args, project=project, **kwargs)
        self.instance.project = project
        self.environments = list(
            Environment.objects.filter(projects=project).values_list("name", flat=True))


class ActionForm(ScopedForm):
    """An action's secrets (a webhook's signing secret, a Slack URL) are shown masked, to
    owners and admins only; posting the masked value back unchanged keeps the stored one."""

    def __init__(self, *args, project: Project, can_manage: bool = True, **kwargs) -> None:
        super().__init__(*args, project=project, **kwargs)
        stored = self.instance
        self.masked = {}
        if stored.pk and stored.secret:
            self.masked["secret"] = secrets.mask(stored.secret)
        if stored.pk and stored.kind == RuleAction.Kind.SLACK and stored.url:
            self.masked["url"] = secrets.mask_url(stored.url)
        if not can_manage:
            del self.fields["secret"]
            self.masked.pop("secret", None)
        for name, value in self.masked.items():
            self.initial[name] = value

    def clean(self) -> dict:
        cleaned = super().clean()
        for name, value in self.masked.items():
            if cleaned.get(name) == value:
                cleaned[name] = getattr(self.instance, name)
        return cleaned


_FORMSETS = {
    "conditions": (RuleCondition, ConditionsRequired, ["kind", "value", "interval", "release"],
                   {}),
    "filters": (RuleFilter, BaseInlineFormSet,
                ["kind", "match", "key", "value", "unit", "target_user", "target_team"], {}),
    "actions": (RuleAction, ActionsRequired, ["kind", "target_user", "target_team", "url",
                                              "secret"],
                {"secret": forms.TextInput(attrs={"autocomplete": "off"})}),
}
PREFIXES = tuple(_FORMSETS)


def formfield(field, **kwargs):
    """URLs typed without a scheme are https (Django 6's default, chosen now)."""
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return field.formfield(**kwargs)


@cache
def formset_class(prefix: str, extra: int = 0) -> type[BaseInlineFormSet]:
    model, base, fields, widgets = _FORMSETS[prefix]
    form = ActionForm if prefix == "actions" else ScopedForm
    return inlineformset_factory(AlertRule, model, form=form, formset=base,
                                 fields=fields, widgets=widgets, extra=extra,
                                 formfield_callback=formfield)


def bind(project: Project, rule: AlertRule, data=None, *,
         can_manage: bool = True) -> tuple[RuleForm, dict]:
    """The rule form and its three formsets, bound to `data` when given.

    A new rule starts with one empty condition and one empty action to fill in. Without
    `can_manage` the actions leave out their signing secrets.
    """
    form = RuleForm(data, instance=rule, project=project)
    formsets = {}
    for prefix in PREFIXES:
        kwargs = {"project": project}
        if prefix == "actions":
            kwargs["can_manage"] = can_manage
        extra = int(data is None and rule.pk is None and prefix != "filters")
        formsets[prefix] = formset_class(prefix, extra)(
            data, instance=rule, prefix=prefix, form_kwargs=kwargs)
    return form, formsets


def add_row(data, prefix: str):
    """A copy of posted data with one more (empty) form in the `prefix` formset."""
    data = data.copy()
    key = f"{prefix}-TOTAL_FORMS"
    data[key] = str(int(data.get(key) or 0) + 1)
    return data
