"""The finish of a chunked night shared by the workers (reservations.nightly.finish): the families
cut into disjoint ranges covering every id, one report task per range, the posting beside them;
the same end as the serial run, one e-mail per family, each part recorded once, the run finished
by its last part; while a worker holds its share of the night's lock no serial run, new night or
watchdog starts in the middle, and once it is dead the watchdog writes what it left."""
import datetime
import threading
from collections import Counter

import pytest
from django.db import connections, transaction
from django.utils import timezone

from accounts.models import Family
from accounts.tests.factories import FamilyFactory
from notifications.models import OutboxEmail
from reservations.locking import ADVISORY_LOCK_CLASS
from reservations.models import Reservation, TransmissionRun
from reservations.nightly.finish import FAMILY_ID_MAX, family_ranges, finish_start
from reservations.nightly.run import TransmissionBusy, chunk_settle, transmission_chunks_plan, transmission_run
from reservations.nightly.tasks import finish_run, nightly_transmission, write_report_range
from reservations.nightly.watchdog import watchdog_sweep
from reservations.tests.nightly.test_transmission_chunks import build_world, outcome
from reservations.tests.transmission_helpers import night_lock_gone

State = Reservation.State


class _Rollback(Exception):
    pass


def serial_outcome(structure) -> dict:
    try:
        with transaction.atomic():
            raise _Rollback(outcome(transmission_run(structure=structure, now=timezone.now())))
    except _Rollback as result:
        return result.args[0]


def settled_chunks(structure, *, chunk_size=4) -> TransmissionRun:
    """A chunked run whose chunks are all settled and recorded, its finish not started."""
    run, chunks = transmission_chunks_plan(structure=structure, now=timezone.now(), chunk_size=chunk_size)
    for index, ids in enumerate(chunks):
        chunk_settle(run_id=run.pk, chunk_index=index, occurrence_ids=ids)
    run.refresh_from_db()
    return run


@pytest.mark.django_db
def test_the_ranges_cover_every_family_id_once_in_groups_of_the_size_given():
    structure = build_world()
    FamilyFactory()   # another structure's family: not counted in the ranges' sizes
    ids = sorted(Family.objects.filter(structure=structure).values_list("pk", flat=True))

    ranges = family_ranges(structure_id=structure.pk, size=4)

    assert ranges == [[0, ids[4] - 1], [ids[4], FAMILY_ID_MAX]]
    assert family_ranges(structure_id=structure.pk, size=6) == [[0, FAMILY_ID_MAX]]
    three = family_ranges(structure_id=structure.pk, size=2)
    assert [sum(first <= pk <= last for pk in ids) for first, last in three] == [2, 2, 2]
    assert all(three[n][1] + 1 == three[n + 1][0] for n in range(2))   # no gap, no overlap


@pytest.mark.django_db
def test_reports_written_by_ranges_end_as_the_serial_night(settings, django_capture_on_commit_callbacks):
    structure = build_world()
    expected = serial_outcome(structure)
    settings.TRANSMISSION_FAN_OUT = "chunks"
    settings.TRANSMISSION_CHUNK_SIZE = 3
    settings.TRANSMISSION_REPORT_FAMILIES = 2

    with django_capture_on_commit_callbacks(execute=True):
        nightly_transmission()

    run = TransmissionRun.objects.get()
    assert run.status == TransmissionRun.Status.FINISHED and run.posting_done
    assert len(run.report_ranges) == 3 and sorted(run.report_ranges_done) == [0, 1, 2]
    assert outcome(run) == expected
    assert set(Counter(OutboxEmail.objects.values_list("family_id", flat=True)).values()) == {1}


