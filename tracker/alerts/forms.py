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
from tracker.models import Environment, Handling, Level, Priority, Project


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


def _without_blank(field: forms.Field) -> None:
    """No "---------" choice: a select starts on a real choice (the model's default or the
    first one), and an optional model choice says what empty means."""
    if isinstance(field, forms.ModelChoiceField):
        if field.required:
            field.empty_label = None
        return
    if isinstance(field, forms.TypedChoiceField | forms.ChoiceField):
        field.choices = [(v, label) for v, label in field.choices if v not in ("", None)]


class ScopedForm(forms.ModelForm):
    """Member and team choices limited to the project's organization, no blank choices."""

    def __init__(self, *args, project: Project, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if name in ("target_user", "owner"):
                field.queryset = org_users(project)
            elif name == "target_team":
                field.queryset = project.organization.teams.all()
            if name == "owner":
                field.empty_label = "Nobody"
            elif name not in ("id", self._meta.model._meta.pk.name):
                _without_blank(field)


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


class RowForm(ScopedForm):
    """One condition, filter or action: a kind, and only the fields that kind uses (see
    `fields_for`). The page swaps a row's fields when its kind (or match) changes."""

    kind_choices: type[models.TextChoices]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].widget.attrs["class"] = "row-kind"
        for name in ("target_user", "target_team"):
            if name in self.fields:
                self.fields[name].empty_label = None
        if "DELETE" in self.fields:
            self.fields["DELETE"].label = "Remove"

    def has_changed(self) -> bool:
        # Every row on the page shows a kind (there is no blank choice), so every posted row
        # is meant, even one left as it was shown: it is saved unless marked for removal.
        return super().has_changed() or (self.is_bound and self.add_prefix("kind") in self.data)

    def current(self, name: str) -> str:
        """A field's value as the user last chose it: posted, initial or stored."""
        if self.is_bound:
            value = self.data.get(self.add_prefix(name))
            if value is not None:
                return str(value)
        value = self.initial.get(name, getattr(self.instance, name, ""))
        return "" if value is None else str(value)

    @property
    def kind(self) -> str:
        kind = self.current("kind")
        return kind if kind in self.kind_choices.values else self.kind_choices.values[0]

    def fields_for(self) -> list[str]:
        return []

    def shown(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields_for() if name in self.fields]

    @property
    def help(self) -> str:
        return KIND_HELP.get(self.kind, "")

    def _post_clean(self) -> None:
        # Fields the kind does not use were not on the page: their values mean nothing.
        used = set(self.fields_for()) | {"kind"}
        for name in list(self.cleaned_data):
            if name not in used and name in self.fields and name not in ("id", "rule",
                                                                           "DELETE"):
                field = self.instance._meta.get_field(name)
                self.cleaned_data[name] = None if field.null else field.get_default()
        super()._post_clean()


class ConditionForm(RowForm):
    kind_choices = RuleCondition.Kind

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["interval"].initial = 60
        self.fields["value"].widget.attrs.update(min=0, placeholder="N")

    def fields_for(self) -> list[str]:
        return ["value", "interval"] if self.kind in RuleCondition.COUNTING else []


# The value a filter compares with: a choice where there are only a few.
_VALUE_CHOICES = {
    RuleFilter.Kind.LEVEL: [(label, label) for label in Level.labels],
    RuleFilter.Kind.HANDLING: [(v, v) for v in Handling.values],
    RuleFilter.Kind.PRIORITY: [(label, label) for label in Priority.labels],
}


class FilterForm(RowForm):
    kind_choices = RuleFilter.Kind

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        kind = RuleFilter.Kind(self.kind)
        allowed = RuleFilter.MATCHES[kind]
        # The select offers only what the kind accepts; the field still takes any match, so
        # that a wrong one posted gets the model's message naming those it accepts.
        self.match_choices = [(m.value, m.label) for m in allowed]
        self.fields["unit"].initial = RuleFilter.Unit.HOURS
        value = self.fields["value"]
        value.help_text = ""
        if kind in _VALUE_CHOICES:
            value.widget = forms.Select(choices=_VALUE_CHOICES[kind])
        elif kind == RuleFilter.Kind.ISSUE_AGE:
            value.widget = forms.NumberInput(attrs={"min": 1})
        else:
            value.widget = forms.TextInput(attrs={"placeholder": "value"})
        self.fields["key"].widget.attrs["placeholder"] = "tag key, e.g. domain"

    @property
    def match(self) -> str:
        allowed = RuleFilter.MATCHES[RuleFilter.Kind(self.kind)]
        match = self.current("match")
        return match if match in allowed else allowed[0]

    def fields_for(self) -> list[str]:
        kind, match = self.kind, self.match
        Kind, Match = RuleFilter.Kind, RuleFilter.Match
        if kind == Kind.TAG:
            return ["key", "match"] + ([] if match == Match.IS_SET else ["value"])
        if kind == Kind.HANDLING:
            return ["value"]
        if kind == Kind.ISSUE_AGE:
            return ["match", "value", "unit"]
        if kind == Kind.LATEST_RELEASE:
            return []
        if kind == Kind.ASSIGNEE:
            target = {Match.MEMBER: ["target_user"], Match.TEAM: ["target_team"]}
            return ["match", *target.get(match, [])]
        return ["match", "value"]


