"""What a family has been told is one watermark per family (ReportWatermark), not a mark on
each event: the rule that decides what is left to tell, on PostgreSQL and in Python, a dead
run's answers, two writers of the same families, a transaction older than the run, the
migration from the per-event marks."""
import datetime
import threading

import psycopg2
import pytest
from django.db import connection, connections
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from accounts.tests.factories import ChildFactory, FamilyFactory, StructureFactory
from notifications.models import OutboxEmail
from notifications.report_store import _untold_events_orm, families_to_tell, older_writers_wait, untold_events, watermarks_move
from notifications.reports import reports_write
from reservations.models import Reservation, ReservationEvent, TransmissionRun
from reservations.tests.factories import ActivityFactory, ReservationFactory
from reservations.tests.transmission_helpers import future_day, request

State = Reservation.State
Kind = ReservationEvent.Kind
NOW = timezone.now()


def run_begun(structure, hours_ago: float, status=TransmissionRun.Status.FINISHED) -> TransmissionRun:
    run = TransmissionRun.objects.create(structure=structure, status=status)
    TransmissionRun.objects.filter(pk=run.pk).update(started_at=NOW - datetime.timedelta(hours=hours_ago))
    run.refresh_from_db()
    return run


def event(reservation, *, kind=Kind.REQUESTED, run=None, hours_ago: float, to_state=State.NOT_TRANSMITTED) -> int:
    made = ReservationEvent.objects.create(reservation=reservation, kind=kind, run=run, to_state=to_state,
                                           from_state=State.NOT_TRANSMITTED if run else "")
    ReservationEvent.objects.filter(pk=made.pk).update(at=NOW - datetime.timedelta(hours=hours_ago))
    return made.pk


def booked(family, activity):
    return ReservationFactory(family=family, child=ChildFactory(family=family), occurrence=future_day(activity),
                              state=State.ACCEPTED)


@pytest.mark.django_db
def test_what_is_left_to_tell_follows_each_familys_watermark_in_sql_and_in_python():
    structure = StructureFactory()
    activity = ActivityFactory(structure=structure)
    last_night = run_begun(structure, 30)     # told some families, finished
    dead = run_begun(structure, 20, status=TransmissionRun.Status.FAILED)   # settled, died before its reports
    tonight = run_begun(structure, 1, status=TransmissionRun.Status.RUNNING)

    told_family, new_family, told_tonight = (FamilyFactory(structure=structure) for _ in range(3))
    watermarks_move(run=last_night, family_ids=[told_family.pk])
    watermarks_move(run=tonight, family_ids=[told_tonight.pk])
    first, second = booked(told_family, activity), booked(new_family, activity)
    expected = {
        # told by last night: asked before it began, its own answer
        event(first, hours_ago=40): False, event(first, kind=Kind.ACCEPTED, run=last_night, hours_ago=29): False,
        # a staff decision during the day after last night began, the dead run's answer, tonight's answer
        event(first, kind=Kind.REFUSED, hours_ago=25, to_state=State.REFUSED): True,
        event(first, kind=Kind.ACCEPTED, run=dead, hours_ago=19): True,
        event(first, kind=Kind.ACCEPTED, run=tonight, hours_ago=0.5): True,
        # made after tonight's run began and not by it: for tomorrow's report
        event(first, kind=Kind.CANCEL_REQUESTED, hours_ago=0.2, to_state=State.ACCEPTED): False,
        # a family never told: everything up to tonight's start, last night's answer included
        event(second, hours_ago=100): True, event(second, kind=Kind.ACCEPTED, run=last_night, hours_ago=29): True,
        event(second, hours_ago=0.1): False,
        # a family already told tonight
        event(booked(told_tonight, activity), kind=Kind.ACCEPTED, run=tonight, hours_ago=0.5): False,
    }
    families = [told_family.pk, new_family.pk, told_tonight.pk]

    told_in_sql = [row.pk for row in untold_events(run=tonight, family_ids=families)]
    told_in_python = [row.pk for row in _untold_events_orm(run=tonight, family_ids=families)]

    assert sorted(told_in_sql) == sorted(pk for pk, untold in expected.items() if untold)
    assert told_in_python == told_in_sql
    # The families are looked for among the events since last night began (it told everything
    # before): the family never told has nothing that recent, the one told tonight has.
    assert families_to_tell(run=tonight) == sorted([told_family.pk, told_tonight.pk])
    assert families_to_tell(run=tonight, family_range=(told_tonight.pk, told_tonight.pk)) == [told_tonight.pk]


@pytest.mark.django_db
def test_a_structures_first_night_looks_for_every_family_with_an_event():
    structure = StructureFactory()
    family = FamilyFactory(structure=structure)
    reservation = booked(family, ActivityFactory(structure=structure))
    event(reservation, hours_ago=24 * 90)
    run_begun(structure, 24 * 30, status=TransmissionRun.Status.FAILED)   # no night finished yet
    first_night = run_begun(structure, 1, status=TransmissionRun.Status.RUNNING)

    assert families_to_tell(run=first_night) == [family.pk]


