"""Saved searches of the issue list: a name for a list's query string, kept for one user or
shared with everyone in the organization (Sentry's `visibility`: owner, organization)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from tracker.models.orgs import Organization
from tracker.models.projects import Project


class SavedSearch(models.Model):
    class Visibility(models.TextChoices):
        OWNER = "owner", "only me"
        ORGANIZATION = "organization", "everyone"

    organization = models.ForeignKey(Organization, models.CASCADE, related_name="+")
    # The list it belongs to: a project's, or (None) the organization-wide one.
    project = models.ForeignKey(Project, models.CASCADE, null=True, blank=True,
                                related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    name = models.CharField(max_length=128)
    # The list's query string (filters, search, sort, time range), without its paging.
    query = models.CharField(max_length=2000, blank=True, default="")
    visibility = models.CharField(max_length=16, choices=Visibility.choices,
                                  default=Visibility.OWNER)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "saved searches"
        indexes = [models.Index(fields=["organization", "project"], name="savedsearch_list")]

    def __str__(self) -> str:
        return self.name
