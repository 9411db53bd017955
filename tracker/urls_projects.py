from django.urls import path

from tracker import url_converters  # noqa: F401 - registers <version:...>
from tracker.views import onboarding, project_keys, projects, releases, stats, teams

_P = "<slug:org_slug>/<slug:project_slug>"

urlpatterns = [
    path(f"{_P}/settings/", projects.general, name="project-settings"),
    path(f"{_P}/settings/sample-event/", projects.sample_event, name="project-sample-event"),
    path(f"{_P}/settings/sample-event/status/", projects.sample_event_status,
         name="project-sample-status"),
    path(f"{_P}/settings/transfer/", teams.project_transfer, name="project-transfer"),
    path(f"{_P}/settings/keys/", project_keys.keys, name="project-keys"),
    path(f"{_P}/settings/keys/<int:key_id>/active/", project_keys.key_active,
         name="project-key-active"),
    path(f"{_P}/settings/keys/<int:key_id>/rate-limit/", project_keys.key_rate_limit,
         name="project-key-rate-limit"),
    path(f"{_P}/settings/keys/<int:key_id>/rotate/", project_keys.key_rotate,
         name="project-key-rotate"),
    path(f"{_P}/settings/grouping/", projects.rules, name="project-rules"),
    path(f"{_P}/settings/discarded/", projects.discarded, name="project-discarded"),
    path(f"{_P}/settings/discarded/<int:fingerprint_id>/undo/", projects.undiscard,
         name="project-undiscard"),
    path(f"{_P}/settings/attachments/", projects.orphan_attachments,
         name="project-orphan-attachments"),
    path(f"{_P}/stats/", stats.stats, name="project-stats"),
    path(f"{_P}/releases/", releases.release_list, name="project-releases"),
    path(f"{_P}/releases/<version:version>/", releases.release_detail, name="release-detail"),
    path(f"{_P}/getting-started/status/", onboarding.first_event_status,
         name="project-first-event"),
]
