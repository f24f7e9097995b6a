"""The chunked night (TRANSMISSION_FAN_OUT="chunks"): a structure's occurrences settled by
several chunk tasks give exactly what the serial run gives; a redelivered chunk changes
nothing; two chunks settled at the same moment are both recorded, and the run finishes once."""
import threading
from collections import Counter

import pytest
from django.db import connection, transaction
from django.db.models.signals import pre_save
from django.utils import timezone

from accounts.tests.factories import ChildFactory, FamilyFactory, StructureFactory
from billing.models import Consumption
from notifications.models import OutboxEmail
from reservations.models import Reservation, ReservationEvent, TransmissionRun
from reservations.nightly.figures import run_figures
from reservations.nightly.run import transmission_chunks_plan, transmission_run
from reservations.nightly.tasks import finish_run, nightly_transmission, transmit_chunk
from reservations.tests.factories import ActivityFactory
from reservations.tests.transmission_helpers import cancel_request, future_day, request, settled

State = Reservation.State
DAYS = 7


def build_world():
    """Seven limited days (2 places, 2 waiting: accepted, waiting list, refused, a cancellation
    every third day), one day of an activity validated by staff, one past day to post."""
    structure = StructureFactory(name="Mairie de CarteVille", slug="carteville")
    activity = ActivityFactory(structure=structure, limited_places=True)
    decided = ActivityFactory(structure=structure, limited_places=True, needs_staff_decision=True)
    kids = [ChildFactory(family=FamilyFactory(structure=structure)) for _ in range(6)]
    for number in range(DAYS):
        day = future_day(activity, places=2, waiting_places=2)
        holder = settled(child=kids[5], occurrence=day)
        if number % 3 == 0:
            cancel_request(holder)
        for order, kid in enumerate(kids[:5]):
            request(child=kid, occurrence=day, order=order)
    staff_day = future_day(decided, places=3, waiting_places=0)
    for order, kid in enumerate(kids[:2]):
        request(child=kid, occurrence=staff_day, order=order)
    past = future_day(activity, date=timezone.localdate() - timezone.timedelta(days=1))
    settled(child=kids[0], occurrence=past)
    return structure


def outcome(run):
    """Everything a night leaves behind, without the run's own id."""
    return {
        "states": sorted(Reservation.objects.values_list("pk", "state")),
        "events": sorted(ReservationEvent.objects.filter(run=run).values_list(
            "reservation_id", "kind", "from_state", "to_state", "note")),
        "emails": sorted(OutboxEmail.objects.filter(run=run).values_list(
            "family_id", "kind", "recipient", "subject", "body_text", "body_html")),
        "consumptions": sorted(Consumption.objects.values_list("source_key", flat=True)),
        "counts": run.counts,
    }


class _Rollback(Exception):
    pass


@pytest.mark.django_db
def test_chunked_night_gives_exactly_what_the_serial_run_gives(settings, django_capture_on_commit_callbacks):
    structure = build_world()
    try:
        with transaction.atomic():
            serial = transmission_run(structure=structure, now=timezone.now())
            expected = outcome(serial)
            raise _Rollback
    except _Rollback:
        pass
    assert Reservation.objects.filter(state=State.NOT_TRANSMITTED).count() == DAYS * 5 + 2
    settings.TRANSMISSION_FAN_OUT = "chunks"
    settings.TRANSMISSION_CHUNK_SIZE = 3

    with django_capture_on_commit_callbacks(execute=True):
        nightly_transmission()

    run = TransmissionRun.objects.get()
    assert run.status == TransmissionRun.Status.FINISHED and run.finished_at is not None
    assert len(run.chunks) == 3 and sorted(run.chunks_done) == [0, 1, 2]   # 8 days by 3
    got = outcome(run)
    assert got == expected
    assert expected["counts"]["accepted"] == 10 and expected["counts"]["awaiting_decision"] == 2
    assert len(expected["emails"]) == 6 and expected["consumptions"]


