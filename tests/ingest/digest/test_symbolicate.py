"""Symbolication in the save pipeline: minified JavaScript frames mapped through uploaded
source maps (by debug ID, then by release + dist + URL), and events whose maps are missing,
broken or too large stored minified with an error that says why."""

from __future__ import annotations

import json
import uuid

import pytest
from django.urls import reverse

from ingest.digest import symbolicate
from ingest.models import InboxItem
from tests.ingest.helpers import digest_all, event_envelope, post
from tests.jsapp.build import build, position
from tests.sourcemaps import js_event, upload
from tracker.models import Event, Issue

URL = "https://shop.example.com/static/app.js"


@pytest.fixture(autouse=True)
def _empty_cache():
    symbolicate.cache.clear()
    yield
    symbolicate.cache.clear()


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    root = tmp_path_factory.mktemp("jsapp")
    return {n: build(root / str(n), n) for n in (1, 2)}


def files_of(script, debug_id=None, url="~/static/app.js"):
    headers = {"Sourcemap": "app.js.map"}
    if debug_id:
        headers["debug-id"] = debug_id
    return {
        url: ("minified_source", script.read_bytes(), headers),
        url + ".map": ("source_map", script.with_suffix(".js.map").read_bytes(),
                       {"debug-id": debug_id} if debug_id else {}),
    }


def send(client, project, event) -> Event:
    event_id = uuid.uuid4().hex
    response = post(client, project, event_envelope(event, event_id=event_id))
    assert response.status_code == 200, response.content
    digest_all()
    return Event.objects.get(event_id=event_id)


def frame_of(event: Event) -> dict:
    return event.data["exception"]["values"][0]["stacktrace"]["frames"][-1]


def test_frames_map_by_debug_id(client, project, builds):
    debug_id = str(uuid.uuid4())
    upload(project, files_of(builds[1], debug_id))
    line, column = position(builds[1], "new TypeError")
    event = send(client, project, js_event(URL, line, column, debug_id=debug_id))

    frame = frame_of(event)
    assert frame["abs_path"] == "https://shop.example.com/src/cart.js"
    assert frame["filename"] == "/src/cart.js"
    assert frame["function"] == "addItem"
    assert (frame["lineno"], frame["in_app"]) == (4, True)
    assert frame["context_line"].strip() == "throw new TypeError(`item ${item.name} has no price`);"
    assert frame["pre_context"][-1].strip() == "if (!item.price) {"
    assert frame["post_context"][0].strip() == "}"
    assert frame["data"]["symbolicated"] is True
    assert frame["data"]["resolved_with"] == "debug-id"
    assert frame["data"]["minified"] == {"abs_path": URL, "filename": URL, "function": "c",
                                         "lineno": line, "colno": column, "in_app": True}
    assert "errors" not in event.data
    assert event.issue.culprit.endswith("addItem") or "addItem" in event.issue.culprit


def test_frames_map_by_release_dist_and_url(client, project, builds):
    upload(project, files_of(builds[1]), release="shop@1.0", dist="web")
    line, column = position(builds[1], "new TypeError")
    event = send(client, project, js_event(URL + "?v=1", line, column, release="shop@1.0",
                                           dist="web"))
    frame = frame_of(event)
    assert (frame["function"], frame["lineno"]) == ("addItem", 4)
    assert frame["data"]["resolved_with"] == "release"

    # Another dist is another upload: nothing to map with.
    other = send(client, project, js_event(URL, line, column, release="shop@1.0",
                                           dist="mobile"))
    assert frame_of(other)["function"] == "c"
    assert other.data["errors"] == [{"type": "js_no_source", "url": URL,
                                     "release": "shop@1.0", "dist": "mobile"}]


def test_the_same_bug_in_two_builds_is_one_issue(client, project, builds):
    for n in (1, 2):
        debug_id = str(uuid.uuid4())
        upload(project, files_of(builds[n], debug_id))
        line, column = position(builds[n], "new TypeError")
        minified_name = builds[n].read_text()[:column].rsplit("function ", 1)[1].split("(")[0]
        send(client, project, js_event(URL, line, column, function=minified_name,
                                       debug_id=debug_id))
    assert position(builds[1], "new TypeError") != position(builds[2], "new TypeError")
    assert Issue.objects.count() == 1
    assert Issue.objects.get().times_seen == 2


def test_dependencies_are_not_in_app():
    assert symbolicate._NOT_IN_APP.search("webpack:///./node_modules/react/index.js")
    assert symbolicate._NOT_IN_APP.search("webpack/bootstrap")
    assert symbolicate._NOT_IN_APP.search("/@vite/client")
    assert not symbolicate._NOT_IN_APP.search("webpack:///./src/cart.js")
    assert symbolicate._filename("webpack://shop/./src/cart.js") == "src/cart.js"


