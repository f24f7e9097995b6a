"""The cart's summary ("Valider"): two tables priced by the server, a token, a fingerprint."""
import datetime
import uuid
from decimal import Decimal

import pytest
from django.utils import translation

from reservations.booking.cart import cart_toggle
from reservations.booking.summary import SummaryNotShown, cart_summary, summary_shown
from reservations.models import DeadlineRule, Reservation
from reservations.tests.booking_world import NOW, make_world
from reservations.tests.factories import DeadlineRuleFactory, ReservationFactory

pytestmark = pytest.mark.django_db
D = datetime.date
State = Reservation.State


@pytest.fixture(autouse=True)
def french():
    with translation.override("fr"):
        yield


def test_summary_has_bookings_and_cancellations_with_server_prices():
    world = make_world()
    child = world.children[0]
    booked = ReservationFactory(family=world.family, child=child, occurrence=world.occurrences[D(2026, 12, 2)],
                                state=State.ACCEPTED, cost="3.59")
    cart_toggle(family=world.family, child=child, occurrence=world.occurrences[D(2026, 12, 1)], now=NOW)
    cart_toggle(family=world.family, child=child, occurrence=booked.occurrence, now=NOW)
    summary = cart_summary(family=world.family, now=NOW)
    assert [line.date for line in summary.bookings] == [D(2026, 12, 1)]
    assert [line.date for line in summary.cancellations] == [D(2026, 12, 2)]
    assert summary.total_bookings == Decimal("3.59") and summary.bookings[0].child == "Emmy"
    shown = summary_shown(family=world.family, token=summary.token, fingerprint=summary.fingerprint)
    assert sorted(shown.seen) == sorted(line.line_id for line in summary.bookings + summary.cancellations)


def test_each_summary_issues_its_own_token_for_this_family_only():
    world, other = make_world(), make_world()
    first, second = cart_summary(family=world.family, now=NOW), cart_summary(family=world.family, now=NOW)
    ids = {summary_shown(family=world.family, token=s.token, fingerprint=s.fingerprint).confirmation_id
           for s in (first, second)}
    assert len(ids) == 2 and all(isinstance(value, uuid.UUID) for value in ids)
    with pytest.raises(SummaryNotShown):
        summary_shown(family=other.family, token=first.token, fingerprint=first.fingerprint)


def test_summary_warns_line_by_line_when_a_booking_could_not_be_cancelled_once_confirmed():
    # "Réservation jusqu'à la veille 09:00 ; annulation jusqu'à 7 jours avant" (Thursday 26 November).
    world = make_world()
    world.activity.cancellation_rule = DeadlineRuleFactory(structure=world.structure, name="7 jours avant",
                                                           kind=DeadlineRule.Kind.DAYS_BEFORE, days=7, at_time=datetime.time(0))
    world.activity.save(update_fields=["cancellation_rule"])
    child = world.children[0]
    for day in (D(2026, 12, 1), D(2026, 12, 10)):
        cart_toggle(family=world.family, child=child, occurrence=world.occurrences[day], now=NOW)
    summary = cart_summary(family=world.family, now=NOW)
    warnings = {line.date: line.warning for line in summary.bookings}
    assert warnings[D(2026, 12, 1)] == ("Une fois validée, cette réservation ne pourra plus être annulée "
                                        "(délai d'annulation dépassé).")
    assert warnings[D(2026, 12, 10)] == ""
