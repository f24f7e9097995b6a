"""Staff lowering a day's places below what the requests hold (issue 10 item 8): the admin
warns with the numbers and asks to confirm; the night then keeps what was accepted and
refuses what no longer fits, with a reason the family reads."""
import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import (
    TEST_PASSWORD,
    ChildFactory,
    FamilyFactory,
    StaffMembershipFactory,
    StructureFactory,
    UserFactory,
)
from reservations.booking.followup import Filters, Kind, followup_rows
from reservations.models import Reservation, ReservationEvent
from reservations.nightly.plan import REDUCED_PLACES, REDUCED_WAITING
from reservations.nightly.run import transmission_run
from reservations.staff.capacity import CapacityBelowHeld, occurrence_capacity_save
from reservations.tests.factories import ActivityFactory
from reservations.tests.transmission_helpers import future_day, request, settled

pytestmark = pytest.mark.django_db
State = Reservation.State


@pytest.fixture
def structure():
    return StructureFactory(name="Mairie de CarteVille", slug="carteville")


@pytest.fixture
def full_day(structure):
    """3 places, 2 waiting places, all held: 2 accepted, 1 request not transmitted; 1 waiting-listed,
    1 request not transmitted on the waiting list."""
    day = future_day(ActivityFactory(structure=structure, limited_places=True, name="Mercredi loisirs"),
                     places=3, waiting_places=2)
    kids = [ChildFactory(family=FamilyFactory(structure=structure), first_name=name)
            for name in ("Emmy", "Paolo", "Amalia", "Lucas", "Léa")]
    holders = {
        "accepted_1": settled(child=kids[0], occurrence=day, order=1),
        "accepted_2": settled(child=kids[1], occurrence=day, order=2),
        "pending": request(child=kids[2], occurrence=day, order=3),
        "waiting": settled(child=kids[3], occurrence=day, state=State.WAITING_LIST, order=4),
        "pending_waiting": request(child=kids[4], occurrence=day, order=5, mark=True),
    }
    return day, holders


@pytest.fixture
def staff_client(client, structure):
    user = UserFactory(username="agent", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="reservations"))
    StaffMembershipFactory(user=user, structure=structure)
    assert client.login(username=user.username, password=TEST_PASSWORD)
    return client


def day_form(day, **changes):
    data = {"activity": day.activity_id, "date": day.date.isoformat(), "arrival_time": day.arrival_time.strftime("%H:%M"),
            "departure_time": day.departure_time.strftime("%H:%M"), "places": day.places,
            "waiting_places": day.waiting_places, "reservations-TOTAL_FORMS": "0", "reservations-INITIAL_FORMS": "0"}
    data.update(changes)
    return data


def test_lowering_places_below_what_is_held_warns_with_the_numbers_and_needs_a_confirmation(staff_client, full_day):
    day, _holders = full_day
    url = reverse("admin:reservations_occurrence_change", args=[day.pk])
    response = staff_client.post(url, day_form(day, places=1, waiting_places=1))
    assert response.status_code == 200
    page = response.content.decode()
    assert ("3 demandes occupent une place ce jour-là (acceptées ou en attente de réponse : 2, non transmises : 1) ; "
            "places du jour : 1, soit 2 de trop.") in page
    assert "2 demandes sont en liste d&#x27;attente ; places en liste d&#x27;attente : 1, soit 1 de trop." in page
    day.refresh_from_db()
    assert (day.places, day.waiting_places) == (3, 2)

    response = staff_client.post(url, day_form(day, places=1, waiting_places=1, confirm_reduction="on"))
    assert response.status_code == 302
    day.refresh_from_db()
    assert (day.places, day.waiting_places) == (1, 1)


def test_raising_places_or_lowering_them_to_what_is_held_needs_no_confirmation(staff_client, full_day):
    day, _holders = full_day
    url = reverse("admin:reservations_occurrence_change", args=[day.pk])
    assert staff_client.post(url, day_form(day, places=3, waiting_places=2)).status_code == 302
    assert staff_client.post(url, day_form(day, places=5, waiting_places=4)).status_code == 302


def test_the_lists_quick_edit_refuses_a_reduction_below_what_is_held(staff_client, full_day):
    day, _holders = full_day
    url = reverse("admin:reservations_occurrence_changelist")
    response = staff_client.post(url, {
        "form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "1", "form-0-id": day.pk, "form-0-places": "2",
        "form-0-waiting_places": "2", "_save": "Enregistrer"})
    assert "ouvrez la journée pour voir les chiffres et confirmer la réduction" in response.content.decode()
    day.refresh_from_db()
    assert day.places == 3


def test_the_service_recounts_under_the_lock(full_day):
    day, _holders = full_day
    day.places = 2
    with pytest.raises(CapacityBelowHeld):
        occurrence_capacity_save(occurrence=day, confirmed=False)
    occurrence_capacity_save(occurrence=day, confirmed=True)
    day.refresh_from_db()
    assert day.places == 2


def test_the_night_keeps_what_was_accepted_and_refuses_what_no_longer_fits_with_a_reason(structure, full_day):
    day, holders = full_day
    day.places, day.waiting_places = 1, 1
    occurrence_capacity_save(occurrence=day, confirmed=True)

    run = transmission_run(structure=structure, now=timezone.now())

    states = {name: Reservation.objects.get(pk=r.pk).state for name, r in holders.items()}
    assert states == {"accepted_1": State.ACCEPTED, "accepted_2": State.ACCEPTED,    # kept: a promise made
                      "pending": State.REFUSED, "waiting": State.WAITING_LIST, "pending_waiting": State.REFUSED}
    notes = dict(ReservationEvent.objects.filter(run=run).values_list("reservation_id", "note"))
    assert notes == {holders["pending"].pk: REDUCED_PLACES, holders["pending_waiting"].pk: REDUCED_WAITING}
    # The family reads it on its follow-up page.
    family = holders["pending"].family
    today = timezone.localdate()
    rows = followup_rows(family=family, filters=Filters(start=today, end=day.date, kind=Kind.ALL), now=timezone.now())
    assert [row.state_label for row in rows] == [f"Refusée — {REDUCED_PLACES}"]


def test_a_waiting_list_longer_than_its_new_places_is_cut_from_its_end_the_next_night(structure):
    day = future_day(ActivityFactory(structure=structure, limited_places=True), places=1, waiting_places=3)
    kids = [ChildFactory(family=FamilyFactory(structure=structure)) for _ in range(4)]
    settled(child=kids[0], occurrence=day, order=1)
    waiting = [settled(child=kid, occurrence=day, state=State.WAITING_LIST, order=order)
               for order, kid in enumerate(kids[1:], start=2)]
    day.waiting_places = 1
    occurrence_capacity_save(occurrence=day, confirmed=True)

    transmission_run(structure=structure, now=timezone.now())   # nothing else happened that day

    assert [Reservation.objects.get(pk=r.pk).state for r in waiting] == [State.WAITING_LIST, State.REFUSED, State.REFUSED]
    assert set(ReservationEvent.objects.filter(reservation__in=waiting[1:]).values_list("note", flat=True)) == {REDUCED_WAITING}
    # Rerun: nothing more to do.
    again = transmission_run(structure=structure, now=timezone.now())
    assert again.counts["occurrences"] == 0