@pytest.mark.django_db
def test_a_dead_runs_answers_are_told_once_by_the_run_that_follows(django_capture_on_commit_callbacks):
    structure = StructureFactory(name="Mairie de CarteVille")
    family = FamilyFactory(structure=structure, email="dupont@example.org")
    asked = request(child=ChildFactory(family=family, first_name="Amalia"),
                    occurrence=future_day(ActivityFactory(structure=structure, name="Restauration Scolaire")))
    dead = TransmissionRun.objects.create(structure=structure, status=TransmissionRun.Status.FAILED)
    Reservation.objects.filter(pk=asked.pk).update(state=State.ACCEPTED)
    ReservationEvent.objects.create(reservation=asked, kind=Kind.ACCEPTED, run=dead, from_state=State.NOT_TRANSMITTED,
                                    to_state=State.ACCEPTED)
    following = TransmissionRun.objects.create(structure=structure)

    assert reports_write(run=following, queue=False)["emails_queued"] == 1
    body = OutboxEmail.objects.get().body_text
    assert "Amalia · Restauration Scolaire : Acceptée" in body
    assert "1 réservation a été acceptée" in body
    next_night = TransmissionRun.objects.create(structure=structure)
    assert reports_write(run=next_night, queue=False)["emails_queued"] == 0


@pytest.mark.django_db(transaction=True)
def test_a_second_writer_of_the_same_families_waits_and_finds_nothing_left():
    """A watchdog re-writing a range while the slow worker that had it commits: the families'
    locks make the second writer wait, then their watermarks say they were told."""
    structure = StructureFactory()
    activity = ActivityFactory(structure=structure)
    run = TransmissionRun.objects.create(structure=structure)
    for _index in range(3):
        asked = request(child=ChildFactory(family=FamilyFactory(structure=structure, email="f@example.org")),
                        occurrence=future_day(activity))
        ReservationEvent.objects.create(reservation=asked, kind=Kind.ACCEPTED, run=run,
                                        from_state=State.NOT_TRANSMITTED, to_state=State.ACCEPTED)
    written, second_started, failures = {}, threading.Event(), []

    def slow_writer():
        from django.db import transaction
        try:
            with transaction.atomic():
                written["slow"] = reports_write(run=run, queue=False)["emails_queued"]
                second_started.wait(5)
                threading.Event().wait(0.5)   # the second writer is now waiting on the families
        except Exception as error:   # reported by the assertion below (an IntegrityError would be the bug)
            failures.append(error)
        finally:
            connections.close_all()

    def second_writer():
        second_started.set()
        try:
            written["second"] = reports_write(run=run, queue=False)["emails_queued"]
        except Exception as error:   # reported by the assertion below (an IntegrityError would be the bug)
            failures.append(error)
        finally:
            connections.close_all()

    slow = threading.Thread(target=slow_writer)
    slow.start()
    while "slow" not in written and slow.is_alive():
        threading.Event().wait(0.05)
    second = threading.Thread(target=second_writer)
    second.start()
    slow.join(20)
    second.join(20)

    assert failures == []
    assert written == {"slow": 3, "second": 0}
    assert OutboxEmail.objects.count() == 3


@pytest.mark.django_db
def test_the_reports_wait_for_a_transaction_older_than_the_run_that_has_written():
    settings_dict = connection.settings_dict
    other = psycopg2.connect(dbname=settings_dict["NAME"], user=settings_dict["USER"] or "postgres",
                             host=settings_dict["HOST"] or "127.0.0.1", port=settings_dict["PORT"] or 5432,
                             password=settings_dict["PASSWORD"] or "")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT txid_current()")   # a transaction that has written: it has an id
        started = timezone.now() + datetime.timedelta(milliseconds=50)
        threading.Event().wait(0.1)
        assert older_writers_wait(started_at=started, timeout=0.3) is False
        other.commit()
        assert older_writers_wait(started_at=started, timeout=0.3) is True
        # A transaction that only reads holds nothing back.
        with other.cursor() as cursor:
            cursor.execute("SELECT 1")
        assert older_writers_wait(started_at=timezone.now(), timeout=0.3) is True
    finally:
        other.close()


@pytest.mark.django_db(transaction=True)
def test_the_migration_turns_the_per_event_marks_into_watermarks():
    before = [("notifications", "0006_deadline_reminders"), ("reservations", "0013_reservation_movement_idx")]
    after = [("notifications", "0007_report_watermark"), ("reservations", "0014_events_written_once")]
    structure = StructureFactory()
    day = future_day(ActivityFactory(structure=structure))
    children = [ChildFactory(family=FamilyFactory(structure=structure)) for _ in range(3)]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps
        OldReservation = old.get_model("reservations", "Reservation")
        Run, OldEvent = old.get_model("reservations", "TransmissionRun"), old.get_model("reservations", "ReservationEvent")
        first, second = Run.objects.create(structure_id=structure.pk), Run.objects.create(structure_id=structure.pk)
        for child, told in zip(children, ((first, second), (first,), ()), strict=True):
            reservation = OldReservation.objects.create(family_id=child.family_id, child_id=child.pk,
                                                        occurrence_id=day.pk, arrival_time=datetime.time(11, 30),
                                                        departure_time=datetime.time(13, 30), submitted_at=NOW)
            for run in told:
                OldEvent.objects.create(reservation=reservation, kind="accepted", run=run, reported_in=run)
            OldEvent.objects.create(reservation=reservation, kind="requested")   # not told yet
        families = [child.family_id for child in children]

        executor = MigrationExecutor(connection)
        executor.migrate(after)
        new = executor.loader.project_state(after).apps
        marks = dict(new.get_model("notifications", "ReportWatermark").objects.values_list("family_id", "run_id"))
        assert marks == {families[0]: second.pk, families[1]: first.pk}
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
