import re

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.management import call_command

from tests.factories import make_user
from tracker.models import ApiToken, Project


def run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_healthz_reports_database_and_broker(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_healthz_says_503_when_the_broker_is_unreachable(client, db, monkeypatch):
    from tracker.celery import app

    # Nothing listens on port 1: the broker is down, whatever the configured transport.
    monkeypatch.setitem(app.conf, "broker_url", "redis://127.0.0.1:1/0")
    monkeypatch.setitem(app.conf, "broker_write_url", "redis://127.0.0.1:1/0")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"] == "unreachable"


def test_bootstrap_creates_admin_and_demo_project_once(db):
    first = run("bootstrap")
    second = run("bootstrap")
    assert Project.objects.count() == 1
    url, login, dsn = first.splitlines()
    assert url.startswith("URL: http")
    assert re.fullmatch(r"Login: admin / \S+", login)
    project = Project.objects.get()
    assert dsn == f"DSN: {project.keys.get().dsn}"
    assert first == second


def test_dsn_command_prints_demo_or_named_project(db):
    run("bootstrap")
    demo = Project.objects.get()
    assert run("dsn").strip() == demo.keys.get().dsn
    assert run("dsn", "demo/demo").strip() == demo.keys.get().dsn
    assert re.fullmatch(r"https?://[0-9a-f]{32}@[^/]+/\d+", run("dsn").strip())


def test_create_token_prints_a_working_token(client, db):
    user = make_user("bob")
    token = run("create_token", "bob").strip()
    stored = ApiToken.objects.get(user=user)
    assert token.startswith("sntryu_") and stored.prefix == token[:7] + token[-4:]
    assert "project:releases" in stored.scopes and "org:admin" in stored.scopes
    assert token not in str(ApiToken.objects.values_list("token_hash", flat=True))


# Counters and state the code keeps for itself, deliberately not in the admin (ArtifactFile is
# shown inline in its bundle). Any other model must be.
INTERNAL_MODELS = {
    "ProjectCounter", "IssueHourlyCount", "IssueMinuteCount", "IssueUserBucket", "CountedBatch",
    "FileChunk", "SessionState", "ArtifactFile", "IssueUserState",
}


def test_admin_lists_every_model_but_internal_ones(client, db):
    staff = make_user("root", is_staff=True, is_superuser=True)
    client.force_login(staff)
    every = [m for m in apps.get_models() if m._meta.app_label in ("tracker", "alerts", "ingest")]
    assert {m.__name__ for m in every} >= INTERNAL_MODELS  # the list names real models
    ours = [m for m in every if m.__name__ not in INTERNAL_MODELS]
    assert ours
    missing = [m.__name__ for m in ours if not admin.site.is_registered(m)]
    assert not missing
    assert not [m.__name__ for m in every if m.__name__ in INTERNAL_MODELS
                and admin.site.is_registered(m)]
    index = client.get("/admin/").content.decode()
    # Django's automatic plurals ("Issue activitys") are fixed in the models' Meta.
    for wrong in ("activitys", "hashs", "batchs"):
        assert wrong not in index
    assert "Issue activities" in index and "Issue hashes" in index
    for model in every:
        if model.__name__ in INTERNAL_MODELS:
            assert f"/admin/{model._meta.app_label}/{model._meta.model_name}/" not in index
            continue
        assert f"/admin/{model._meta.app_label}/{model._meta.model_name}/" in index
        page = client.get(f"/admin/{model._meta.app_label}/{model._meta.model_name}/")
        assert page.status_code == 200, model


def test_login_page_and_sign_in(client, db):
    make_user("carol", password="correct horse")
    assert client.get("/").status_code == 302
    assert b"Sign in" in client.get("/login/").content
    response = client.post("/login/", {"username": "carol", "password": "correct horse"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("value", ["maybe", "2x"])
def test_bad_env_values_fail_loudly(monkeypatch, value):
    from tracker.env import ImproperlyConfiguredEnv, env_bool, env_int

    monkeypatch.setenv("ERRATA_SOME_FLAG", value)
    with pytest.raises(ImproperlyConfiguredEnv, match="ERRATA_SOME_FLAG"):
        env_bool("ERRATA_SOME_FLAG", False) if value == "maybe" else env_int(
            "ERRATA_SOME_FLAG", 1
        )
