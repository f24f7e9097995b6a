import datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from billing.models import Wallet
from reservations.booking.estimates import reservations_estimate
from reservations.models import Reservation
from reservations.tests.factories import ActivityFactory, OccurrenceFactory, ReservationFactory, WalletFactory

pytestmark = pytest.mark.django_db
State = Reservation.State
TODAY = datetime.date(2026, 11, 16)
NOW = datetime.datetime(2026, 11, 16, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture
def wallets(family):
    return {
        "restauration": WalletFactory(structure=family.structure, name="Restauration", mode=Wallet.Mode.PREPAID),
        "loisirs": WalletFactory(structure=family.structure, name="Accueil de Loisirs", mode=Wallet.Mode.PREPAID),
        "facture": WalletFactory(structure=family.structure, name="Accueil Périscolaire", mode=Wallet.Mode.INVOICED),
    }


@pytest.fixture
def booked(family, wallets):
    """Reservations of the family in every state, spread around today."""
    child = family.children.get()
    canteen = ActivityFactory(structure=family.structure, wallet=wallets["restauration"])
    leisure = ActivityFactory(structure=family.structure, wallet=wallets["loisirs"])
    invoiced = ActivityFactory(structure=family.structure, wallet=wallets["facture"])

    def book(activity, day, state, cost, **extra):
        occurrence = OccurrenceFactory(activity=activity, date=day)
        return ReservationFactory(occurrence=occurrence, family=family, child=child, state=state, cost=Decimal(cost), **extra)

    book(canteen, TODAY, State.ACCEPTED, "3.10")
    book(canteen, datetime.date(2026, 11, 20), State.ACCEPTED, "3.10")
    book(canteen, datetime.date(2026, 11, 23), State.ACCEPTED, "3.10", cancel_requested_at=timezone.now())
    book(canteen, datetime.date(2026, 11, 13), State.ACCEPTED, "3.10")        # yesterday's: already consumed
    book(canteen, datetime.date(2026, 12, 10), State.ACCEPTED, "3.10")        # after the chosen date
    book(canteen, datetime.date(2026, 11, 24), State.NOT_TRANSMITTED, "3.10")
    book(leisure, datetime.date(2026, 11, 25), State.AWAITING_DECISION, "12.00")
    book(leisure, datetime.date(2026, 11, 26), State.WAITING_LIST, "12.00")
    book(leisure, datetime.date(2026, 11, 27), State.CANCELLED, "12.00")
    book(leisure, datetime.date(2026, 11, 30), State.REFUSED, "12.00")
    book(leisure, datetime.date(2026, 11, 18), State.ACCEPTED, "12.50")
    book(invoiced, datetime.date(2026, 11, 19), State.ACCEPTED, "1.85")       # invoiced wallet: never estimated
    book(invoiced, datetime.date(2026, 11, 20), State.NOT_TRANSMITTED, "1.85")
    # Another family of the same structure, same wallet: never counted.
    ReservationFactory(occurrence=canteen.occurrences.get(date=datetime.date(2026, 11, 20)), state=State.ACCEPTED,
                       cost=Decimal("99.00"))
    return wallets


UNTIL = datetime.date(2026, 11, 30)


def estimate(family, **kinds):
    return reservations_estimate(family=family, until=UNTIL, today=TODAY, **kinds)


def test_confirmed_counts_accepted_requests_from_today_to_the_date_per_prepaid_wallet(family, booked):
    assert estimate(family, include_confirmed=True, include_pending=False) == {
        booked["restauration"].pk: Decimal("6.20"), booked["loisirs"].pk: Decimal("12.50")}


def test_pending_counts_not_transmitted_awaiting_and_waiting_listed_requests(family, booked):
    assert estimate(family, include_confirmed=False, include_pending=True) == {
        booked["restauration"].pk: Decimal("3.10"), booked["loisirs"].pk: Decimal("24.00")}


def test_both_kinds_add_up_and_none_gives_nothing(family, booked):
    assert estimate(family, include_confirmed=True, include_pending=True) == {
        booked["restauration"].pk: Decimal("9.30"), booked["loisirs"].pk: Decimal("36.50")}
    assert estimate(family, include_confirmed=False, include_pending=False) == {}


def test_a_date_in_the_past_estimates_nothing(family, booked):
    assert reservations_estimate(family=family, until=TODAY - datetime.timedelta(days=1), today=TODAY,
                                 include_confirmed=True, include_pending=True) == {}


@time_machine.travel(NOW, tick=False)
def test_the_balance_page_shows_the_estimate_per_wallet_and_zero_for_invoiced(parent_client, family, booked):
    response = parent_client.get(reverse("billing:balance"), {"jusqu_au": "30/11/2026", "confirmees": "on", "en_attente": "on"})

    assert response.status_code == 200
    rows = {row.wallet.name: row.estimated for row in response.context["summary"].wallets}
    assert rows == {"Restauration": Decimal("9.30"), "Accueil de Loisirs": Decimal("36.50"),
                    "Accueil Périscolaire": Decimal("0.00")}
    assert response.context["summary"].reservations_amount == Decimal("45.80")
    assert "45,80" in response.text


@time_machine.travel(NOW, tick=False)
def test_the_balance_page_with_confirmed_only(parent_client, family, booked):
    response = parent_client.get(reverse("billing:balance"), {"jusqu_au": "2026-11-30", "confirmees": "on"})
    assert response.context["summary"].reservations_amount == Decimal("18.70")
