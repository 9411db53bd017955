"""Acceptance: a minified JavaScript app in Chromium with the real @sentry/browser, its
source maps uploaded with the real sentry-cli, and Errata's issues reading like the source.

The app (tests/jsapp) is built twice with esbuild; build 2 has more code, so its minified
names and columns differ. The page is served by a test HTTP server on another origin than
Errata. Two different errors, each triggered in both builds, must make two issues whose
frames show the original files, functions, lines and source lines.
"""

from __future__ import annotations

import shutil

import pytest

from tests.e2e.conftest import sign_in
from tests.jsapp.build import build, build_sentry, static_server
from tests.jsapp.build import page as write_page
from tests.live import dsn_for, wait_until
from tests.sourcemaps import sentry_cli
from tests.tracker.test_api import make_token
from tracker.models import ArtifactBundle, Event, Issue

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# The innermost app frame of each error: (file, function, line, source line).
PEN = ("/src/cart.js", "addItem", 4, "throw new TypeError(`item ${item.name} has no price`);")
PAY = ("/src/checkout.js", "checkout", 6, 'throw new RangeError("cart total exceeds the limit");')


@pytest.fixture(scope="module")
def sentry_js(tmp_path_factory):
    return build_sentry(tmp_path_factory.mktemp("sdk"))


def _site(tmp_path, sentry_js):
    root = tmp_path / "site"
    root.mkdir()
    shutil.copy(sentry_js, root / "sentry.js")
    return root


def _click_both_buttons(page, site_url: str, builds: int = 2) -> None:
    for n in range(1, builds + 1):
        page.goto(f"{site_url}/b{n}/index.html")
        page.click("#pen")
        page.click("#pay")


def _innermost_app_frame(event: Event) -> dict:
    frames = event.data["exception"]["values"][-1]["stacktrace"]["frames"]
    return [f for f in frames if f.get("in_app")][-1]


def _check_issues(resolved_with: str) -> list[Issue]:
    wait_until(lambda: Event.objects.count() == 4, timeout=60)
    issues = list(Issue.objects.order_by("pk"))
    assert [i.times_seen for i in issues] == [2, 2]
    for issue, expected in zip(issues, (PEN, PAY), strict=True):
        releases = set()
        for event in issue.events.all():
            frame = _innermost_app_frame(event)
            assert (frame["filename"], frame["function"], frame["lineno"],
                    frame["context_line"].strip()) == expected
            assert frame["data"]["resolved_with"] == resolved_with
            assert frame["data"]["minified"]["filename"].endswith(f"/b{event.release[5]}/app.js")
            assert "errors" not in event.data, event.data["errors"]
            releases.add(event.release)
        assert releases == {"shop@1.0", "shop@2.0"}
    return issues


def test_debug_id_uploads_make_readable_issues(errata_server, digest_worker, user, project,
                                               page, tmp_path, sentry_js):
    token = make_token(user)
    root = _site(tmp_path, sentry_js)
    dsn = dsn_for(errata_server, project)
    for n in (1, 2):
        dist = build(tmp_path / f"build{n}", n).parent
        sentry_cli(errata_server, token, dist.parent, "sourcemaps", "inject", str(dist))
        sentry_cli(errata_server, token, dist.parent, "sourcemaps", "upload", "--wait",
                   str(dist))
        shutil.copytree(dist, root / f"b{n}")
        write_page(root, f"b{n}/index.html", dsn=dsn, script=f"/b{n}/app.js",
                   init=f'release: "shop@{n}.0"')
    assert ArtifactBundle.objects.filter(state="ok").count() == 2

    with static_server(root) as site_url:
        assert site_url.rsplit(":", 1)[0] == errata_server.rsplit(":", 1)[0]  # same host,
        assert site_url != errata_server  # another port: another origin
        _click_both_buttons(page, site_url)
        issues = _check_issues("debug-id")

    # The issue page, in the browser, reads like the source.
    sign_in(page, errata_server, user.username)
    page.goto(f"{errata_server}/acme/issues/{issues[0].pk}/")
    text = page.locator("#event").inner_text()
    assert "/src/cart.js" in text and "addItem" in text and PEN[3] in text
    assert "Processing errors" not in text


def test_release_bound_uploads_make_readable_issues(errata_server, digest_worker, user,
                                                    project, page, tmp_path, sentry_js):
    token = make_token(user)
    root = _site(tmp_path, sentry_js)
    dsn = dsn_for(errata_server, project)
    for n in (1, 2):
        dist = build(tmp_path / f"build{n}", n).parent  # no debug IDs injected
        sentry_cli(errata_server, token, dist.parent, "sourcemaps", "upload", "--wait",
                   "--release", f"shop@{n}.0", "--url-prefix", f"~/b{n}", str(dist))
        shutil.copytree(dist, root / f"b{n}")
        write_page(root, f"b{n}/index.html", dsn=dsn, script=f"/b{n}/app.js",
                   init=f'release: "shop@{n}.0"')
    with static_server(root) as site_url:
        _click_both_buttons(page, site_url)
        _check_issues("release")
