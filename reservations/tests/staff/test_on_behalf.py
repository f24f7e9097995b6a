"""Staff booking or cancelling a day on a parent's behalf: the cart's rules and places, a
deadline override only with a reason, kept in the events; the parent's follow-up says so."""
import datetime

import pytest
import time_machine
from django.urls import reverse

from accounts.services import staff_user_enrol
from accounts.tests.factories import ChildFactory, FamilyFactory, StaffMembershipFactory, StructureFactory, UserFactory
from reservations.booking.cart import cart_toggle
from reservations.booking.followup import Filters, Kind, followup_rows
from reservations.models import CartLine, Reservation, ReservationEvent
from reservations.staff.on_behalf import OnBehalfRefused, day_change_on_behalf
from reservations.tests.booking_world import NOW, make_world
from reservations.tests.factories import ReservationFactory

pytestmark = pytest.mark.django_db
State = Reservation.State
D = datetime.date
TOO_LATE = D(2026, 11, 27)     # "la veille à 09:00": the 26th at 09:00, NOW is 10:00
OPEN = D(2026, 12, 1)


@pytest.fixture
def world():
    return make_world(places=1, waiting=1)


@pytest.fixture
def agent(world):
    user = UserFactory(username="agent", first_name="Agnès", is_staff=True)
    StaffMembershipFactory(user=user, structure=world.structure)
    staff_user_enrol(user=user)
    return user


def change(world, agent, day, action="book", child=None, **kwargs):
    return day_change_on_behalf(family=world.family, child=child or world.children[0], occurrence=world.occurrences[day],
                                action=action, user=agent, now=NOW, **kwargs)


def labels(world):
    rows = followup_rows(family=world.family, filters=Filters(start=D(2026, 11, 1), end=D(2026, 12, 31), kind=Kind.ALL),
                         now=NOW)
    return [row.state_label for row in rows]


def test_staff_book_a_day_as_the_cart_would_and_the_parent_reads_booked_by_the_structure(world, agent):
    line = change(world, agent, OPEN)
    assert (line.outcome, line.observation) == ("booked", "Demande enregistrée (non transmise)")
    reservation = Reservation.objects.get()
    assert (reservation.state, reservation.cost, reservation.submitted_at) == (State.NOT_TRANSMITTED, world.activity.tariff
                                                                              .rates.get().amount, NOW)
    event = reservation.events.get()
    assert (event.kind, event.actor, event.on_behalf, event.note) == ("requested", agent, True, "Par la structure")
    assert labels(world) == ["Non transmise — réservé par la structure"]


def test_past_the_deadline_staff_are_refused_unless_they_give_a_reason(world, agent):
    line = change(world, agent, TOO_LATE)
    assert line.outcome == "refused" and "Hors délai" in line.observation
    with pytest.raises(OnBehalfRefused, match="motif"):
        change(world, agent, TOO_LATE, override_deadlines=True, reason="   ")
    assert not Reservation.objects.exists()
    line = change(world, agent, TOO_LATE, override_deadlines=True, reason="Appel de la mère, reprise du travail")
    assert line.outcome == "booked"
    event = ReservationEvent.objects.get()
    assert event.actor == agent and event.on_behalf
    assert event.note == "Par la structure, hors délai : Appel de la mère, reprise du travail"


def test_the_same_places_apply_waiting_list_then_full(world, agent):
    others = [ChildFactory(family=FamilyFactory(structure=world.structure)) for _ in range(2)]
    for child, state in zip(others, [State.ACCEPTED, State.WAITING_LIST], strict=True):
        ReservationFactory(family=child.family, child=child, occurrence=world.occurrences[OPEN], state=state)
    assert change(world, agent, OPEN).outcome == "full"
    Reservation.objects.filter(child=others[1]).update(state=State.CANCELLED)
    line = change(world, agent, OPEN)
    assert (line.outcome, line.observation) == ("waiting", "Mise en liste d'attente")
    assert ReservationEvent.objects.get(on_behalf=True).note == "Mise en liste d'attente — par la structure"
    assert labels(world) == ["Non transmise — mise en liste d'attente — réservé par la structure"]


