"""Forms of the project settings pages."""

from __future__ import annotations

import re

from django import forms

import grouping
from tracker.models import CRASH_REPORTS_ALL, CRASH_REPORTS_NONE, Project

# What ingest's CORS check understands: *, host, *.host, scheme://host, with an optional
# :port or :* and a trailing slash.
_ORIGIN = re.compile(
    r"^(?:[a-z][a-z0-9+.-]*://)?(?:\*|(?:\*\.)?[a-z0-9_-]+(?:\.[a-z0-9_-]+)*|\[[0-9a-f:]+\])"
    r"(?::(?:\d{1,5}|\*))?/?$",
    re.IGNORECASE,
)
WINDOW_CHOICES = [(60, "per minute"), (3600, "per hour"), (86400, "per day")]


class KeyForm(forms.Form):
    label = forms.CharField(max_length=64, required=False, initial="Default")
    rate_limit_count = forms.IntegerField(
        min_value=1, required=False, label="Rate limit",
        help_text="Events accepted per window; empty: no limit.",
    )
    rate_limit_window = forms.TypedChoiceField(
        choices=WINDOW_CHOICES, coerce=int, initial=60, label="Window"
    )


class RateLimitForm(forms.Form):
    rate_limit_count = forms.IntegerField(min_value=1, required=False, label="Rate limit")
    rate_limit_window = forms.TypedChoiceField(
        choices=WINDOW_CHOICES, coerce=int, initial=60, label="Window"
    )


class OriginsForm(forms.Form):
    allowed_origins = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}), required=False,
        label="Origins",
        help_text="Browser origins that may send events, one per line: *, example.com, "
        "*.example.com or https://example.com:8443. Empty: no browser may send events.",
    )

    def clean_allowed_origins(self) -> str:
        lines = [line.strip() for line in self.cleaned_data["allowed_origins"].splitlines()]
        lines = [line for line in lines if line]
        bad = [line for line in lines if not _ORIGIN.match(line)]
        if bad:
            raise forms.ValidationError(
                "Not an origin: %(lines)s", params={"lines": ", ".join(bad)}
            )
        return "\n".join(lines)


class CrashReportForm(forms.Form):
    mode = forms.ChoiceField(
        label="Crash reports kept per issue",
        choices=[("inherit", "The organization's setting"), ("all", "Store all"),
                 ("none", "Store none"), ("limit", "At most N per issue")],
        widget=forms.RadioSelect,
    )
    limit = forms.IntegerField(min_value=1, max_value=1000, required=False, label="N")

    @classmethod
    def for_project(cls, project: Project, data=None) -> CrashReportForm:
        value = project.crash_report_limit
        if value is None:
            initial = {"mode": "inherit"}
        elif value == CRASH_REPORTS_ALL:
            initial = {"mode": "all"}
        elif value == CRASH_REPORTS_NONE:
            initial = {"mode": "none"}
        else:
            initial = {"mode": "limit", "limit": value}
        return cls(data, initial=initial)

    def clean(self):
        data = super().clean()
        if data.get("mode") == "limit" and not data.get("limit"):
            self.add_error("limit", "Say how many crash reports to keep per issue.")
        return data

    @property
    def value(self) -> int | None:
        mode = self.cleaned_data["mode"]
        return {"inherit": None, "all": CRASH_REPORTS_ALL, "none": CRASH_REPORTS_NONE}.get(
            mode, self.cleaned_data.get("limit")
        )


class QuotaForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = ["monthly_error_quota", "monthly_attachment_quota"]
        labels = {
            "monthly_error_quota": "Errors per month",
            "monthly_attachment_quota": "Attachment bytes per month",
        }
        help_texts = {
            "monthly_error_quota": "Empty: only the organization's quota applies.",
            "monthly_attachment_quota": "Empty: only the organization's quota applies.",
        }


class RulesForm(forms.ModelForm):
    """Server-side grouping rules; saved only if grouping can compile them."""

    class Meta:
        model = Project
        fields = ["fingerprint_rules", "enhancement_rules"]
        labels = {"fingerprint_rules": "Fingerprint rules",
                  "enhancement_rules": "Stack trace rules"}
        help_texts = {
            "fingerprint_rules": "One rule a line: matchers -> fingerprint, e.g. "
            "error.type:DatabaseError -> database-error. Lines starting with # are comments.",
            "enhancement_rules": "One rule a line: matchers then actions, e.g. "
            "stack.module:myapp.* +app. Lines starting with # are comments.",
        }
        widgets = {
            "fingerprint_rules": forms.Textarea(
                attrs={"rows": 8, "spellcheck": "false", "class": "code"}),
            "enhancement_rules": forms.Textarea(
                attrs={"rows": 8, "spellcheck": "false", "class": "code"}),
        }

    def clean_fingerprint_rules(self) -> str:
        return _check_rules(self.cleaned_data["fingerprint_rules"],
                            grouping.parse_fingerprint_rules)

    def clean_enhancement_rules(self) -> str:
        return _check_rules(self.cleaned_data["enhancement_rules"],
                            grouping.parse_enhancement_rules)


def _check_rules(text: str, parse) -> str:
    text = text.replace("\r\n", "\n")
    try:
        parse(text)
    except grouping.RuleSyntaxError as e:
        lines = text.split("\n")
        offending = lines[e.line - 1].strip() if 0 < e.line <= len(lines) else ""
        raise forms.ValidationError(
            "Line %(line)s: %(message)s%(offending)s",
            params={"line": e.line, "message": e.message,
                    "offending": f" (in “{offending}”)" if offending else ""},
        ) from None
    return text
