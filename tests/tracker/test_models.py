import threading
import uuid
from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, close_old_connections, connection, transaction

from tests.factories import make_event, make_issue, make_project
from tracker.models import Event, IssueHash, Project
from tracker.models.issues import base32


def test_issue_hash_is_unique_per_project(project):
    IssueHash.objects.create(project=project, hash="a" * 32)
    other = make_project(project.organization)
    IssueHash.objects.create(project=other, hash="a" * 32)  # same hash, other project: fine
    with pytest.raises(IntegrityError), transaction.atomic():
        IssueHash.objects.create(project=project, hash="a" * 32)


def test_event_id_is_unique_per_project(project):
    issue = make_issue(project)
    event_id = uuid.uuid4()
    make_event(issue, event_id=event_id)
    other_issue = make_issue(make_project(project.organization))
    make_event(other_issue, event_id=event_id)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_event(issue, event_id=event_id)
    assert Event.objects.filter(event_id=event_id).count() == 2


def test_short_ids_count_up_per_project(project):
    other = make_project(project.organization)
    assert [project.next_short_id() for _ in range(3)] == [1, 2, 3]
    assert other.next_short_id() == 1


@pytest.mark.parametrize(
    ("number", "text"), [(0, "0"), (1, "1"), (31, "Z"), (32, "10"), (42, "1A"), (1024, "100")]
)
def test_short_id_text_is_crockford_base32(number, text):
    assert base32(number) == text


def test_qualified_short_id(project):
    issue = make_issue(project, now=datetime(2026, 1, 1, tzinfo=UTC))
    assert issue.qualified_short_id == "SHOP-1"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_short_ids_stay_unique_under_concurrent_creation(org):
    project = make_project(org)
    results: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def create_issues():
        try:
            barrier.wait()
            for _ in range(10):
                results.append(make_issue(Project.objects.get(pk=project.pk)).short_id)
        except BaseException as e:  # surfaced below; a thread must not swallow it
            errors.append(e)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=create_issues) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(results) == list(range(1, 81))
