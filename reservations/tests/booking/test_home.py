"""The parent's home answers "where am I" (issue 11, What to build 1): per child the next booked
days and the requests awaiting an answer, the cart in progress, the balances and the amount owed,
the next deadline that matters — then the structure's messages; in a fixed number of queries."""
import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import TEST_PASSWORD, MessageFactory
from billing.tests.factories import ConsumptionFactory, WalletFactory
from reservations.models import CartLine, Reservation
from reservations.tests.booking_world import NOW, make_world
from reservations.tests.factories import ReservationFactory

pytestmark = pytest.mark.django_db
D = datetime.date
State = Reservation.State


@pytest.fixture
def client_at_now(client):
    with time_machine.travel(NOW, tick=False):   # Thursday 26/11/2026 10:00
        yield client


def home(client, world):
    assert client.login(username=world.user.username, password=TEST_PASSWORD)
    return client.get(reverse("portal:home")).content.decode()


def fill(world, *, days):
    """Bookings, requests and cart lines for every child of ``world``."""
    for child in world.children:
        for number, day in enumerate(days):
            state = (State.ACCEPTED, State.NOT_TRANSMITTED, State.AWAITING_DECISION, State.WAITING_LIST)[number % 4]
            ReservationFactory(occurrence=world.occurrences[day], child=child, family=world.family, state=state)
    CartLine.objects.create(family=world.family, child=world.children[0], occurrence=world.occurrences[D(2026, 12, 14)],
                            action=CartLine.Action.BOOK)


def test_home_says_what_is_booked_awaited_in_the_cart_owed_and_due_next(client_at_now):
    world = make_world(places=5, waiting=2, children=2)
    emmy, paolo = world.children
    for day, state in ((D(2026, 12, 1), State.ACCEPTED), (D(2026, 12, 3), State.NOT_TRANSMITTED),
                       (D(2026, 12, 4), State.AWAITING_DECISION), (D(2026, 12, 7), State.ACCEPTED),
                       (D(2026, 11, 24), State.ACCEPTED)):                       # past: not shown
        ReservationFactory(occurrence=world.occurrences[day], child=emmy, family=world.family, state=state)
    for day in (D(2026, 12, 8), D(2026, 12, 9), D(2026, 12, 10)):
        CartLine.objects.create(family=world.family, child=paolo, occurrence=world.occurrences[day],
                                action=CartLine.Action.BOOK)
    wallet = WalletFactory(structure=world.structure, name="Restauration")
    ConsumptionFactory(family=world.family, child=emmy, wallet=wallet, unit_price=Decimal("12.50"))
    MessageFactory(structure=world.structure, title="Cantine fermée vendredi")

    body = home(client_at_now, world)

    assert "3 demandes non validées dans votre panier." in body and 'href="/reservations/panier/">Terminer la validation' in body
    paolo_at = body.index(f"{paolo.first_name} {paolo.last_name}</h3>")
    emmy_part = body[body.index(f"{emmy.first_name} {emmy.last_name}</h3>"):paolo_at]
    assert "mardi 1 décembre · Restauration Scolaire — acceptée" in emmy_part
    assert "jeudi 3 décembre · Restauration Scolaire — réponse cette nuit" in emmy_part
    assert "vendredi 4 décembre · Restauration Scolaire — en attente de la réponse de la structure" in emmy_part
    assert "lundi 7 décembre" not in emmy_part                                   # three days shown
    assert "24 novembre" not in emmy_part
    assert "1 demande transmise cette nuit · 1 demande en attente de la réponse de la structure" in emmy_part
    assert "Aucun jour réservé à venir." in body[body.index(f"{paolo.first_name} {paolo.last_name}</h3>"):]
    assert "Restauration" in body and "-12,50" in body and "Montant dû : <strong>12,50\u00a0€</strong>" in body
    # Today Thursday 10:00, "la veille à 09:00": Friday is past its deadline; Monday 30 closes on Sunday.
    assert "Prochaine échéance" in body
    assert (f"Restauration Scolaire ({emmy.first_name}), le lundi 30 novembre : Modifiable jusqu&#x27;au dimanche 29 à 09:00"
            in body)
    assert f"?child={emmy.id}&amp;activity={world.activity.id}&amp;month=2026-11" in body
    # Then the structure's messages.
    assert body.index("Vos réservations") < body.index("Vos porte-monnaie") < body.index("Cantine fermée vendredi")


def test_nothing_owed_nothing_in_the_cart(client_at_now):
    world = make_world(children=1)
    WalletFactory(structure=world.structure, name="Restauration")
    body = home(client_at_now, world)
    assert "Vous ne devez rien pour le moment." in body
    assert "non validée" not in body and "Aucun jour réservé à venir." in body


def test_the_home_costs_the_same_queries_for_one_child_or_three_with_many_rows(client_at_now):
    small = make_world(children=1, places=9, waiting=2)
    fill(small, days=[D(2026, 12, 1)])
    assert client_at_now.login(username=small.user.username, password=TEST_PASSWORD)
    with CaptureQueriesContext(connection) as few:
        assert client_at_now.get(reverse("portal:home")).status_code == 200
    client_at_now.logout()

    big = make_world(children=3, places=9, waiting=2)
    for index in range(4):
        WalletFactory(structure=big.structure, name=f"Porte-monnaie {index}")
    fill(big, days=[day for day in big.occurrences if day >= D(2026, 11, 30)][:15])
    assert client_at_now.login(username=big.user.username, password=TEST_PASSWORD)
    with CaptureQueriesContext(connection) as many:
        assert client_at_now.get(reverse("portal:home")).status_code == 200
    assert len(many) == len(few), [q["sql"][:120] for q in many.captured_queries]
    assert len(few) <= 25
