"""Project settings: origins, crash-report limit, quotas, grouping rules, discarded issues."""

import pytest

from tests.factories import make_issue, make_member, make_user
from tracker.discards import discard_issues
from tracker.models import DiscardedFingerprint, IssueHash, Member

pytestmark = pytest.mark.django_db


def _url(project, suffix=""):
    return f"/{project.organization.slug}/{project.slug}/settings/{suffix}"


@pytest.fixture
def owner_client(client, user):
    client.force_login(user)
    return client


def test_general_page_shows_current_values(owner_client, project):
    project.allowed_origins = "https://shop.example.com"
    project.save()
    html = owner_client.get(_url(project)).content.decode()
    assert "https://shop.example.com" in html
    assert "Send a sample event" in html


def test_save_allowed_origins(owner_client, project):
    response = owner_client.post(_url(project), {
        "section": "origins",
        "allowed_origins": " https://a.example.com \r\n\r\n*.example.org\nlocalhost:8000\n"})
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.allowed_origins == "https://a.example.com\n*.example.org\nlocalhost:8000"


def test_invalid_origin_is_refused(owner_client, project):
    response = owner_client.post(_url(project), {
        "section": "origins", "allowed_origins": "https://ok.example.com\nnot an origin"})
    assert response.status_code == 200
    assert "Not an origin: not an origin" in response.content.decode()
    project.refresh_from_db()
    assert project.allowed_origins == "*"


@pytest.mark.parametrize(("data", "expected"), [
    ({"mode": "inherit"}, None),
    ({"mode": "all"}, -1),
    ({"mode": "none"}, 0),
    ({"mode": "limit", "limit": "5"}, 5),
])
def test_crash_report_limit(owner_client, project, data, expected):
    project.crash_report_limit = 3
    project.save()
    response = owner_client.post(_url(project), {"section": "crash_reports", **data})
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.crash_report_limit == expected


def test_crash_report_limit_needs_a_number(owner_client, project):
    response = owner_client.post(_url(project), {"section": "crash_reports", "mode": "limit"})
    assert response.status_code == 200
    assert "Say how many crash reports" in response.content.decode()
    project.refresh_from_db()
    assert project.crash_report_limit is None


def test_quotas(owner_client, project):
    owner_client.post(_url(project), {"section": "quotas", "monthly_error_quota": "1000",
                                      "monthly_attachment_quota": ""})
    project.refresh_from_db()
    assert (project.monthly_error_quota, project.monthly_attachment_quota) == (1000, None)


def test_unknown_section_is_a_bad_request(owner_client, project):
    assert owner_client.post(_url(project), {"section": "name"}).status_code == 400


def test_save_valid_grouping_rules(owner_client, project):
    response = owner_client.post(_url(project, "grouping/"), {
        "fingerprint_rules": "error.type:DatabaseError -> database-error",
        "enhancement_rules": "stack.module:shop.* +app"})
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.fingerprint_rules == "error.type:DatabaseError -> database-error"
    assert project.enhancement_rules == "stack.module:shop.* +app"


def test_invalid_rules_show_line_and_message_and_are_not_saved(owner_client, project):
    response = owner_client.post(_url(project, "grouping/"), {
        "fingerprint_rules": "# comment\nerror.type:A -> a\n<b>bogus</b>",
        "enhancement_rules": "stack.module:x +app\nnope:1 +app"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Line 3: expected &#x27;-&gt;&#x27; between the matchers" in html
    assert "Line 2: unknown matcher &#x27;nope&#x27;" in html
    # The submitted text is shown back, escaped.
    assert "&lt;b&gt;bogus&lt;/b&gt;" in html and "<b>bogus</b>" not in html
    project.refresh_from_db()
    assert project.fingerprint_rules == project.enhancement_rules == ""


def test_member_sees_settings_read_only(client, project):
    member = make_member(project.organization, make_user("mo"), Member.Role.MEMBER)
    client.force_login(member.user)
    html = client.get(_url(project)).content.decode()
    assert "owners and admins" in html
    assert "disabled" in html and "Save origins" not in html
    assert client.post(_url(project), {"section": "origins", "allowed_origins": "x.com"}) \
        .status_code == 403
    assert client.post(_url(project, "grouping/"), {"fingerprint_rules": ""}).status_code == 403
    assert client.post(_url(project, "sample-event/")).status_code == 403


def _discarded(project, user, title="KeyError: 'x'"):
    issue = make_issue(project, title)
    IssueHash.objects.create(project=project, hash=f"{issue.pk:032x}", issue=issue)
    [fp] = discard_issues([issue], user)
    return fp


def test_discarded_list_and_undo(owner_client, project, user):
    fp = _discarded(project, user)
    DiscardedFingerprint.objects.filter(pk=fp.pk).update(times_seen=12)
    html = owner_client.get(_url(project, "discarded/")).content.decode()
    assert "KeyError: &#x27;x&#x27;" in html
    assert ">12<" in html
    assert fp.previous_short_id in html

    response = owner_client.post(_url(project, f"discarded/{fp.pk}/undo/"), follow=True)
    assert response.status_code == 200
    assert not DiscardedFingerprint.objects.exists()
    assert not IssueHash.objects.exists()
    assert "No longer discarding" in response.content.decode()


def test_undo_with_htmx_removes_the_row(owner_client, project, user):
    fp = _discarded(project, user)
    response = owner_client.post(_url(project, f"discarded/{fp.pk}/undo/"),
                                 headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.content == b""
    assert not DiscardedFingerprint.objects.exists()


def test_member_cannot_undo(client, project, user):
    fp = _discarded(project, user)
    member = make_member(project.organization, make_user("mo"), Member.Role.MEMBER)
    client.force_login(member.user)
    assert client.get(_url(project, "discarded/")).status_code == 200
    assert client.post(_url(project, f"discarded/{fp.pk}/undo/")).status_code == 403
    assert DiscardedFingerprint.objects.exists()
