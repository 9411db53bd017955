"""Releases, commits and deploys: the real `sentry-cli` against a live Errata (granian on the
test database), in a real git repository, and the same routes through the test client for
404s, idempotency, odd versions and other organizations."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.factories import make_issue, make_member, make_org, make_project, make_user
from tests.tracker.test_api import make_token
from tracker.models import Commit, Release

SENTRY_CLI = Path(sys.executable).with_name("sentry-cli")
ADA = ("Ada Lovelace", "ada@example.com")
GRACE = ("Grace Hopper", "grace@example.com")


# --- A git repository and the sentry-cli binary -------------------------------------------

class GitRepo:
    """A repository made by the test: no user or system git config, fixed dates."""

    def __init__(self, path: Path):
        self.path = path
        self.commits = 0
        path.mkdir()
        self.git("init", "-q", "-b", "main")
        self.git("remote", "add", "origin", "https://git.example.com/acme/shop.git")

    def git(self, *args: str, env: dict[str, str] | None = None) -> str:
        base = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
                "GIT_COMMITTER_NAME": "CI", "GIT_COMMITTER_EMAIL": "ci@example.com"}
        result = subprocess.run(["git", *args], cwd=self.path, env={**base, **(env or {})},
                                capture_output=True, text=True, check=True)
        return result.stdout.strip()

    def commit(self, author: tuple[str, str], message: str, *,
               write: dict[str, str] | None = None, delete: tuple[str, ...] = ()) -> str:
        for name, text in (write or {}).items():
            file = self.path / name
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_text(text)
            self.git("add", name)
        for name in delete:
            self.git("rm", "-q", name)
        self.commits += 1
        date = f"2026-03-{self.commits:02d}T10:00:00+02:00"
        self.git("commit", "-q", "-m", message, env={
            "GIT_AUTHOR_NAME": author[0], "GIT_AUTHOR_EMAIL": author[1],
            "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date})
        return self.git("rev-parse", "HEAD")


def sentry_cli(server: str, token: str, repo: GitRepo, *args: str, check: bool = True,
               env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    base_env = {k: v for k, v in os.environ.items()
                if not k.startswith(("SENTRY_", "GITHUB_"))}  # nothing of the machine's own
    base_env.update(SENTRY_URL=server, SENTRY_AUTH_TOKEN=token, SENTRY_ORG="acme",
               SENTRY_PROJECT="shop", SENTRY_DISABLE_UPDATE_CHECK="1",
               HOME=str(repo.path.parent), GIT_CONFIG_GLOBAL=os.devnull)
    result = subprocess.run([str(SENTRY_CLI), "--log-level=debug", *args], cwd=repo.path,
                            env={**base_env, **(env or {})}, capture_output=True, text=True,
                            timeout=60, check=False)
    if check and result.returncode != 0:
        raise AssertionError(f"sentry-cli {' '.join(args)} failed ({result.returncode}):\n"
                             f"{result.stdout}\n{result.stderr}")
    return result


def api_get(server: str, token: str, path: str):
    request = urllib.request.Request(f"{server}/api/0/{path}",
                                     headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def release_path(version: str, tail: str = "") -> str:
    return f"organizations/acme/releases/{quote(version, safe='')}/{tail}"


@pytest.fixture
def repo(tmp_path) -> GitRepo:
    repo = GitRepo(tmp_path / "shop")
    repo.commit(ADA, "Add the cart", write={"README.md": "shop\n", "shop/cart.py": "cart = []\n"})
    repo.commit(GRACE, "Coupons", write={"shop/coupons.py": "SAVE10 = 10\n",
                                         "shop/cart.py": "cart = {}\n"})
    repo.commit(ADA, "Drop coupons\n\nNobody used them.", write={"README.md": "the shop\n"},
                delete=("shop/coupons.py",))
    repo.commit(GRACE, "Checkout", write={"shop/checkout.py": "def pay(): ...\n"})
    return repo


# --- The real sentry-cli --------------------------------------------------------------------

@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_sentry_cli_release_commits_and_deploy(errata_server, user, project, repo):
    token = make_token(user)
    make_project(project.organization, "Web", slug="web")
    # Grace is a member (her account's email cased differently from git's); Ada is not.
    grace = make_user("grace", email="Grace@Example.com", first_name="Grace",
                      last_name="Hopper")
    make_member(project.organization, grace)
    cli = lambda *args, **kw: sentry_cli(errata_server, token, repo, *args, **kw)  # noqa: E731
    version = "shop@1.0.0 beta ü"
    shas = repo.git("log", "--format=%H").split()  # newest first

    info = cli("info")
    assert "User: alice@example.com" in info.stdout
    assert "project:releases" in info.stdout

    # Exactly what a deploy pipeline runs.
    cli("releases", "new", version)
    cli("releases", "set-commits", version, "--auto")
    cli("releases", "finalize", version)
    # The release comes from the environment, as a CI step exports it.
    cli("deploys", "new", "-e", "production", "--started", "1767261600",
        "--finished", "1767261720", "--url", "https://ci.example.com/1",
        env={"SENTRY_RELEASE": version})

    status, release = api_get(errata_server, token, release_path(version))
    assert status == 200
    assert release["version"] == version
    assert release["shortVersion"] == "1.0.0 beta ü"
    assert release["dateReleased"] is not None
    assert [p["slug"] for p in release["projects"]] == ["shop"]
    assert release["commitCount"] == 4
    assert release["lastCommit"]["id"] == shas[0]
    assert release["authors"] == [
        {"id": str(grace.pk), "username": "grace", "email": "Grace@example.com",
         "name": "Grace Hopper", "isActive": True},
        {"name": "Ada Lovelace", "email": "ada@example.com"}]
    assert release["deployCount"] == 1
    assert release["lastDeploy"] == {
        "id": release["lastDeploy"]["id"], "environment": "production", "name": None,
        "url": "https://ci.example.com/1", "dateStarted": "2026-01-01T10:00:00Z",
        "dateFinished": "2026-01-01T10:02:00Z"}

    status, commits = api_get(errata_server, token, release_path(version, "commits/"))
    assert [c["id"] for c in commits] == shas
    assert [c["message"].strip() for c in commits] == [
        "Checkout", "Drop coupons\n\nNobody used them.", "Coupons", "Add the cart"]
    assert [c["author"]["email"] for c in commits] == [
        "Grace@example.com", "ada@example.com", "Grace@example.com", "ada@example.com"]
    assert [c["author"].get("id") for c in commits] == [str(grace.pk), None] * 2
    assert commits[-1]["dateCreated"] == "2026-03-01T08:00:00Z"
    # No SCM integration: the repository is known by the name sentry-cli gives it, with
    # Sentry's "unknown" provider (which makes the next `--auto` use local git again).
    assert commits[0]["repository"]["provider"]["id"] == "unknown"

    status, files = api_get(errata_server, token, release_path(version, "commitfiles/"))
    touched = {(f["commitMessage"].split("\n")[0], f["filename"], f["type"]) for f in files}
    assert touched == {
        ("Checkout", "shop/checkout.py", "A"),
        ("Drop coupons", "README.md", "M"), ("Drop coupons", "shop/coupons.py", "D"),
        ("Coupons", "shop/coupons.py", "A"), ("Coupons", "shop/cart.py", "M"),
        ("Add the cart", "README.md", "A"), ("Add the cart", "shop/cart.py", "A"),
    }
    status, deploys = api_get(errata_server, token, release_path(version, "deploys/"))
    assert [d["environment"] for d in deploys] == ["production"]

    # The commands that read it back.
    assert "production" in cli("deploys", "list", "-r", version).stdout
    assert version in cli("releases", "list").stdout
    shown = cli("releases", "info", version, "--show-commits", "--show-projects").stdout
    assert shas[0] in shown and "shop" in shown

    # The next release: `--auto` again lists local history back to the previous release's
    # last commit, so it gets only the new commits.
    repo.commit(ADA, "Fix checkout", write={"shop/checkout.py": "def pay(): return 1\n"})
    new_head = repo.commit(GRACE, "Docs", write={"docs/paying.md": "pay\n"})
    cli("releases", "new", "shop@1.1.0", "-p", "shop", "-p", "web", "--finalize")
    cli("releases", "new", "shop@1.1.0", "-p", "shop", "-p", "web")  # repeated: fine
    cli("releases", "set-commits", "shop@1.1.0", "--auto")
    cli("deploys", "new", "-r", "shop@1.1.0", "-e", "staging", "--name", "canary",
        "--url", "https://ci.example.com/42", "--started", "1767261600",
        "--finished", "1767261720")
    status, second = api_get(errata_server, token, release_path("shop@1.1.0"))
    assert [p["slug"] for p in second["projects"]] == ["shop", "web"]
    assert second["dateReleased"] is not None
    assert second["commitCount"] == 2
    assert second["lastCommit"]["id"] == new_head
    assert second["lastDeploy"] == {
        "id": second["lastDeploy"]["id"], "environment": "staging", "name": "canary",
        "url": "https://ci.example.com/42", "dateStarted": "2026-01-01T10:00:00Z",
        "dateFinished": "2026-01-01T10:02:00Z"}
    status, listed = api_get(errata_server, token, "organizations/acme/releases/?query=1.1")
    assert [r["version"] for r in listed] == ["shop@1.1.0"]
    status, web = api_get(errata_server, token, "projects/acme/web/releases/")
    assert [r["version"] for r in web] == ["shop@1.1.0"]

    cli("releases", "delete", "shop@1.1.0")
    assert cli("releases", "info", "shop@1.1.0", check=False).returncode == 1
    assert "Did nothing" in cli("releases", "delete", "shop@1.1.0").stdout


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_sentry_cli_set_commits_options(errata_server, user, project, repo):
    token = make_token(user)
    cli = lambda *args, **kw: sentry_cli(errata_server, token, repo, *args, **kw)  # noqa: E731
    shas = repo.git("log", "--format=%H").split()

    cli("releases", "new", "1.0")
    # --local: the local history, whatever repositories the organization knows.
    cli("releases", "set-commits", "1.0", "--local")
    assert api_get(errata_server, token, release_path("1.0"))[1]["commitCount"] == 4
    [repository] = api_get(errata_server, token, "organizations/acme/repos/")[1]

    # --commit REPO@A..B names a range; with no provider to list it the head is recorded.
    cli("releases", "new", "2.0")
    cli("releases", "set-commits", "2.0", "--commit",
        f"{repository['name']}@{shas[2]}..{shas[0]}")
    status, commits = api_get(errata_server, token, release_path("2.0", "commits/"))
    assert [c["id"] for c in commits] == [shas[0]]
    assert commits[0]["author"]["name"] == "Grace Hopper"  # known from the local history
    unknown = cli("releases", "set-commits", "2.0", "--commit", f"nope@{shas[0]}",
                  check=False)
    assert unknown.returncode != 0

    # --clear, then --auto with a history that doesn't hold the previous release's commit.
    cli("releases", "set-commits", "2.0", "--clear")
    assert api_get(errata_server, token, release_path("2.0"))[1]["commitCount"] == 0
    Commit.objects.filter(key=shas[0]).update(key="f" * 40)  # as if history was rewritten
    failed = cli("releases", "set-commits", "2.0", "--auto", check=False)
    assert failed.returncode != 0
    assert "--ignore-missing" in failed.stderr
    cli("releases", "set-commits", "2.0", "--auto", "--ignore-missing")
    assert api_get(errata_server, token, release_path("2.0"))[1]["commitCount"] == 4

    # A version no sentry-cli can put in a URL (it replaces `/`), percent-encoded by others,
    # through the production server's own path decoding.
    Release.objects.create(organization=project.organization, version="feature/x y")
    status, body = api_get(errata_server, token, release_path("feature/x y"))
    assert (status, body["version"]) == (200, "feature/x y")
    status, body = api_get(errata_server, token, release_path("feature/nope"))
    assert status == 404 and body["detail"]


# --- The routes through the test client -----------------------------------------------------

@pytest.fixture
def api(client, user):
    token = make_token(user)
    headers = {"Authorization": f"Bearer {token}"}

    def call(method: str, path: str, body=None):
        if method == "get":
            return client.get(f"/api/0/{path}", headers=headers)
        return getattr(client, method)(f"/api/0/{path}", data=json.dumps(body),
                                       content_type="application/json", headers=headers)

    return call


def create(api, version: str, projects=("shop",), **fields):
    return api("post", "organizations/acme/releases/",
               {"version": version, "projects": list(projects), **fields})


@pytest.mark.django_db
def test_index_says_who_the_token_is(api, client):
    body = api("get", "").json()
    assert body["user"]["email"] == "alice@example.com"
    assert "project:releases" in body["auth"]["scopes"]
    assert client.get("/api/0/").json() == {"version": "0", "auth": None, "user": None}


@pytest.mark.django_db
def test_create_is_idempotent(api, project):
    make_project(project.organization, "Web", slug="web")
    first = create(api, "1.0", url="https://example.com/1.0")
    assert first.status_code == 201
    again = create(api, "1.0")
    assert again.status_code == 208
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["url"] == "https://example.com/1.0"
    more = create(api, "1.0", projects=("shop", "web"), dateReleased="2026-01-02T03:04:05Z")
    assert more.status_code == 201
    assert [p["slug"] for p in more.json()["projects"]] == ["shop", "web"]
    assert more.json()["dateReleased"] == "2026-01-02T03:04:05Z"
    assert Release.objects.filter(version="1.0").count() == 1
    by_id = create(api, "1.1", projects=(project.pk,))
    assert [p["slug"] for p in by_id.json()["projects"]] == ["shop"]


@pytest.mark.django_db
@pytest.mark.parametrize("version", ["a/b", "with space", "ünï©ødé 🚀", "v" * 200,
                                     "a/b/c/", "100%", "x?y#z", "shop@1.0+build.5"])
def test_odd_versions_work_in_urls(api, project, version):
    assert create(api, version).status_code == 201
    path = release_path(version)
    assert api("get", path).json()["version"] == version
    finalized = api("put", path, {"dateReleased": "2026-05-06T07:08:09Z"})
    assert finalized.json()["dateReleased"] == "2026-05-06T07:08:09Z"
    deploy = api("post", release_path(version, "deploys/"), {"environment": "production"})
    assert deploy.status_code == 201
    assert len(api("get", release_path(version, "deploys/")).json()) == 1
    assert api("get", release_path(version, "commits/")).json() == []
    assert api("delete", path).status_code == 204
    assert api("get", path).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("version", ["", " ", ".", "..", "a\nb", "tab\there", "v" * 201,
                                     "1.0/deploys", "1.0/commits"])
def test_invalid_versions(api, project, version):
    response = create(api, version)
    assert response.status_code == 400
    assert "version" in response.json()


@pytest.mark.django_db
def test_unknown_releases_and_projects(api, project):
    missing = api("get", release_path("nope"))
    assert missing.status_code == 404
    assert missing.json() == {"detail": "The requested resource does not exist"}
    for tail in ("commits/", "commitfiles/", "deploys/", "previous-with-commits/"):
        assert api("get", release_path("nope", tail)).status_code == 404
    assert api("put", release_path("nope"), {"dateReleased": None}).status_code == 404
    assert api("delete", release_path("nope")).status_code == 404
    unknown_project = create(api, "1.0", projects=("nosuch",))
    assert unknown_project.status_code == 400
    assert unknown_project.json() == {"detail": "Invalid project ids or slugs"}
    assert create(api, "1.0", projects=()).status_code == 400
    assert not Release.objects.exists()


@pytest.mark.django_db
def test_other_organizations_are_404(api, project):
    other = make_org("Globex", owner=make_user("bob"))
    vault = make_project(other, "Vault", slug="vault")
    secret = Release.objects.create(organization=other, version="secret-1")
    secret.projects.add(vault)
    # Same version in both organizations: each sees its own.
    Release.objects.create(organization=other, version="1.0")
    create(api, "1.0")

    for tail in ("", "commits/", "commitfiles/", "deploys/", "previous-with-commits/"):
        assert api("get", release_path("secret-1", tail)).status_code == 404
        assert api("get", f"organizations/globex/releases/secret-1/{tail}").status_code == 404
    assert api("put", "organizations/globex/releases/secret-1/",
               {"dateReleased": "2026-01-01T00:00:00Z"}).status_code == 404
    assert api("delete", "organizations/globex/releases/secret-1/").status_code == 404
    assert api("post", "organizations/globex/releases/secret-1/deploys/",
               {"environment": "production"}).status_code == 404
    assert api("get", "organizations/globex/releases/").status_code == 404
    assert api("post", "organizations/globex/releases/",
               {"version": "x", "projects": ["vault"]}).status_code == 404
    assert api("get", "organizations/globex/repos/").status_code == 404
    assert api("get", "projects/globex/vault/releases/").status_code == 404
    # Their project can't be named in ours either.
    assert create(api, "2.0", projects=("vault",)).status_code == 400
    assert [r["version"] for r in api("get", "organizations/acme/releases/").json()] == ["1.0"]
    secret.refresh_from_db()
    assert secret.date_released is None


@pytest.mark.django_db
def test_commits_as_sentry_cli_sends_them(api, project):
    create(api, "1.0")
    commit = {"id": "a" * 40, "repository": "origin", "author_name": "Ada",
              "author_email": "ada@example.com", "message": "Fix\n",
              "timestamp": "2026-03-01T10:00:00+02:00",
              "patch_set": [{"path": "a.py", "type": "M"}, {"path": "b.py", "type": "T"}]}
    older = {**commit, "id": "b" * 40, "author_name": "Bob", "author_email": "bob@example.com",
             "patch_set": [{"path": "a.py", "type": "A"}]}
    response = api("put", release_path("1.0"), {"commits": [commit, older]})
    assert response.status_code == 200
    body = response.json()
    assert body["commitCount"] == 2
    assert body["lastCommit"]["id"] == "a" * 40
    assert [a["name"] for a in body["authors"]] == ["Ada", "Bob"]
    files = api("get", release_path("1.0", "commitfiles/")).json()
    assert [(f["filename"], f["type"], f["repoName"]) for f in files] == [
        ("a.py", "M", "origin"), ("b.py", "M", "origin"), ("a.py", "A", "origin")]
    # Setting commits again replaces them; the commits themselves are kept once.
    api("put", release_path("1.0"), {"commits": [commit]})
    assert api("get", release_path("1.0")).json()["commitCount"] == 1
    assert Commit.objects.count() == 2

    create(api, "2.0")
    previous = api("get", release_path("2.0", "previous-with-commits/")).json()
    assert previous["version"] == "1.0"
    assert previous["lastCommit"]["id"] == "a" * 40
    assert api("get", release_path("1.0", "previous-with-commits/")).json() == {}

    bad_ref = api("put", release_path("2.0"), {"refs": [{"repository": "nope",
                                                         "commit": "c" * 40}]})
    assert bad_ref.status_code == 400
    assert "nope" in bad_ref.json()["refs"][0]
    assert api("put", release_path("2.0"), {"refs": []}).status_code == 200


@pytest.mark.django_db
def test_deploys(api, project):
    make_project(project.organization, "Web", slug="web")
    create(api, "1.0")
    response = api("post", release_path("1.0", "deploys/"), {
        "environment": "production", "name": "blue", "url": "https://ci.example.com/1",
        "dateStarted": "2026-01-01T10:00:00Z", "dateFinished": "2026-01-01T10:05:00Z"})
    assert response.status_code == 201
    assert response.json() == {
        "id": response.json()["id"], "environment": "production", "name": "blue",
        "url": "https://ci.example.com/1", "dateStarted": "2026-01-01T10:00:00Z",
        "dateFinished": "2026-01-01T10:05:00Z"}
    assert project.environments.filter(name="production").exists()
    assert api("post", release_path("1.0", "deploys/"), {
        "environment": "staging", "projects": ["web"]}).status_code == 400
    assert api("post", release_path("1.0", "deploys/"), {}).status_code == 400
    assert api("post", release_path("1.0", "deploys/"),
               {"environment": "a/b"}).status_code == 400


@pytest.mark.django_db
def test_delete_refused_while_issues_use_the_release(api, project):
    create(api, "1.0")
    make_issue(project, first_release=Release.objects.get(version="1.0"))
    response = api("delete", release_path("1.0"))
    assert response.status_code == 400
    assert "referenced by active issues" in response.json()["detail"]
    assert api("get", release_path("1.0")).json()["newGroups"] == 1


@pytest.mark.django_db
def test_archiving_is_refused_not_ignored(api, project):
    create(api, "1.0")
    response = api("put", release_path("1.0"), {"status": "archived"})
    assert response.status_code == 400
    assert "not supported" in response.json()["status"][0]
    assert api("put", release_path("1.0"), {"status": "open"}).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(("commits", "field"), [
    ("not a list", "commits"),
    ([{"repository": "origin"}], "id"),
    ([{"id": "a" * 65}], "id"),
    ([{"id": "a" * 40, "timestamp": "yesterday"}], "timestamp"),
    ([{"id": "a" * 40, "patch_set": [{"type": "M"}]}], "path"),
    ([{"id": "a" * 40, "patch_set": "a.py"}], "patch_set"),
    ([{"id": "a" * 40, "author_email": "x" * 201}], "author_email"),
])
def test_malformed_commits_are_refused_by_field(api, project, commits, field):
    create(api, "1.0")
    response = api("put", release_path("1.0"), {"commits": commits})
    assert response.status_code == 400
    assert list(response.json()) == ["commits"]
    assert field in json.dumps(response.json())
    assert not Commit.objects.exists()


@pytest.mark.django_db
def test_malformed_refs_are_refused_by_field(api, project):
    create(api, "1.0")
    response = api("put", release_path("1.0"), {"refs": [{"repository": "origin"}]})
    assert response.status_code == 400
    assert response.json() == {"refs": {"0": {"commit": ["This field is required."]}}}


@pytest.mark.django_db
def test_a_commit_of_ten_thousand_files(api, project, django_assert_max_num_queries):
    create(api, "1.0")
    files = [{"path": f"src/module_{i}/file_{i}.py", "type": "AMD"[i % 3]}
             for i in range(10_000)]
    commit = {"id": "a" * 40, "repository": "origin", "author_name": "Ada",
              "author_email": "ada@example.com", "message": "Big merge", "patch_set": files}
    # Batched statements: the number of queries doesn't grow with the files.
    with django_assert_max_num_queries(40):
        response = api("put", release_path("1.0"), {"commits": [commit]})
    assert response.status_code == 200
    assert response.json()["commitCount"] == 1
    stored = Commit.objects.get().file_changes
    assert stored.count() == 10_000
    assert stored.filter(type="D").count() == 3333
    # Sent again (a retried CI step), the files are replaced, not doubled.
    assert api("put", release_path("1.0"), {"commits": [commit]}).status_code == 200
    assert Commit.objects.get().file_changes.count() == 10_000


@pytest.mark.django_db
def test_too_many_files_in_one_request(api, project, monkeypatch):
    from tracker.api import release_serializers
    monkeypatch.setattr(release_serializers, "MAX_FILES", 10)
    create(api, "1.0")
    commits = [{"id": f"{i:040x}", "patch_set": [{"path": f"f{j}.py", "type": "M"}
                                                  for j in range(6)]} for i in range(2)]
    response = api("put", release_path("1.0"), {"commits": commits})
    assert response.status_code == 400
    assert "At most 10 changed files" in response.json()["commits"][0]
    monkeypatch.setattr(release_serializers, "MAX_COMMITS", 1)
    assert api("put", release_path("1.0"), {"commits": commits[:1]}).status_code == 200


@pytest.mark.django_db
def test_a_body_too_large_is_refused_clearly(api, project, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    create(api, "1.0")
    response = api("put", release_path("1.0"), {"commits": [
        {"id": f"{i:040x}", "message": "x" * 100} for i in range(20)]})
    assert response.status_code in (400, 413)
    assert response.json()["detail"]
