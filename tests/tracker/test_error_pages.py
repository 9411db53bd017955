"""Django's error pages in the product's style, and the favicon."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.template import loader
from django.templatetags.static import static

from tests.factories import make_member, make_user
from tracker.models import Member

pytestmark = pytest.mark.django_db

MISSING = "/no-such-page/at-all/"


def links(html: str) -> list[str]:
    """The site's own links on a page (stylesheets, icons and scripts aside)."""
    found = re.findall(r'href="(/[^"]*)"', html)
    return sorted({link for link in found if not link.startswith("/static/")})


def assert_links_open(client, html: str) -> None:
    followed = links(html)
    assert followed
    for link in followed:
        response = client.get(link)
        # Home sends a signed-in user on to their organization, a signed-out one to sign in.
        assert response.status_code in (200, 302), link
        if response.status_code == 302:
            assert client.get(response["Location"], follow=True).status_code == 200, link


@pytest.mark.parametrize("signed_in", [True, False])
def test_missing_page_is_the_styled_404(client, user, signed_in):
    if signed_in:
        client.force_login(user)
    response = client.get(MISSING)
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html and "errata.css" in html
    assert ("Sign out" in html) is signed_in
    assert_links_open(client, html)


def test_permission_denied_is_the_styled_403(client, project):
    member = make_member(project.organization, make_user("mo"), Member.Role.MEMBER)
    client.force_login(member.user)
    settings_url = f"/{project.organization.slug}/{project.slug}/settings/"
    response = client.post(settings_url, {"section": "origins", "allowed_origins": "x.com"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "Not allowed" in html and "errata.css" in html
    assert "owners and admins" in html  # the view's own reason
    assert_links_open(client, html)


def test_server_error_page_needs_no_request_nor_database(django_assert_num_queries):
    # Django renders 500.html with an empty context; it must not touch the database.
    with django_assert_num_queries(0):
        html = loader.get_template("500.html").render()
    assert "Something went wrong" in html
    assert static("css/errata.css") in html
    assert 'href="/"' in html


def test_favicon_is_linked_and_favicon_ico_answers(client):
    assert finders.find("favicon.svg")
    assert f'rel="icon" href="{static("favicon.svg")}"' in client.get("/login/").content.decode()
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == static("favicon.svg")