@pytest.mark.django_db
def test_redelivered_parts_change_nothing_and_the_last_part_finishes_the_run(settings, django_capture_on_commit_callbacks):
    structure = build_world()
    expected = serial_outcome(structure)
    settings.TRANSMISSION_REPORT_FAMILIES = 3
    run = settled_chunks(structure)

    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert finish_run(run.pk) == {"run": run.pk, "finished": False}   # plans, posts; the ranges are queued
    run.refresh_from_db()
    assert len(run.report_ranges) == 2 and run.posting_done and run.report_ranges_done == []
    assert len(queued) == 2 and not OutboxEmail.objects.exists()
    ranges = run.report_ranges

    with django_capture_on_commit_callbacks(execute=False) as again:
        assert finish_run(run.pk) == {"run": run.pk, "finished": False}   # redelivered: nothing planned again
    run.refresh_from_db()
    assert again == [] and run.report_ranges == ranges

    assert write_report_range(run.pk, 1) == {"run": run.pk, "finished": False}
    written = sorted(OutboxEmail.objects.values_list("pk", "family_id"))
    assert len(written) == 3
    assert write_report_range(run.pk, 1) == {"run": run.pk, "finished": False}   # redelivered
    assert sorted(OutboxEmail.objects.values_list("pk", "family_id")) == written

    result = write_report_range(run.pk, 0)
    assert result["finished"] is True and result["emails_queued"] == 6
    run.refresh_from_db()
    assert run.status == TransmissionRun.Status.FINISHED and sorted(run.report_ranges_done) == [0, 1]
    assert outcome(run) == expected
    finished_at = run.finished_at
    assert write_report_range(run.pk, 0)["skipped"] and finish_run(run.pk)["skipped"]
    run.refresh_from_db()
    assert run.finished_at == finished_at and OutboxEmail.objects.count() == 6


def _hold_share(structure_id, holding: threading.Event, release: threading.Event) -> None:
    """A worker writing a range: its own session holds the night's lock shared."""
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock_shared(%s, %s)", [ADVISORY_LOCK_CLASS, structure_id])
            holding.set()
            release.wait(timeout=20)
    finally:
        connections["default"].close()


@pytest.mark.django_db(transaction=True)
def test_while_a_range_is_written_no_serial_run_starts_and_the_watchdog_waits_then_finishes_it(settings):
    settings.TRANSMISSION_STALL_SECONDS = 60
    settings.TRANSMISSION_REPORT_FAMILIES = 3
    structure = build_world()
    expected = serial_outcome(structure)
    run = settled_chunks(structure)
    # The finish started (ranges planned, consumptions posted), range 0 written; range 1's worker
    # is on it — then silent for a long time.
    assert finish_start(run_id=run.pk, now=timezone.now(), queue=lambda run_id, index: None) is None
    write_report_range(run.pk, 0)
    TransmissionRun.objects.filter(pk=run.pk).update(progress_at=timezone.now() - datetime.timedelta(seconds=61))
    holding, release = threading.Event(), threading.Event()
    thread = threading.Thread(target=_hold_share, args=(structure.pk, holding, release))
    thread.start()
    try:
        assert holding.wait(timeout=10)
        with pytest.raises(TransmissionBusy):
            transmission_run(structure=structure, now=timezone.now())
        with pytest.raises(TransmissionBusy):
            transmission_chunks_plan(structure=structure, now=timezone.now(), chunk_size=4)
        assert watchdog_sweep(now=timezone.now()) == []   # a live worker holds its share: a slow one
        run.refresh_from_db()
        assert run.status == TransmissionRun.Status.RUNNING and run.report_ranges_done == [0]
    finally:
        release.set()
        thread.join()
    night_lock_gone(structure.pk)

    assert watchdog_sweep(now=timezone.now()) == [run.pk]   # its worker is gone: range 1 is written here

    run.refresh_from_db()
    assert run.status == TransmissionRun.Status.FINISHED and sorted(run.report_ranges_done) == [0, 1]
    assert outcome(run) == expected
    assert TransmissionRun.objects.count() == 1 and not Reservation.objects.filter(state=State.NOT_TRANSMITTED).exists()
