"""Forms of the "New organization" and "New project" pages.

Addresses are made from names (tracker.provisioning.slug_for), so a name is refused when its
address would be empty, reserved or taken, with a message saying which.
"""

from __future__ import annotations

from django import forms

from tracker import platforms
from tracker.models import Organization, Project
from tracker.provisioning import RESERVED_SLUGS, slug_for


def _slug_or_error(name: str) -> str:
    slug = slug_for(name)
    if not slug:
        raise forms.ValidationError(
            "Use at least one letter or digit (A to Z, 0 to 9): the name becomes part of the "
            "address."
        )
    return slug


class OrganizationForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="Your company or group, e.g. “Acme”.")

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        slug = _slug_or_error(name)
        if slug in RESERVED_SLUGS:
            raise forms.ValidationError(
                "“%(slug)s” is an address Errata uses itself; choose another name.",
                params={"slug": slug},
            )
        if Organization.objects.filter(slug=slug).exists():
            raise forms.ValidationError(
                "An organization with the address /%(slug)s/ already exists; choose another "
                "name.", params={"slug": slug},
            )
        self.slug = slug
        return name


class ProjectForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="The application or service, e.g. “Shop”.")
    platform = forms.ChoiceField(
        choices=platforms.CHOICES,
        help_text="Picks the install instructions shown next; events from any SDK are accepted.",
    )

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        slug = _slug_or_error(name)
        if Project.objects.filter(organization=self.organization, slug=slug).exists():
            raise forms.ValidationError(
                "%(org)s already has a project with the address …/%(slug)s/; choose another "
                "name.", params={"org": self.organization.name, "slug": slug},
            )
        self.slug = slug
        return name