class ActionForm(RowForm):
    """An action's secrets (a webhook's signing secret, a Slack URL) are shown masked, to
    owners and admins only; posting the masked value back unchanged keeps the stored one.
    Other members see no URL whole either: a webhook URL may carry a token too."""

    kind_choices = RuleAction.Kind

    def __init__(self, *args, project: Project, can_manage: bool = True, **kwargs) -> None:
        super().__init__(*args, project=project, **kwargs)
        stored = self.instance
        self.masked = {}
        if stored.pk and stored.secret:
            self.masked["secret"] = secrets.mask(stored.secret)
        if stored.pk and stored.url and (stored.kind == RuleAction.Kind.SLACK
                                         or not can_manage):
            self.masked["url"] = secrets.mask_url(stored.url)
        if not can_manage:
            del self.fields["secret"]
            self.masked.pop("secret", None)
        for name, value in self.masked.items():
            self.initial[name] = value
        self.fields["url"].widget.attrs["placeholder"] = "https://…"

    def fields_for(self) -> list[str]:
        Kind = RuleAction.Kind
        return {Kind.EMAIL_MEMBER: ["target_user"], Kind.EMAIL_TEAM: ["target_team"],
                Kind.SLACK: ["url"], Kind.WEBHOOK: ["url", "secret"]}.get(self.kind, [])

    def clean(self) -> dict:
        cleaned = super().clean()
        for name, value in self.masked.items():
            if cleaned.get(name) == value:
                cleaned[name] = getattr(self.instance, name)
        return cleaned


# Inline help under a row, by kind.
KIND_HELP = {
    RuleCondition.Kind.FIRST_SEEN: "Fires for the first event of each new issue.",
    RuleCondition.Kind.REGRESSION: "Fires when a resolved issue gets a new event.",
    RuleCondition.Kind.REAPPEARED: "Fires when an ignored issue's ignore runs out and it "
    "gets a new event.",
    RuleCondition.Kind.EVERY_EVENT: "Fires for every event (the action interval still "
    "limits notifications per issue).",
    RuleCondition.Kind.EVENT_FREQUENCY: "Counts the issue's events in the window; fires "
    "when there are more than N.",
    RuleCondition.Kind.UNIQUE_USERS: "Counts distinct users (user id, e-mail, username or "
    "IP) in the window; fires when there are more than N.",
    RuleFilter.Kind.LEVEL: "Compares the event's level: debug < info < warning < error < "
    "fatal.",
    RuleFilter.Kind.TAG: "Looks at one tag of the event, as sent by the SDK or derived "
    "(environment, release, url...).",
    RuleFilter.Kind.HANDLING: "Handled: the app caught it; unhandled: it escaped; crash: "
    "the process died.",
    RuleFilter.Kind.PRIORITY: "The issue's priority now: low < medium < high.",
    RuleFilter.Kind.ISSUE_AGE: "Time since the issue's first event.",
    RuleFilter.Kind.LATEST_RELEASE: "The event's release is the project's most recent "
    "one.",
    RuleFilter.Kind.ASSIGNEE: "Who the issue is assigned to now.",
    RuleAction.Kind.EMAIL_MEMBER: "One e-mail to this member of the organization.",
    RuleAction.Kind.EMAIL_TEAM: "One e-mail to each member of the team.",
    RuleAction.Kind.EMAIL_PROJECT: "One e-mail to each member of the project's teams.",
    RuleAction.Kind.SLACK: "Slack, Mattermost or any service taking Slack's incoming "
    "webhook messages. The URL is a secret: it is shown masked.",
    RuleAction.Kind.WEBHOOK: "POSTs the issue and event as JSON (see docs/alerts.md); "
    "with a secret, the body is signed (X-Errata-Signature).",
}


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


ROW_FORMS = {"conditions": ConditionForm, "filters": FilterForm, "actions": ActionForm}


@cache
def formset_class(prefix: str, extra: int = 0) -> type[BaseInlineFormSet]:
    model, base, fields, widgets = _FORMSETS[prefix]
    form = ROW_FORMS[prefix]
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


def row_form(project: Project, prefix: str, index: int, data, *,
             can_manage: bool = True) -> RowForm:
    """One row's form, from the row's current inputs, for swapping its fields when its kind
    changes (never saved: the whole form is posted to save)."""
    form_class = formset_class(prefix).form
    kwargs = {"can_manage": can_manage} if prefix == "actions" else {}
    start = f"{prefix}-{index}-"
    # Unbound, with the row's inputs as initial values: a swap shows no errors yet.
    initial = {key[len(start):]: value for key, value in data.items() if key.startswith(start)}
    return form_class(prefix=f"{prefix}-{index}", initial=initial, project=project, **kwargs)
