import pytest

from tests.e2e.conftest import sign_in
from tests.factories import make_org, make_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_sign_in_in_a_real_browser(errata_server, page, screenshot):
    make_org("Acme", owner=make_user("dana"))
    sign_in(page, errata_server, "dana")
    assert page.locator("body").inner_text()
    screenshot("home")
