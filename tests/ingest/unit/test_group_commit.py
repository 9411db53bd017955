"""Group commit: concurrent submitters share writes, each hears about its own item."""

import threading
import time

import pytest

from ingest.group_commit import GroupCommit


class Recorder:
    def __init__(self, *, delay=0.0, refuse=(), explode_once=False):
        self.batches: list[list] = []
        self.delay = delay
        self.refuse = set(refuse)
        self.explode_once = explode_once
        self.lock = threading.Lock()

    def write(self, items):
        time.sleep(self.delay)  # a commit takes time: others queue meanwhile
        with self.lock:
            if self.explode_once:
                self.explode_once = False
                raise ConnectionError("database went away")
            self.batches.append(list(items))
        return [ValueError(f"refused {i}") if i in self.refuse else None for i in items]


def submit_all(group, items):
    errors = {}

    def run(item):
        try:
            group.submit(item)
        except Exception as e:
            errors[item] = e

    threads = [threading.Thread(target=run, args=(i,)) for i in items]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert not any(t.is_alive() for t in threads), "a submitter never returned"
    return errors


def test_alone_a_request_writes_its_own_item():
    recorder = Recorder()
    GroupCommit(recorder.write).submit("a")
    assert recorder.batches == [["a"]]


def test_concurrent_items_are_written_once_in_fewer_writes():
    recorder = Recorder(delay=0.01)
    errors = submit_all(GroupCommit(recorder.write, max_batch=8), range(40))
    assert errors == {}
    written = [i for batch in recorder.batches for i in batch]
    assert sorted(written) == list(range(40))
    assert len(recorder.batches) < 40
    assert max(len(b) for b in recorder.batches) <= 8


def test_a_refused_item_fails_its_own_request_only():
    recorder = Recorder(delay=0.005, refuse={7})
    errors = submit_all(GroupCommit(recorder.write), range(20))
    assert list(errors) == [7]
    assert isinstance(errors[7], ValueError)


def test_a_failed_write_fails_its_batch_and_the_next_ones_go_on():
    recorder = Recorder(delay=0.005, explode_once=True)
    group = GroupCommit(recorder.write)
    errors = submit_all(group, range(20))
    assert errors, "the first batch hears about the failure"
    assert all(isinstance(e, ConnectionError) for e in errors.values())
    written = {i for batch in recorder.batches for i in batch}
    assert written | set(errors) == set(range(20))
    group.submit("later")  # the lead was handed on: nothing is stuck
    assert recorder.batches[-1] == ["later"]


def test_after_runs_once_per_successful_write():
    recorder = Recorder()
    calls = []
    group = GroupCommit(recorder.write, after=lambda: calls.append(1))
    group.submit("a")
    group.submit("b")
    assert len(calls) == 2


def test_errors_reach_the_caller():
    group = GroupCommit(lambda items: [KeyError("x") for _ in items])
    with pytest.raises(KeyError):
        group.submit("a")
