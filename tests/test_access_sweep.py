"""The access sweep: every URL pattern of the pages and the API, taken from Django's resolver
(so a new route is covered the day it is added), is requested with another organization's real
ids and slugs.

- A signed-in member of a different organization gets 404, never 403 or the object, whether
  the URL names the victim's organization or the member's own with the victim's objects.
- Signed out, a page redirects to the login page and the API answers 401.
- Nothing of the victim's changed afterwards (every route is also POSTed to).

A route with a parameter the sweep cannot fill fails the test: add the parameter to FILLERS
(or, for a route outside organizations, to NOT_SWEPT with the reason).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.factories import make_event, make_issue, make_member, make_org, make_project, make_user
from tracker import members
from tracker.alerts.models import AlertRule, Notification
from tracker.models import (
    ApiToken,
    Attachment,
    DiscardedFingerprint,
    Invitation,
    Issue,
    IssueActivity,
    IssueTag,
    Member,
    Project,
    Release,
    SavedSearch,
    Team,
)

pytestmark = pytest.mark.django_db

# Routes that name no organization's objects, and why they are not swept.
NOT_SWEPT = {
    "ingest-envelope": "SDK ingest: authenticated by the DSN key (tests/ingest)",
    "ingest-store": "SDK ingest: authenticated by the DSN key (tests/ingest)",
    "ingest-store-legacy": "SDK ingest: authenticated by the DSN key (tests/ingest)",
    "healthz": "public health check",
    "favicon": "public",
    "login": "public",
    "logout": "signing out",
    "api-index": "Sentry's API root: says whether the request is authenticated",
    "password_reset": "public: asking for a reset link",
    "password_reset_done": "public",
    "password_reset_complete": "public",
    "api-schema": "public: the API's schema, no organization's data",
    "api-docs": "public: the API's documentation, no organization's data",
    "password_reset_confirm": "public: the emailed token is the credential (Django's view)",
    "accept-invitation": "public: the token in the link is the credential, checked against "
                         "the signed-in address (tests/accounts/test_members.py)",
}
# Django's admin (staff only) is not swept: it has its own permission system.
NOT_SWEPT_PREFIXES = ("admin/",)


@dataclass
class World:
    """The victim organization's objects, and the organization of the member who probes."""

    victim: dict[str, object]
    own_org_slug: str
    own_project_slug: str


# Parameter name -> its value in the victim's organization. Add a line for a new parameter.
FILLERS: dict[str, Callable[[dict], object]] = {
    "org_slug": lambda v: v["org"].slug,
    "project_slug": lambda v: v["project"].slug,
    "issue_id": lambda v: v["issue"].pk,
    "event_ref": lambda v: v["event"].event_id.hex,
    "event_id": lambda v: v["event"].event_id.hex,
    "attachment_id": lambda v: v["attachment"].pk,
    "key_id": lambda v: v["key"].pk,
    "fingerprint_id": lambda v: v["fingerprint"].pk,
    "rule_id": lambda v: v["rule"].pk,
    "action_id": lambda v: v["action"].pk,
    "notification_id": lambda v: v["notification"].pk,
    "version": lambda v: v["release"].version,
    "token_id": lambda v: v["token"].pk,
    "member_id": lambda v: v["member"].pk,
    "invitation_id": lambda v: v["invitation"].pk,
    "team_slug": lambda v: v["team"].slug,
    "search_id": lambda v: v["search"].pk,
    "note_id": lambda v: v["note"].pk,
    "key": lambda v: v["tag"].key,
}
# (route name, parameter name) -> its value, where one route needs another object than
# FILLERS gives for that parameter name.
ROUTE_FILLERS: dict[tuple[str, str], Callable[[dict], object]] = {
    # The account route takes the victim's personal token; this one the organization's.
    ("org-auth-token-revoke", "token_id"): lambda v: v["org_token"].pk,
}


def routes() -> Iterator[tuple[str, str, list[str]]]:
    """(route, name, parameter names) of every URL pattern, namespaces included."""

    def walk(patterns, prefix: str, namespace: str | None):
        for p in patterns:
            if isinstance(p, URLResolver):
                inner = ":".join(n for n in (namespace, p.namespace) if n) or None
                yield from walk(p.url_patterns, prefix + str(p.pattern), inner)
            elif isinstance(p, URLPattern):
                name = f"{namespace}:{p.name}" if namespace and p.name else p.name
                yield prefix + str(p.pattern), name, list(getattr(p.pattern, "converters", {}))

    yield from walk(get_resolver().url_patterns, "", None)


