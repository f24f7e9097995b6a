"""The watchdog finishes a night whose work stopped: the chunks a dead worker left are settled
and the run finished, exactly as an uninterrupted night; a serial run whose process died is
run again; a run whose process is alive is left alone; sweeping twice changes nothing."""
import datetime
import threading

import pytest
from django.db import connections, transaction
from django.utils import timezone

from reservations.locking import ADVISORY_LOCK_CLASS
from reservations.models import Reservation, TransmissionRun
from reservations.nightly.run import chunk_settle, transmission_chunks_plan, transmission_run
from reservations.nightly.settle import occurrences_settle
from reservations.nightly.tasks import transmission_watchdog, transmit_chunk
from reservations.nightly.watchdog import watchdog_sweep
from reservations.tests.nightly.test_transmission_chunks import build_world, outcome
from reservations.tests.transmission_helpers import night_lock_gone

State = Reservation.State
pytestmark = pytest.mark.django_db(transaction=True)


class _Rollback(Exception):
    pass


def serial_outcome(structure):
    try:
        with transaction.atomic():
            raise _Rollback(outcome(transmission_run(structure=structure, now=timezone.now())))
    except _Rollback as result:
        return result.args[0]


def fall_silent(run, *, seconds):
    TransmissionRun.objects.filter(pk=run.pk).update(progress_at=timezone.now() - datetime.timedelta(seconds=seconds))


def test_a_chunked_night_whose_worker_died_mid_chunk_is_finished_like_an_uninterrupted_one(settings, caplog):
    settings.TRANSMISSION_STALL_SECONDS = 60
    structure = build_world()
    expected = serial_outcome(structure)
    run, chunks = transmission_chunks_plan(structure=structure, now=timezone.now(), chunk_size=3)
    assert len(chunks) == 3
    transmit_chunk(run.pk, 0, chunks[0])
    # Chunk 1's worker was killed after committing its first day: never recorded as done.
    occurrences_settle(run=run, occurrence_ids=chunks[1][:1], per_transaction=1)
    transmit_chunk(run.pk, 2, chunks[2])
    run.refresh_from_db()
    assert run.status == TransmissionRun.Status.RUNNING and sorted(run.chunks_done) == [0, 2]

    assert watchdog_sweep(now=timezone.now()) == []   # still within its stall time: a slow worker, maybe
    fall_silent(run, seconds=61)
    assert transmission_watchdog() == [run.pk]

    run.refresh_from_db()
    assert run.status == TransmissionRun.Status.FINISHED and sorted(run.chunks_done) == [0, 1, 2]
    assert outcome(run) == expected
    assert f"transmission watchdog: run {run.pk} of carteville made no progress since" in caplog.text
    assert f"transmission watchdog: run {run.pk} of carteville finished" in caplog.text

    finished_at = run.finished_at
    assert watchdog_sweep(now=timezone.now() + datetime.timedelta(hours=1)) == []
    run.refresh_from_db()
    assert run.finished_at == finished_at and outcome(run) == expected


def test_a_chunked_night_whose_finish_was_lost_is_finished(settings):
    settings.TRANSMISSION_STALL_SECONDS = 60
    structure = build_world()
    expected = serial_outcome(structure)
    run, chunks = transmission_chunks_plan(structure=structure, now=timezone.now(), chunk_size=4)
    # Every chunk settled and recorded, but the finish task died with its worker.
    assert [chunk_settle(run_id=run.pk, chunk_index=index, occurrence_ids=ids) for index, ids in enumerate(chunks)] == [
        False, True]
    fall_silent(run, seconds=61)

    assert watchdog_sweep(now=timezone.now()) == [run.pk]

    run.refresh_from_db()
    assert run.status == TransmissionRun.Status.FINISHED and outcome(run) == expected


def test_a_serial_run_is_left_alone_while_its_process_holds_the_lock_and_rerun_once_it_is_gone(settings):
    settings.TRANSMISSION_STALL_SECONDS = 60
    structure = build_world()
    expected = serial_outcome(structure)
    # What a serial run's process leaves when it dies before settling anything: a RUNNING row.
    dead = TransmissionRun.objects.create(structure=structure)
    fall_silent(dead, seconds=3600)
    holding, release = threading.Event(), threading.Event()

    def live_process():   # the run's own session, still holding the structure's night lock
        try:
            with connections["default"].cursor() as cursor:
                cursor.execute("SELECT pg_advisory_lock(%s, %s)", [ADVISORY_LOCK_CLASS, structure.pk])
                holding.set()
                release.wait(timeout=20)
        finally:
            connections["default"].close()   # the session ends: PostgreSQL drops its lock

    thread = threading.Thread(target=live_process)
    thread.start()
    try:
        assert holding.wait(timeout=10)
        assert watchdog_sweep(now=timezone.now()) == []
        dead.refresh_from_db()
        assert dead.status == TransmissionRun.Status.RUNNING
    finally:
        release.set()
        thread.join()
    night_lock_gone(structure.pk)

    assert watchdog_sweep(now=timezone.now()) == [dead.pk]

    dead.refresh_from_db()
    rerun = TransmissionRun.objects.get(status=TransmissionRun.Status.FINISHED)
    assert dead.status == TransmissionRun.Status.FAILED and dead.taken_over_by == rerun
    assert outcome(rerun) == expected
    assert not Reservation.objects.filter(state=State.NOT_TRANSMITTED).exists()
