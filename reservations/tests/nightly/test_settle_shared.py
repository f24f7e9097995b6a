"""A structure's days settled on two connections at once (TRANSMISSION_SETTLE_CONNECTIONS, issue 16)
end as the same days settled one after the other; an error in either thread fails the run, which
the next one finishes; the helper's connection does not outlive the night."""
import threading
import time

import pytest
from django.db import connection
from django.utils import timezone

from reservations.models import TransmissionRun
from reservations.nightly import settle
from reservations.nightly.figures import LABELS
from reservations.nightly.run import transmission_run

from .test_run_figures import PER_TRANSACTION, build_world, end_state, uninterrupted

pytestmark = pytest.mark.django_db(transaction=True)   # each batch commits: the other connection sees it


def other_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND pid <> pg_backend_pid()")
        return cursor.fetchone()[0]


@pytest.fixture
def batches_seen(monkeypatch):
    """Which connection (server process) settled each batch, read at the settling's own hook."""
    seen = []

    def record(phase, *, occurrences):
        if phase == "batch_written":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                seen.append((threading.current_thread().name, cursor.fetchone()[0]))

    monkeypatch.setattr(settle, "checkpoint", record)
    return seen


def test_days_settled_on_two_connections_end_as_one_after_the_other(settings, batches_seen):
    structure = build_world()
    expected_counts, expected_state = uninterrupted(structure)   # inside a transaction: one connection
    assert len(batches_seen) == 4 and len({pid for _thread, pid in batches_seen}) == 1   # 7 days, 2 a batch
    batches_seen.clear()
    before = other_connections()
    settings.TRANSMISSION_SETTLE_CONNECTIONS = 2

    run = transmission_run(structure=structure, now=timezone.now(), per_transaction=PER_TRANSACTION)

    assert len(batches_seen) == 4 and len({pid for _thread, pid in batches_seen}) == 2
    assert run.status == TransmissionRun.Status.FINISHED
    assert run.counts == expected_counts
    assert end_state() == expected_state
    deadline = time.monotonic() + 5   # the server ends a closed connection's process a moment later
    while other_connections() > before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert other_connections() == before


def test_an_error_in_one_thread_fails_the_run_and_the_next_run_finishes_the_night(settings, monkeypatch):
    structure = build_world()
    expected_counts, expected_state = uninterrupted(structure)
    settings.TRANSMISSION_SETTLE_CONNECTIONS = 2
    original = settle.batch_settle
    calls = []

    def failing_second_batch(**kwargs):
        calls.append(threading.current_thread().name)
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return original(**kwargs)

    monkeypatch.setattr(settle, "batch_settle", failing_second_batch)

    with pytest.raises(RuntimeError, match="went away"):
        transmission_run(structure=structure, now=timezone.now(), per_transaction=PER_TRANSACTION)

    failed = TransmissionRun.objects.get()
    assert failed.status == TransmissionRun.Status.FAILED
    assert len(calls) < 4   # of the 4 batches: the sharing stopped at the error
    monkeypatch.setattr(settle, "batch_settle", original)
    rerun = transmission_run(structure=structure, now=timezone.now(), per_transaction=PER_TRANSACTION)
    assert rerun.status == TransmissionRun.Status.FINISHED
    assert end_state() == expected_state
    assert {key: failed.counts.get(key, 0) + rerun.counts.get(key, 0) for key in LABELS} == {
        key: expected_counts.get(key, 0) for key in LABELS}