def swept_routes() -> list[tuple[str, str, list[str]]]:
    return [
        r for r in routes()
        if r[1] not in NOT_SWEPT and not r[0].startswith(NOT_SWEPT_PREFIXES)
    ]


def victim_objects() -> dict[str, object]:
    owner = make_user("victim")
    org = make_org("Victim Inc", owner=owner)
    project = make_project(org, "Vault", slug="vault", platform="python")
    issue = make_issue(project, "KeyError: secret")
    event = make_event(issue)
    attachment = Attachment.objects.create(
        project=project, event_id=event.event_id, issue=issue, name="secret.txt", size=6,
        file=ContentFile(b"secret", name="secret.txt").name,
    )
    rule = AlertRule.objects.filter(project=project).first() or AlertRule.objects.create(
        project=project, name="Victim rule")
    action = rule.actions.first() or rule.actions.create(kind="email")
    notification = Notification.objects.create(rule=rule, action=action, kind=action.kind)
    fingerprint = DiscardedFingerprint.objects.create(
        project=project, previous_issue_id=0, title="Discarded secret")
    release = Release.objects.create(organization=org, version="vault@1.0")
    release.projects.add(project)
    # A plain member (an owner may be protected as the last one), in a team, an invitation,
    # the owner's personal token and an organization token, a shared saved search.
    member = make_member(org, make_user("victim-member"))
    team = Team.objects.create(organization=org, name="Vault keepers", slug="vault-keepers")
    team.members.add(member)
    invitation, _ = members.invite(
        Member.objects.get(organization=org, user=owner), "newcomer@example.com",
        Member.Role.MEMBER, team)
    token, _ = ApiToken.issue(owner, name="Victim token")
    org_token, _ = ApiToken.issue_for_organization(org, owner, name="Victim CI")
    search = SavedSearch.objects.create(
        organization=org, project=project, owner=owner, name="Secrets", query="is:unresolved",
        visibility=SavedSearch.Visibility.ORGANIZATION)
    note = IssueActivity.objects.create(issue=issue, user=owner,
                                        kind=IssueActivity.Kind.COMMENT, data={"text": "secret"})
    tag = IssueTag.objects.create(issue=issue, key="vault", value="secret", times_seen=1,
                                  first_seen=issue.first_seen, last_seen=issue.last_seen)
    return {
        "owner": owner, "org": org, "project": project, "issue": issue, "event": event,
        "attachment": attachment, "key": project.keys.get(), "rule": rule, "action": action,
        "notification": notification, "fingerprint": fingerprint, "release": release,
        "member": member, "team": team, "invitation": invitation, "token": token,
        "org_token": org_token, "search": search, "note": note, "tag": tag,
    }


def fill(name: str, params: list[str], victim: dict, own: dict[str, str], *,
         nowhere: bool = False) -> str:
    """The route's URL with the victim's values, `own` scope values put in; with `nowhere`,
    ids and references that exist nowhere instead of the victim's objects."""
    unknown = [p for p in params if p not in FILLERS]
    assert not unknown, (
        f"the access sweep cannot fill {unknown} of route {name!r}: teach it (FILLERS in "
        f"{__file__})"
    )
    kwargs = {p: ROUTE_FILLERS.get((name, p), FILLERS[p])(victim) for p in params}
    if nowhere:
        kwargs.update({p: 2**31 - 1 if isinstance(v, int) else uuid.UUID(int=1).hex
                       for p, v in kwargs.items() if p not in SCOPE})
    kwargs.update({p: v for p, v in own.items() if p in kwargs})
    return reverse(name, kwargs=kwargs)


@pytest.fixture(params=["owner", "member"])
def world(db, request):
    """The victim's objects, and an intruder: the owner of another organization, or a plain
    member of one."""
    victim = victim_objects()
    intruder = make_user("intruder")
    if request.param == "owner":
        own_org = make_org("Intruder Ltd", owner=intruder)
    else:
        own_org = make_org("Intruder Ltd")
        make_member(own_org, intruder)
    make_project(own_org, "Mine", slug="mine", platform="python")
    return victim, intruder, own_org


SCOPE = {"org_slug", "project_slug"}


def urls_for(victim, own_org, *, with_unscoped: bool = True) -> list[tuple[str, str, str]]:
    """(route name, URL) for every swept route, filled with the victim's objects: under the
    victim's organization; under the intruder's own organization (the victim's project slug
    or objects); and under the intruder's own organization and project (the victim's objects).
    Routes without parameters (the home page, creating an organization) name nobody's
    objects: only `with_unscoped`. The third item is the same URL with ids that exist
    nowhere."""
    urls = []
    for _, name, params in swept_routes():
        if not params and not with_unscoped:
            continue
        variants = [{}]
        if "org_slug" in params and len(params) > 1:
            variants.append({"org_slug": own_org.slug})
        if "org_slug" in params and set(params) - SCOPE:
            variants.append({"org_slug": own_org.slug, "project_slug": "mine"})
        urls += [(name, fill(name, params, victim, own),
                  fill(name, params, victim, own, nowhere=True)) for own in variants]
    return urls


