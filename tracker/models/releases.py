"""Releases and environments, per organization as in Sentry."""

from __future__ import annotations

from django.db import models

from tracker.models.orgs import Organization
from tracker.models.projects import Project


class Release(models.Model):
    organization = models.ForeignKey(Organization, models.CASCADE, related_name="releases")
    version = models.CharField(max_length=200)
    projects = models.ManyToManyField(Project, blank=True, related_name="releases")
    date_released = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "version"], name="release_unique")
        ]

    def __str__(self) -> str:
        return self.version


class Environment(models.Model):
    organization = models.ForeignKey(Organization, models.CASCADE, related_name="environments")
    name = models.CharField(max_length=64)
    projects = models.ManyToManyField(Project, blank=True, related_name="environments")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="environment_unique")
        ]

    def __str__(self) -> str:
        return self.name