@pytest.mark.django_db
def test_redelivered_chunk_changes_nothing_and_the_run_finishes_once(django_capture_on_commit_callbacks):
    structure = build_world()
    run, chunks = transmission_chunks_plan(structure=structure, now=timezone.now(), chunk_size=4)
    assert [len(chunk) for chunk in chunks] == [4, 4]

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert transmit_chunk(run.pk, 0, chunks[0]) is False
    assert callbacks == []
    run.refresh_from_db()
    first = (run_figures(run=run), sorted(ReservationEvent.objects.filter(run=run).values_list("reservation_id", "to_state")),
             sorted(Reservation.objects.values_list("pk", "state")))
    assert run.chunks_done == [0] and first[0]["occurrences"] == 4

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert transmit_chunk(run.pk, 0, chunks[0]) is False   # redelivered
    run.refresh_from_db()
    assert callbacks == []
    assert (run_figures(run=run), sorted(ReservationEvent.objects.filter(run=run).values_list("reservation_id", "to_state")),
            sorted(Reservation.objects.values_list("pk", "state"))) == first
    assert run.chunks_done == [0]

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert transmit_chunk(run.pk, 1, chunks[1]) is True
    assert len(callbacks) >= 1
    run.refresh_from_db()
    assert run.status == TransmissionRun.Status.FINISHED
    assert run.chunks_done == [0, 1] and run.counts["occurrences"] == 8
    mails = Counter(OutboxEmail.objects.values_list("family_id", flat=True))
    assert len(mails) == 6 and set(mails.values()) == {1}
    finished_at = run.finished_at

    # The last chunk and the finish delivered again: nothing moves, nothing is written twice.
    with django_capture_on_commit_callbacks(execute=True):
        transmit_chunk(run.pk, 1, chunks[1])
        assert finish_run(run.pk)["skipped"]
    run.refresh_from_db()
    assert run.finished_at == finished_at and run.chunks_done == [0, 1] and run.counts["occurrences"] == 8
    assert OutboxEmail.objects.count() == 6 and Consumption.objects.count() == 1
    assert not Reservation.objects.filter(state=State.NOT_TRANSMITTED).exists()


@pytest.mark.django_db(transaction=True)
def test_two_chunks_settled_at_the_same_moment_add_up():
    structure = build_world()
    run, chunks = transmission_chunks_plan(structure=structure, now=timezone.now(), chunk_size=4)
    barrier = threading.Barrier(2)
    results, errors = {}, []
    # Both threads are brought to the write of the run's counts together: without the row
    # lock on the run, each would add its index to the same old list of chunks done and one would be lost.
    # With it, the second one waits for the lock, the first one's meeting times out and it goes on.
    meeting, main = threading.Barrier(2), threading.current_thread()

    def meet(sender, instance, **kwargs):
        if threading.current_thread() is not main:
            try:
                meeting.wait(timeout=1.5)
            except threading.BrokenBarrierError:
                pass

    def worker(index):
        try:
            barrier.wait(timeout=10)
            results[index] = transmit_chunk(run.pk, index, chunks[index])
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    pre_save.connect(meet, sender=TransmissionRun, weak=False, dispatch_uid="test-chunks-meet")
    try:
        threads = [threading.Thread(target=worker, args=(index,)) for index in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        pre_save.disconnect(sender=TransmissionRun, dispatch_uid="test-chunks-meet")

    assert not errors
    assert sorted(results.values()) == [False, True]    # exactly one of them was the last
    run.refresh_from_db()
    assert run.status == TransmissionRun.Status.FINISHED
    assert sorted(run.chunks_done) == [0, 1]
    assert run.counts["occurrences"] == DAYS + 1
    assert run.counts["accepted"] == 10 and run.counts["awaiting_decision"] == 2
    assert run.counts["cancelled"] == 3 and run.counts["waiting_list"] == DAYS * 2 and run.counts["refused"] == 11
    assert Counter(ReservationEvent.objects.filter(run=run).values_list("reservation_id", flat=True)).most_common(1)[0][1] == 1
    assert not Reservation.objects.filter(state=State.NOT_TRANSMITTED).exists()
    assert OutboxEmail.objects.filter(run=run).count() == 6 and Consumption.objects.count() == 1
