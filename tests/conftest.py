import pytest
from django.db import connection

from tests import factories


def pytest_collection_modifyitems(config, items):
    # Tests marked postgres only mean something on PostgreSQL (real row locks); on the
    # embedded SQLite run they are reported as skipped, not silently dropped.
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def user(db):
    return factories.make_user("alice")


@pytest.fixture
def org(user):
    return factories.make_org("Acme", owner=user)


@pytest.fixture
def project(org):
    return factories.make_project(org, "Shop", platform="python", slug="shop")