def test_missing_corrupt_and_50_mb_maps_keep_the_event_minified(client, user, project, builds):
    line, column = position(builds[1], "new TypeError")
    missing = send(client, project, js_event(URL, line, column, debug_id=str(uuid.uuid4())))
    assert frame_of(missing)["function"] == "c"
    assert missing.data["errors"][0]["type"] == "js_no_source"

    corrupt_id = str(uuid.uuid4())
    files = files_of(builds[1], corrupt_id)
    files["~/static/app.js.map"] = ("source_map", b"{not json", {"debug-id": corrupt_id})
    upload(project, files)
    corrupt = send(client, project, js_event(URL, line, column, debug_id=corrupt_id))
    assert frame_of(corrupt)["lineno"] == line
    assert corrupt.data["errors"][0]["type"] == "js_invalid_source"

    # A valid map of 50 MB (its sources inlined), over the default SOURCEMAP_MAX_SIZE: it is
    # not even read.
    large_id = str(uuid.uuid4())
    files = files_of(builds[1], large_id)
    huge = json.loads(files["~/static/app.js.map"][1])
    huge["sourcesContent"][0] += "// " + "x" * (50 * 1024 * 1024) + "\n"
    files["~/static/app.js.map"] = ("source_map", json.dumps(huge).encode(),
                                    {"debug-id": large_id})
    upload(project, files)
    large = send(client, project, js_event(URL, line, column, debug_id=large_id))
    assert frame_of(large)["lineno"] == line
    assert large.data["errors"] == [{"type": "js_too_large", "url": "~/static/app.js.map",
                                     "max_size": 40 * 1024 * 1024}]
    assert symbolicate.cache.size < 10 * 1024 * 1024

    # All stored, none left to retry; the issue page says why each is minified.
    assert not InboxItem.objects.exists()
    page = page_of(client, user, large)
    assert ("The source map ~/static/app.js.map is larger than the 41943040 bytes "
            "symbolication reads (SOURCEMAP_MAX_SIZE).") in page
    page = page_of(client, user, corrupt)
    assert "The source map ~/static/app.js.map could not be read" in page


def test_the_cache_is_bounded_by_bytes(project, builds, settings):
    settings.ERRATA = {**settings.ERRATA, "SOURCEMAP_CACHE_SIZE": 1}
    debug_id = str(uuid.uuid4())
    upload(project, files_of(builds[1], debug_id))
    line, column = position(builds[1], "new TypeError")
    event = js_event(URL, line, column, debug_id=debug_id)
    symbolicate.symbolicate(event, project)
    assert event["exception"]["values"][0]["stacktrace"]["frames"][0]["lineno"] == 4
    assert symbolicate.cache.size == 0  # larger than the whole cache: not kept
    settings.ERRATA = {**settings.ERRATA, "SOURCEMAP_CACHE_SIZE": 10**8}
    symbolicate.symbolicate(js_event(URL, line, column, debug_id=debug_id), project)
    assert 0 < symbolicate.cache.size < 10**8 and len(symbolicate.cache.entries) == 1


def test_non_javascript_events_are_left_alone(project):
    event = {"platform": "python", "exception": {"values": []}}
    symbolicate.symbolicate(event, project)
    assert event == {"platform": "python", "exception": {"values": []}}
    assert json.dumps(event)


def page_of(client, user, event: Event) -> str:
    client.force_login(user)
    response = client.get(reverse("issues:event",
                                  args=["acme", event.issue_id, event.event_id.hex]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_issue_page_says_why_frames_are_minified(client, user, project, builds):
    line, column = position(builds[1], "new TypeError")
    debug_id = str(uuid.uuid4())
    event = send(client, project, js_event(URL, line, column, debug_id=debug_id))
    page = page_of(client, user, event)
    assert "Processing errors" in page
    assert (f"No source map found for app.js (looked for debug ID {debug_id}); uploaded "
            "bundles: none (upload them with sentry-cli sourcemaps upload).") in page

    bundle = upload(project, files_of(builds[2], str(uuid.uuid4())), release="shop@2.0")
    page = page_of(client, user, event)
    assert (f"uploaded bundles: {bundle.bundle_id} (release shop@2.0, 2 files, "
            f"{bundle.created:%Y-%m-%d %H:%M}).") in page


def test_the_issue_page_shows_the_minified_frame_on_request(client, user, project, builds):
    debug_id = str(uuid.uuid4())
    upload(project, files_of(builds[1], debug_id))
    line, column = position(builds[1], "new TypeError")
    event = send(client, project, js_event(URL, line, column, debug_id=debug_id))
    page = page_of(client, user, event)
    assert "Processing errors" not in page
    assert '<span class="filename">/src/cart.js</span>' in page
    assert (f"Mapped by the source map ~/static/app.js.map from the minified "
            f"<code>{URL}:{line}:{column}</code> in <code>c</code>.") in page
    assert "throw new TypeError(`item ${item.name} has no price`);" in page
