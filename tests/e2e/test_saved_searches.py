"""Saved searches in a real browser: save the list as it is for oneself or for everyone,
apply one with a click, delete one after confirming; another user sees only shared ones."""

import pytest

from tests.e2e.conftest import sign_in
from tests.factories import make_issue, make_member, make_user
from tests.live import wait_until
from tracker.models import Level, SavedSearch

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("digest_worker"),
]


def titles(page) -> list[str]:
    return page.locator("table.issues tbody tr a.title").all_inner_texts()


def saved(page) -> list[str]:
    return page.locator(".saved-search > a").all_inner_texts()


def save(page, name: str, shared: bool = False) -> None:
    page.get_by_text("Save this search").click()
    page.fill(".save-search input[name=name]", name)
    if shared:
        page.get_by_label("Share with everyone in Acme").check()
    page.get_by_role("button", name="Save", exact=True).click()


def test_save_apply_share_and_delete_saved_searches(errata_server, page, browser, user,
                                                    project):
    make_issue(project, "Checkout failed", level=Level.ERROR)
    make_issue(project, "Slow page", level=Level.WARNING)
    bob = make_user("bob")
    make_member(project.organization, bob)
    sign_in(page, errata_server, user.username)
    page.goto(errata_server + "/acme/shop/issues/")
    assert saved(page) == []

    page.select_option("select[name=level]", "warning")
    wait_until(lambda: titles(page) == ["Slow page"], 10)
    save(page, "Warnings")
    page.wait_for_selector("text=Saved “Warnings”.")
    assert saved(page) == ["Warnings"]
    search = SavedSearch.objects.get()
    assert search.visibility == "owner" and search.owner == user
    assert "level=warning" in search.query and "page" not in search.query

    page.select_option("select[name=level]", "error")
    wait_until(lambda: titles(page) == ["Checkout failed"], 10)
    save(page, "Errors for all", shared=True)
    page.wait_for_selector("text=Saved “Errors for all” for everyone.")
    assert saved(page) == ["Errors for all", "Warnings"]

    # Applying one: the rows and the controls follow.
    page.goto(errata_server + "/acme/shop/issues/")
    page.locator(".saved-search").get_by_role("link", name="Warnings").click()
    page.wait_for_url("**level=warning**")
    assert titles(page) == ["Slow page"]
    assert page.locator("select[name=level]").input_value() == "warning"
    assert page.locator(".saved-search.current").inner_text().startswith("Warnings")

    # Bob sees only the shared one, and may not delete it.
    other = browser.new_context()
    bob_page = other.new_page()
    try:
        sign_in(bob_page, errata_server, "bob")
        bob_page.goto(errata_server + "/acme/shop/issues/")
        assert saved(bob_page) == ["Errors for all"]
        assert bob_page.locator(".saved-search button.remove").count() == 0
    finally:
        other.close()

    # Deleting asks; dismissed, it stays.
    asked = []
    page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    page.get_by_role("button", name="Delete the saved search Warnings").click()
    wait_until(lambda: asked, 5)
    assert asked == ["Delete the saved search “Warnings”?"]
    assert SavedSearch.objects.filter(name="Warnings").exists()
    page.once("dialog", lambda d: (asked.append(d.message), d.accept()))
    page.get_by_role("button", name="Delete the saved search Warnings").click()
    page.wait_for_selector("text=Deleted the saved search “Warnings”.")
    assert saved(page) == ["Errors for all"]
    assert not SavedSearch.objects.filter(name="Warnings").exists()


def test_without_javascript_deleting_a_saved_search_asks_on_a_page(errata_server, browser,
                                                                   user, project):
    SavedSearch.objects.create(organization=project.organization, project=project,
                               owner=user, name="Mine", query="level=error")
    make_issue(project, "Checkout failed")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, errata_server, user.username)
        page.goto(errata_server + "/acme/shop/issues/")
        page.get_by_role("button", name="Delete the saved search Mine").click()
        page.wait_for_selector("text=Delete the saved search “Mine”?")
        assert SavedSearch.objects.exists()
        page.get_by_role("link", name="Cancel").click()
        page.wait_for_url("**/acme/shop/issues/")
        page.get_by_role("button", name="Delete the saved search Mine").click()
        page.get_by_role("button", name="Delete “Mine”").click()
        page.wait_for_selector("text=Deleted the saved search “Mine”.")
        assert not SavedSearch.objects.exists()
    finally:
        context.close()
