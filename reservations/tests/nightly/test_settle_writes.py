"""What the night writes is what its plan says: one statement per batch (settle._apply) for every
kind of change, and nothing for a row that moved since it was planned."""
import pytest
from django.db import transaction

from accounts.tests.factories import ChildFactory, FamilyFactory, StructureFactory
from reservations.models import Occurrence, Reservation, ReservationEvent, TransmissionRun
from reservations.nightly import settle
from reservations.nightly.plan import REDUCED_PLACES, plan_changes
from reservations.tests.factories import ActivityFactory, TransmissionRunFactory
from reservations.tests.transmission_helpers import cancel_request, future_day, request, settled

State = Reservation.State
Kind = ReservationEvent.Kind
pytestmark = pytest.mark.django_db


def kid(structure):
    return ChildFactory(family=FamilyFactory(structure=structure))


def planned(occurrence_ids):
    """The plan of each day, read as batch_settle reads it."""
    changes = []
    for day in Occurrence.objects.select_related("activity").filter(pk__in=occurrence_ids).order_by("pk"):
        rows = list(Reservation.objects.filter(occurrence=day, state__in=Reservation.LIVE_STATES)
                    .order_by("submitted_at", "id").values_list("id", "state", "waiting_mark", "cancel_requested_at"))
        changes += plan_changes(occurrence=day, rows=rows)
    return changes


def test_one_batch_writes_every_kind_of_change_as_planned():
    structure = StructureFactory(slug="ecritures")
    limited = ActivityFactory(structure=structure, limited_places=True)
    validated = ActivityFactory(structure=structure, needs_staff_decision=True)
    full = future_day(limited, places=2, waiting_places=1)
    settled(child=kid(structure), occurrence=full)
    leaving = cancel_request(settled(child=kid(structure), occurrence=full, order=1))
    waiting = settled(child=kid(structure), occurrence=full, state=State.WAITING_LIST, order=2)
    requests = [request(child=kid(structure), occurrence=full, order=order) for order in (10, 11, 12)]
    reduced = future_day(limited, places=0, waiting_places=0)
    lost = request(child=kid(structure), occurrence=reduced, order=20)
    staff_day = future_day(validated)
    asked = request(child=kid(structure), occurrence=staff_day, order=30)
    day_ids = [full.pk, reduced.pk, staff_day.pk]
    expected = planned(day_ids)
    # The plan has each kind of change, so the single statement is checked on all of them.
    assert {(c.reservation_id, c.kind) for c in expected} >= {
        (leaving.pk, Kind.CANCELLATION_APPLIED), (waiting.pk, Kind.PROMOTED), (requests[0].pk, Kind.WAITING_LIST),
        (requests[1].pk, Kind.REFUSED), (lost.pk, Kind.REFUSED), (asked.pk, Kind.AWAITING_DECISION)}
    assert any(c.note == REDUCED_PLACES for c in expected)
    run = TransmissionRunFactory(structure=structure, status=TransmissionRun.Status.RUNNING)

    counts = settle.batch_settle(run=run, occurrence_ids=day_ids)

    written = ReservationEvent.objects.filter(run=run).values_list("reservation_id", "from_state", "to_state", "kind", "note")
    assert sorted(written) == sorted(tuple(change) for change in expected)
    assert dict(Reservation.objects.filter(pk__in=[c.reservation_id for c in expected]).values_list("pk", "state")) == {
        c.reservation_id: c.to_state for c in expected}
    assert counts["occurrences"] == 3 and counts["promoted"] == 1
    assert planned(day_ids) == []   # a rerun has nothing left to do


def test_a_row_moved_since_its_plan_is_neither_changed_nor_given_an_event():
    structure = StructureFactory(slug="bougee")
    day = future_day(ActivityFactory(structure=structure))
    moved, kept = (request(child=kid(structure), occurrence=day, order=order) for order in (1, 2))
    Reservation.objects.filter(pk=moved.pk).update(state=State.CANCELLED)   # e.g. staff, after the plan was made
    run = TransmissionRunFactory(structure=structure, status=TransmissionRun.Status.RUNNING)

    with transaction.atomic():
        settle._apply({(State.NOT_TRANSMITTED, State.ACCEPTED, Kind.ACCEPTED, ""): [moved.pk, kept.pk]}, run=run, user=None)

    assert dict(Reservation.objects.filter(pk__in=[moved.pk, kept.pk]).values_list("pk", "state")) == {
        moved.pk: State.CANCELLED, kept.pk: State.ACCEPTED}
    assert list(ReservationEvent.objects.filter(run=run).values_list("reservation_id", flat=True)) == [kept.pk]
