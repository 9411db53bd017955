"""Leases on inbox rows: short, renewed while a batch runs, taken over once they expire."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from ingest.digest import batch
from ingest.inbox import claim
from ingest.models import InboxItem
from tests.ingest.helpers import event_envelope, exception_event, post
from tracker.models import Event

pytestmark = pytest.mark.django_db(transaction=True)


def send(client, project, n: int) -> None:
    for i in range(n):
        response = post(client, project, event_envelope(exception_event(value=f"v{i}")))
        assert response.status_code == 200


def leases() -> list:
    return list(InboxItem.objects.order_by("id").values_list("claimed_until", flat=True))


def test_the_lease_is_short():
    # A dead worker's rows wait this long; a live batch renews its lease (below).
    assert claim.LEASE.total_seconds() <= 30


def test_renew_extends_a_lease_half_gone(client, project):
    send(client, project, 2)
    items = claim.claim(10)
    soon = timezone.now() + claim.LEASE / 4  # as if the batch had run for a while
    InboxItem.objects.update(claimed_until=soon)
    for item in items:
        item.claimed_until = soon
    before = timezone.now()
    claim.renew(items)
    for until in leases():
        assert until >= before + claim.LEASE - timedelta(seconds=1)
    assert all(item.claimed_until == until for item, until in zip(items, leases(), strict=True))


def test_renew_costs_nothing_while_the_lease_is_young(client, project,
                                                      django_assert_num_queries):
    send(client, project, 2)
    items = claim.claim(10)
    held = leases()
    with django_assert_num_queries(0):
        claim.renew(items)
    assert leases() == held


def test_renew_leaves_rows_another_worker_took(client, project):
    send(client, project, 2)
    items = claim.claim(10)
    soon = timezone.now() + claim.LEASE / 4
    for item in items:
        item.claimed_until = soon
    # Our lease ran out and another worker claimed the first row: its lease is not ours.
    theirs = timezone.now() + claim.LEASE + timedelta(seconds=5)
    InboxItem.objects.filter(pk=items[0].pk).update(claimed_until=theirs)
    InboxItem.objects.filter(pk=items[1].pk).update(claimed_until=soon)
    claim.renew(items)
    first, second = leases()
    assert first == theirs
    assert second > soon


def test_a_live_lease_is_kept_and_an_expired_one_is_taken_over(client, project):
    send(client, project, 2)
    first = claim.claim(10)
    assert len(first) == 2
    assert claim.claim(10) == []  # leased: no other worker gets them
    # The worker died: once its lease runs out, any worker takes the rows over.
    InboxItem.objects.update(claimed_until=timezone.now() - timedelta(seconds=1))
    again = claim.claim(10)
    assert [i.pk for i in again] == [i.pk for i in first]
    assert all(i.attempts == 2 for i in again)


def test_a_batch_running_past_its_lease_keeps_its_rows(client, project, monkeypatch):
    send(client, project, 2)
    monkeypatch.setattr(claim, "LEASE", timedelta(seconds=1))
    slow_prepare = batch.prepare

    def prepare(item, project):
        time.sleep(0.6)  # two events: the batch outlives its first lease
        return slow_prepare(item, project)

    taken = []
    link_releases = batch._link_releases

    def another_worker_looks(events):
        taken.extend(claim.claim(10))
        return link_releases(events)

    monkeypatch.setattr(batch, "prepare", prepare)
    monkeypatch.setattr(batch, "_link_releases", another_worker_looks)
    assert batch.digest_batch() == 2
    assert taken == []
    assert Event.objects.count() == 2
    assert not InboxItem.objects.exists()