def test_staff_cancel_for_the_family_and_the_parent_reads_cancelled_by_the_structure(world, agent):
    child = world.children[0]
    ReservationFactory(family=world.family, child=child, occurrence=world.occurrences[OPEN], state=State.ACCEPTED)
    reservation = ReservationFactory(family=world.family, child=child, occurrence=world.occurrences[D(2026, 12, 2)],
                                     state=State.NOT_TRANSMITTED)
    assert change(world, agent, OPEN, action="cancel").outcome == "cancel_requested"
    assert change(world, agent, D(2026, 12, 2), action="cancel").outcome == "cancelled"
    reservation.refresh_from_db()
    assert reservation.state == State.CANCELLED
    assert labels(world) == ["Acceptée — annulation demandée — annulé par la structure", "Annulée — annulé par la structure"]


def test_the_familys_own_cart_is_left_as_it_is(world, agent):
    cart_toggle(family=world.family, child=world.children[0], occurrence=world.occurrences[D(2026, 12, 3)], now=NOW)
    change(world, agent, OPEN)
    assert CartLine.objects.filter(family=world.family).count() == 1
    assert list(Reservation.objects.values_list("occurrence__date", flat=True)) == [OPEN]


def test_a_child_or_day_of_another_family_is_refused(world, agent):
    stranger = ChildFactory(family=FamilyFactory(structure=world.structure))
    with pytest.raises(OnBehalfRefused):
        change(world, agent, OPEN, child=stranger)
    elsewhere = make_world()
    with pytest.raises(OnBehalfRefused):
        day_change_on_behalf(family=world.family, child=world.children[0], occurrence=elsewhere.occurrences[OPEN],
                             action="book", user=agent, now=NOW)


# --- the form on the family at a glance ------------------------------------------------------

@pytest.fixture
def staff_client(client, agent):
    client.force_login(agent)
    return client


def post(client, family, **data):
    fields = {"action": "book", "reason": "", **data}
    return client.post(reverse("admin:reservations_reservation_on_behalf", args=[family.pk]), fields, follow=True)


def test_the_glance_page_shows_the_form_and_a_booking_comes_back_with_its_result(world, staff_client):
    with time_machine.travel(NOW, tick=False):
        page = staff_client.get(reverse("admin:accounts_family_glance", args=[world.family.pk]))
        assert page.status_code == 200 and "Réserver ou annuler un jour" in page.content.decode()
        response = post(staff_client, world.family, child=world.children[0].pk, activity=world.activity.pk,
                        day="2026-11-27", override_deadlines="on", reason="Oubli signalé par téléphone")
    text = response.content.decode()
    assert response.status_code == 200 and "Demande enregistrée (non transmise)" in text
    assert "réservé par la structure" in text     # the panel's list of days to come
    assert ReservationEvent.objects.get().note.endswith("Oubli signalé par téléphone")


def test_the_form_refuses_an_override_without_reason_and_a_day_without_activity(world, staff_client):
    with time_machine.travel(NOW, tick=False):
        response = post(staff_client, world.family, child=world.children[0].pk, activity=world.activity.pk,
                        day="2026-11-27", override_deadlines="on")
        assert "Indiquez le motif" in response.content.decode()
        response = post(staff_client, world.family, child=world.children[0].pk, activity=world.activity.pk,
                        day="2026-11-28")   # a Saturday: no day
        assert "Pas de journée" in response.content.decode()
        response = post(staff_client, world.family, child="abc", activity="x", day="2026-02-31")
        assert response.status_code == 200
    assert not Reservation.objects.exists()


def test_another_structures_family_is_a_404_and_a_get_is_refused(world, staff_client):
    other = FamilyFactory(structure=StructureFactory())
    child = ChildFactory(family=other)
    response = post(staff_client, other, child=child.pk, activity=world.activity.pk, day="2026-12-01")
    assert response.status_code == 404
    assert staff_client.get(reverse("admin:reservations_reservation_on_behalf", args=[world.family.pk])).status_code == 405
    assert not Reservation.objects.exists()
