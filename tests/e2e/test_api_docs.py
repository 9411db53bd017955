"""The API's docs page renders in a real browser, from local assets only."""

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_api_docs_render_in_chromium(errata_server, page, screenshot):
    outside = []
    page.on("request", lambda r: outside.append(r.url)
            if not r.url.startswith(errata_server) and not r.url.startswith("data:") else None)
    page.goto(errata_server + "/api/0/docs/")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "Errata API" in page.locator(".swagger-ui .info .title").inner_text()
    # The operations come from the live schema, grouped by tag.
    page.wait_for_selector("text=Retrieve an Issue")
    assert page.locator(".opblock-tag", has_text="Issues").count() >= 1
    assert page.locator(".opblock-summary-path", has_text="/api/0/issues/{issue_id}/").count()
    assert outside == []
    screenshot("api-docs")