def page_text(response, url: str) -> bytes:
    """The page without what differs between two requests anyway: its own URL and the
    CSRF token (masked differently each time)."""
    return re.sub(rb"[A-Za-z0-9]{64}", b"", response.content.replace(url.encode(), b""))


def answers(client, url: str) -> dict[str, int]:
    """GET, POST, PUT and DELETE answers, leaving out a method the route does not take (405):
    every route must take one of them."""
    found = {}
    for method in ("get", "post", "put", "delete"):
        response = getattr(client, method)(url)
        if response.status_code != 405:
            found[method.upper()] = response
    assert found, f"{url} takes neither GET nor POST"
    return found


def test_the_sweep_covers_the_routes_it_should():
    names = {name for _, name, _ in swept_routes()}
    # A sanity floor: pages and API of issues, events, attachments, keys, rules, releases.
    assert {"issues:detail", "issues:attachment", "project-key-rotate", "alerts:delete",
            "api-organization-release", "api-event-attachment"} <= names
    assert len(names) >= 40


def test_another_organizations_objects_are_404(client, world):
    victim, intruder, own_org = world
    client.force_login(intruder)
    wrong = []
    for name, url, nowhere_url in urls_for(victim, own_org, with_unscoped=False):
        for method, response in answers(client, url).items():
            if response.status_code == 404:
                continue
            # Under the intruder's own project, a plain member may be refused an action on
            # it (403) before any object is looked up: acceptable only if the answer is the
            # same, byte for byte, as for an id that exists nowhere (it tells nothing).
            same = getattr(client, method.lower())(nowhere_url)
            if not (response.status_code == 403 and same.status_code == 403
                    and page_text(same, nowhere_url) == page_text(response, url)):
                wrong.append((method, url, name, response.status_code))
    assert not wrong, "not 404 for another organization's member:\n" + "\n".join(map(str, wrong))
    # Nothing of the victim's was changed by the attempts.
    issue = Issue.objects.get(pk=victim["issue"].pk)
    assert issue.status == victim["issue"].status
    assert Project.objects.filter(pk=victim["project"].pk).exists()
    assert AlertRule.objects.get(pk=victim["rule"].pk).enabled == victim["rule"].enabled
    assert Attachment.objects.filter(pk=victim["attachment"].pk).exists()
    key = victim["key"]
    key.refresh_from_db()
    assert key.is_active
    assert DiscardedFingerprint.objects.filter(pk=victim["fingerprint"].pk).exists()
    member = Member.objects.get(pk=victim["member"].pk)
    assert member.role == victim["member"].role
    assert list(Team.objects.get(pk=victim["team"].pk).members.all()) == [member]
    invitation = Invitation.objects.get(pk=victim["invitation"].pk)
    assert invitation.token_hash == victim["invitation"].token_hash
    assert ApiToken.objects.filter(pk__in=[victim["token"].pk, victim["org_token"].pk]
                                   ).count() == 2
    assert SavedSearch.objects.filter(pk=victim["search"].pk).exists()
    assert IssueActivity.objects.filter(pk=victim["note"].pk).exists()


def test_signed_out_pages_redirect_to_login_and_the_api_answers_401(client, world):
    victim, _, own_org = world
    wrong = []
    for name, url, _ in urls_for(victim, own_org):
        for method, response in answers(client, url).items():
            if url.startswith("/api/0/"):
                ok = response.status_code == 401
            else:
                ok = response.status_code == 302 and response["Location"].startswith(
                    reverse("login") + "?next=")
            if not ok:
                wrong.append((method, url, name, response.status_code))
    assert not wrong, "signed out but not refused:\n" + "\n".join(map(str, wrong))


def test_an_unknown_parameter_fails_the_sweep():
    with pytest.raises(AssertionError, match="teach it"):
        fill("some-new-route", ["widget_id"], {}, {})


def test_unknown_ids_are_404_too(client, world):
    """The same answer for an id that exists elsewhere as for one that exists nowhere."""
    _, intruder, own_org = world
    client.force_login(intruder)
    assert client.get(f"/{own_org.slug}/issues/{10**9}/").status_code == 404
    assert client.get(f"/api/0/projects/{own_org.slug}/mine/events/{uuid.uuid4().hex}/"
                      ).status_code == 404
