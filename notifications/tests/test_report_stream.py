"""The night's untold events in one pass (notifications.report_stream): what it reads for each family
is what the per-family rule reads, in chunks of families in id order; a family told by another
writer between the pass and its chunk's lock is read again, not told twice."""
import pytest
from django.db import connection

from accounts.tests.factories import FamilyFactory, StructureFactory
from notifications.report_store import untold_events, watermarks_move
from notifications.report_stream import chunk_events, untold_chunks
from notifications.tests.test_report_watermark import booked, event, run_begun
from reservations.models import Reservation, ReservationEvent, TransmissionRun
from reservations.tests.factories import ActivityFactory

State = Reservation.State
Kind = ReservationEvent.Kind

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the one-pass read is PostgreSQL's")]


def a_night():
    """Last night told three families; since, staff decided for each, tonight answered each; a
    family of another structure has events in the same window."""
    structure = StructureFactory()
    activity = ActivityFactory(structure=structure)
    last_night = run_begun(structure, 30)
    tonight = run_begun(structure, 1, status=TransmissionRun.Status.RUNNING)
    families = [FamilyFactory(structure=structure) for _ in range(3)]
    watermarks_move(run=last_night, family_ids=[family.pk for family in families])
    for family in families:
        booking = booked(family, activity)
        event(booking, hours_ago=40)                                          # told by last night
        event(booking, kind=Kind.ACCEPTED, run=last_night, hours_ago=29)      # told by last night
        event(booking, kind=Kind.REFUSED, hours_ago=25, to_state=State.REFUSED)   # a staff decision since
        event(booking, kind=Kind.ACCEPTED, run=tonight, hours_ago=0.5)
        event(booking, kind=Kind.CANCEL_REQUESTED, hours_ago=0.2, to_state=State.ACCEPTED)   # tomorrow's
    other = StructureFactory()
    event(booked(FamilyFactory(structure=other), ActivityFactory(structure=other)), hours_ago=2)
    return tonight, sorted(family.pk for family in families)


def test_the_pass_reads_for_each_family_what_the_per_family_rule_reads_in_chunks_in_id_order():
    tonight, family_ids = a_night()

    chunks = list(untold_chunks(run=tonight, family_range=None, size=2))

    assert [chunk.family_ids for chunk in chunks] == [family_ids[:2], family_ids[2:]]
    by_rule = {}
    for row in untold_events(run=tonight, family_ids=family_ids):
        by_rule.setdefault(row.family_id, []).append(row)
    assert {family: rows for chunk in chunks for family, rows in chunk.events.items()} == by_rule
    assert {family: [row.kind for row in rows] for family, rows in by_rule.items()} == {
        family: [Kind.REFUSED, Kind.ACCEPTED] for family in family_ids}
    assert [chunk_events(run=tonight, chunk=chunk) for chunk in chunks] == [chunk.events for chunk in chunks]


def test_a_family_range_limits_the_pass():
    tonight, family_ids = a_night()

    chunks = list(untold_chunks(run=tonight, family_range=(family_ids[1], family_ids[2]), size=500))

    assert [chunk.family_ids for chunk in chunks] == [family_ids[1:]]


def test_a_family_told_by_another_writer_after_the_pass_is_read_again_under_the_lock():
    tonight, family_ids = a_night()
    chunk = next(untold_chunks(run=tonight, family_range=None, size=500))
    assert chunk.events[family_ids[0]]

    watermarks_move(run=tonight, family_ids=[family_ids[0]])   # a watchdog wrote its report meanwhile

    found = chunk_events(run=tonight, chunk=chunk)
    assert family_ids[0] not in found
    assert found[family_ids[1]] == chunk.events[family_ids[1]]


def test_the_pass_leaves_the_connection_usable_between_chunks():
    tonight, family_ids = a_night()
    seen = []
    for chunk in untold_chunks(run=tonight, family_range=None, size=1):
        with connection.cursor() as cursor:   # what a chunk's writes do between two fetches
            cursor.execute("SELECT count(*) FROM notifications_reportwatermark")
        seen += chunk.family_ids
    assert seen == family_ids
