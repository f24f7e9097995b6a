"""The days' place counters (reservations.counters): kept by the trigger on every path,
never overwritten by a save, checked and repaired by ``places_recount``."""
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.tests.factories import ChildFactory, FamilyFactory, StructureFactory, UserFactory
from reservations.counters import Drift, counters_recount, occurrences_claim
from reservations.models import Occurrence, Reservation
from reservations.nightly.run import transmission_run
from reservations.staff.capacity import occurrence_capacity_save
from reservations.staff.services import reservation_decide
from reservations.tests.factories import ActivityFactory
from reservations.tests.transmission_helpers import cancel_request, future_day, request, settled

State = Reservation.State
pytestmark = pytest.mark.django_db


def counters(occurrence):
    occurrence.refresh_from_db()
    return occurrence.places_taken, occurrence.waiting_places_taken


@pytest.fixture
def day():
    structure = StructureFactory()
    activity = ActivityFactory(structure=structure, limited_places=True)
    return future_day(activity, places=2, waiting_places=2)


def child_of(day):
    return ChildFactory(family=FamilyFactory(structure=day.activity.structure))


def test_every_kind_of_request_counts_as_design_section_4_says(day):
    request(child=child_of(day), occurrence=day)
    request(child=child_of(day), occurrence=day, mark=True)
    settled(child=child_of(day), occurrence=day, state=State.ACCEPTED)
    settled(child=child_of(day), occurrence=day, state=State.AWAITING_DECISION)
    settled(child=child_of(day), occurrence=day, state=State.WAITING_LIST)
    settled(child=child_of(day), occurrence=day, state=State.REFUSED)
    settled(child=child_of(day), occurrence=day, state=State.CANCELLED)
    assert counters(day) == (3, 2)
    assert counters_recount() == []


def test_the_night_keeps_the_counters_true_when_it_accepts_refuses_cancels_and_promotes(day):
    accepted = settled(child=child_of(day), occurrence=day, state=State.ACCEPTED, order=0)
    waiting = settled(child=child_of(day), occurrence=day, state=State.WAITING_LIST, order=1)
    cancel_request(accepted)
    newcomers = [request(child=child_of(day), occurrence=day, order=10 + i) for i in range(4)]
    assert counters(day) == (1 + 4, 1)     # over the places: requests not transmitted all count
    transmission_run(structure=day.activity.structure, now=timezone.now())
    states = {r.pk: r.state for r in Reservation.objects.filter(occurrence=day)}
    assert states[accepted.pk] == State.CANCELLED and states[waiting.pk] == State.ACCEPTED   # promoted
    assert sorted(states[r.pk] for r in newcomers).count(State.REFUSED) == 1
    assert counters(day) == (2, 2)
    assert counters_recount() == []


def test_a_staff_decision_and_a_cancellation_keep_the_counters_true(day):
    awaiting = settled(child=child_of(day), occurrence=day, state=State.AWAITING_DECISION)
    assert counters(day) == (1, 0)
    staff = UserFactory(is_staff=True)
    reservation_decide(reservation=awaiting, accept=False, user=staff)
    assert counters(day) == (0, 0)
    pending = request(child=child_of(day), occurrence=day, mark=True)
    Reservation.objects.filter(pk=pending.pk).update(state=State.CANCELLED)
    assert counters(day) == (0, 0)
    Reservation.objects.filter(pk=pending.pk).delete()
    assert counters_recount() == []


def test_saving_a_day_loaded_earlier_does_not_put_back_old_counters(day):
    stale = Occurrence.objects.get(pk=day.pk)
    request(child=child_of(day), occurrence=day)
    stale.places = 5
    occurrence_capacity_save(occurrence=stale, confirmed=False)
    stale.save()
    assert counters(day) == (1, 0)
    assert Occurrence.objects.get(pk=day.pk).places == 5
    assert occurrences_claim([day.pk], family_id=0, child_ids=[0])[day.pk].left == 4


def test_recount_reports_a_drift_and_fixes_it(day):
    request(child=child_of(day), occurrence=day)
    Occurrence.objects.filter(pk=day.pk).update(places_taken=7)
    assert counters_recount() == [Drift(day.pk, (7, 0), (1, 0))]
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_status:
        call_command("places_recount", stdout=out)
    assert exit_status.value.code == 1
    assert f"journée {day.pk} : compteur 7 places / 0 en attente, recompté 1 / 0" in out.getvalue()
    call_command("places_recount", "--fix", stdout=io.StringIO())
    assert counters(day) == (1, 0)
    out = io.StringIO()
    call_command("places_recount", stdout=out)
    assert "Aucun écart" in out.getvalue()
