"""From CI to the issue page, all real: sentry-cli records releases and their commits from a
git repository made by the test, the real sentry-sdk sends errors with `release=` from that
repository's code, and the issue page names the suspect commit and its author; the next
release's `fixes SHORT-ID` commit resolves the issue, which an old release's event doesn't
reopen."""

from __future__ import annotations

import re
import textwrap

import pytest

from tests.factories import make_member, make_user
from tests.live import dsn_for, run_python_sdk, wait_until
from tests.tracker.test_api import make_token
from tests.tracker.test_api_releases import ADA, GRACE, GitRepo, api_get, release_path, sentry_cli
from tracker.models import Event, Issue, IssueActivity

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("digest_worker"),
]

CHECKOUT = '''\
def pay(cart):
    return cart["total"] / len(cart["items"])
'''


def send_crash(errata_server, project, repo: GitRepo, release: str) -> str:
    """The app's code, from the repository, crashing under the real SDK."""
    body = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(repo.path)!r})
        from shop.checkout import pay
        try:
            pay({{"total": 10, "items": []}})
        except ZeroDivisionError:
            print(sentry_sdk.capture_exception())
    """)
    out = run_python_sdk(dsn_for(errata_server, project), body,
                         init=f'release={release!r}, in_app_include=["shop"]')
    event_id = out.split()[-1]
    wait_until(lambda: Event.objects.filter(project=project, event_id=event_id).exists())
    return event_id


def test_from_ci_to_suspect_commit_to_fixed(errata_server, client, user, project, tmp_path):
    grace = make_user("grace", email="grace@example.com", first_name="Grace",
                      last_name="Hopper")
    make_member(project.organization, grace)
    token = make_token(user)
    repo = GitRepo(tmp_path / "shop")
    repo.commit(ADA, "Cart", write={"shop/__init__.py": "", "shop/cart.py": "CART = []\n"})
    bad = repo.commit(GRACE, "Pay per item", write={"shop/checkout.py": CHECKOUT})
    repo.commit(ADA, "Readme", write={"README.md": "the shop\n"})

    def cli(*args, **kw):
        return sentry_cli(errata_server, token, repo, *args, **kw)

    # The CI step of the first release, word for word.
    version = "shop@1.0.0"
    cli("releases", "new", version)
    cli("releases", "set-commits", version, "--auto")
    cli("releases", "finalize", version)
    cli("deploys", "new", "-e", "production", env={"SENTRY_RELEASE": version})

    event_id = send_crash(errata_server, project, repo, version)
    issue = Issue.objects.get(project=project)
    assert issue.first_release.version == version

    # The issue page: the commit that touched the crashing file, its author, and a button
    # that assigns the issue to her (she is a member).
    client.force_login(user)
    page = client.get(f"/acme/issues/{issue.pk}/").content.decode()
    section = page[page.index('id="suspect-commits"'):page.index("Recent events")]
    assert bad[:12] in section and "Pay per item" in section
    assert "Grace Hopper" in section and "shop/checkout.py" in section
    assert "Cart" not in section and "Readme" not in section
    assert "Assign to grace" in section
    token_value = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', section)[1]
    client.post("/acme/issues/actions/", {
        "issue": issue.pk, "action": "assign", "assign_to": grace.pk,
        "next": f"/acme/issues/{issue.pk}/", "csrfmiddlewaretoken": token_value})
    assert Issue.objects.get(pk=issue.pk).assignee == grace

    # Sentry's committers route says the same.
    status, body = api_get(errata_server, token,
                           f"projects/acme/shop/events/{event_id}/committers/")
    assert status == 200
    [committer] = body["committers"]
    assert committer["author"]["id"] == str(grace.pk)
    assert [c["id"] for c in committer["commits"]] == [bad]

    # The fix ships in the next release; finalizing it resolves the issue.
    fix = repo.commit(ADA, f"Pay for an empty cart\n\nFixes {issue.qualified_short_id}",
                      write={"shop/checkout.py": CHECKOUT.replace(
                          'len(cart["items"])', 'max(len(cart["items"]), 1)')})
    cli("releases", "new", "shop@1.1.0")
    cli("releases", "set-commits", "shop@1.1.0", "--auto")
    status, commits = api_get(errata_server, token, release_path("shop@1.1.0", "commits/"))
    assert [c["id"] for c in commits] == [fix]  # only what is new since 1.0.0
    assert Issue.objects.get(pk=issue.pk).status == Issue.Status.UNRESOLVED
    cli("releases", "finalize", "shop@1.1.0")
    issue.refresh_from_db()
    assert issue.status == Issue.Status.RESOLVED
    assert (issue.resolved_in_release.version, issue.resolved_in_next_release) == (
        "shop@1.1.0", False)
    page = client.get(f"/acme/issues/{issue.pk}/").content.decode()
    assert re.search(r"resolved in release <a [^>]*>shop@1\.1\.0</a>", page)
    assert f"commit <code>{fix[:12]}</code> fixes it" in page

    # A server still running 1.0.0 keeps failing: that doesn't reopen the issue...
    repo.git("checkout", "-q", bad)
    send_crash(errata_server, project, repo, version)
    issue.refresh_from_db()
    assert issue.status == Issue.Status.RESOLVED
    assert not IssueActivity.objects.filter(issue=issue, kind="regression").exists()
    # ...but the same failure in a release after the fix does.
    send_crash(errata_server, project, repo, "shop@1.2.0")
    issue.refresh_from_db()
    assert (issue.status, issue.substatus) == (Issue.Status.UNRESOLVED, "regressed")
