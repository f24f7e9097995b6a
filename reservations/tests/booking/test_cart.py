"""The server-side cart: lines added and taken back, week patterns, clearing."""
import datetime
from decimal import Decimal

import pytest

from accounts.tests.factories import ChildFactory, FamilyFactory
from billing.models import Tariff
from reservations.booking import cart
from reservations.booking.cart import BookingRefused, cart_clear, cart_toggle, cart_week_pattern
from reservations.booking.confirmation import cart_confirm
from reservations.booking.summary import cart_summary
from reservations.models import CartLine, Closure, Reservation
from reservations.tests.booking_world import NOW, make_activity, make_world
from reservations.tests.factories import ClosureFactory, EnrolmentFactory, OccurrenceFactory, ReservationFactory

pytestmark = pytest.mark.django_db
D = datetime.date
State = Reservation.State


def test_toggle_adds_a_booking_line_then_takes_it_back():
    world = make_world()
    child, occurrence = world.children[0], world.occurrences[D(2026, 12, 1)]
    assert cart_toggle(family=world.family, child=child, occurrence=occurrence, now=NOW) == "book"
    assert CartLine.objects.get().action == "book"
    assert cart_toggle(family=world.family, child=child, occurrence=occurrence, now=NOW) == "removed"
    assert not CartLine.objects.exists()


def test_toggle_meeting_a_line_added_since_its_read_keeps_one_line(monkeypatch):
    """The htmx toggle decides from the day's context whether there is a line to take out; a line
    another tab added after that read meets the insert's conflict: one line, no error."""
    world = make_world()
    child, occurrence = world.children[0], world.occurrences[D(2026, 12, 1)]
    read = cart._day_context

    def read_then_other_tab_adds(**kwargs):
        ctx = read(**kwargs)
        CartLine.objects.create(family=world.family, child=child, occurrence=occurrence, action="book")
        return ctx

    monkeypatch.setattr(cart, "_day_context", read_then_other_tab_adds)
    toggled = cart.cart_toggle_line(family=world.family, child=child, occurrence=occurrence, now=NOW, day_after=True)
    assert toggled.done == "book"
    assert CartLine.objects.filter(family=world.family).count() == 1
    monkeypatch.setattr(cart, "_day_context", read)
    assert cart.cart_toggle_line(family=world.family, child=child, occurrence=occurrence, now=NOW,
                                 day_after=True).done == "removed"
    assert not CartLine.objects.exists()


def test_toggle_on_a_booked_day_adds_a_cancel_line():
    world = make_world()
    child, occurrence = world.children[0], world.occurrences[D(2026, 12, 1)]
    ReservationFactory(family=world.family, child=child, occurrence=occurrence, state=State.ACCEPTED)
    assert cart_toggle(family=world.family, child=child, occurrence=occurrence, now=NOW) == "cancel"


@pytest.mark.parametrize(("day", "message"), [
    (D(2026, 11, 26), "Hors délai"),       # the deadline was yesterday 09:00
    (D(2026, 12, 25), "Fermé"),             # Christmas
])
def test_toggle_refuses_out_of_deadline_and_closed_days(day, message):
    world = make_world()
    with pytest.raises(BookingRefused) as refused:
        cart_toggle(family=world.family, child=world.children[0], occurrence=world.occurrences[day], now=NOW)
    assert message in refused.value.message
    assert not CartLine.objects.exists()


def test_toggle_refuses_a_child_not_enrolled_and_another_familys_child():
    world = make_world()
    other_activity = make_activity(world.structure, name="Garderie")
    occurrence = OccurrenceFactory(activity=other_activity, date=D(2026, 12, 2))
    with pytest.raises(BookingRefused, match="pas inscrit"):
        cart_toggle(family=world.family, child=world.children[0], occurrence=occurrence, now=NOW)
    stranger = ChildFactory(family=FamilyFactory(structure=world.structure))
    with pytest.raises(BookingRefused):
        cart_toggle(family=world.family, child=stranger, occurrence=world.occurrences[D(2026, 12, 2)], now=NOW)


def test_toggle_refuses_a_full_day_but_accepts_one_with_waiting_room():
    world = make_world(places=1, waiting=1)
    occurrence = world.occurrences[D(2026, 12, 1)]
    ReservationFactory(occurrence=occurrence, state=State.ACCEPTED)
    assert cart_toggle(family=world.family, child=world.children[0], occurrence=occurrence, now=NOW) == "book"
    CartLine.objects.all().delete()
    ReservationFactory(occurrence=occurrence, state=State.WAITING_LIST)
    with pytest.raises(BookingRefused, match="complète"):
        cart_toggle(family=world.family, child=world.children[0], occurrence=occurrence, now=NOW)


def test_toggle_refuses_before_the_booking_window_opens():
    world = make_world()
    world.activity.opens_days_ahead = 10
    world.activity.save()
    with pytest.raises(BookingRefused, match="ouvrent le"):
        cart_toggle(family=world.family, child=world.children[0], occurrence=world.occurrences[D(2026, 12, 21)], now=NOW)


def test_typed_arrival_time_is_bounded_and_prices_per_quarter_hour():
    world = make_world()
    aps = make_activity(world.structure, name="APS MATIN", amount="0.2125", tariff_kind=Tariff.Kind.PER_TIME_UNIT,
                        unit_minutes=15, arrival_time=datetime.time(7, 0), departure_time=datetime.time(8, 40),
                        arrival_typed=True, arrival_earliest=datetime.time(7, 0), arrival_latest=datetime.time(8, 30))
    child = world.children[0]
    EnrolmentFactory(child=child, activity=aps)
    occurrence = OccurrenceFactory(activity=aps, date=D(2026, 12, 1))
    for bad in ("25:00", "-1:00", "06:00", "08:45", "n'importe"):
        with pytest.raises(BookingRefused, match="Heure d'arrivée"):
            cart_toggle(family=world.family, child=child, occurrence=occurrence, now=NOW, arrival_time=bad)
    assert not CartLine.objects.exists()
    cart_toggle(family=world.family, child=child, occurrence=occurrence, now=NOW, arrival_time="07:30")
    summary = cart_summary(family=world.family, now=NOW)
    # 07:30 → 08:40 = 70 min = 5 started quarter hours × 0.2125 = 1.0625 → 1.06
    assert summary.bookings[0].cost == Decimal("1.06")
    result = cart_confirm(family=world.family, token=summary.token, summary_fingerprint=summary.fingerprint, now=NOW,
                          user=world.user)
    reservation = Reservation.objects.get()
    assert result.lines[0].outcome == "booked"
    assert (reservation.arrival_time, reservation.quantity, reservation.cost) == (datetime.time(7, 30), Decimal("5"),
                                                                                  Decimal("1.06"))


def test_week_pattern_adds_eligible_days_and_says_why_others_are_skipped():
    world = make_world()
    ClosureFactory(structure=world.structure, kind=Closure.Kind.SCHOOL_HOLIDAYS, label="Vacances de Noël",
                   start_date=D(2026, 12, 19), end_date=D(2027, 1, 3))
    result = cart_week_pattern(family=world.family, child=world.children[0], activity=world.activity,
                               weekdays=[0, 1, 3, 4], start=D(2026, 11, 26), end=D(2026, 12, 31), action="book", now=NOW)
    added = {occ.date for occ in result.added}
    skipped = {day: reason for day, _name, reason in result.skipped}
    assert D(2026, 11, 30) in added and D(2026, 12, 18) in added and D(2026, 12, 2) not in added  # Wednesday not asked
    assert "Hors délai" in skipped[D(2026, 11, 26)] and "Hors délai" in skipped[D(2026, 11, 27)]
    assert "Vacances de Noël" in skipped[D(2026, 12, 21)]
    assert CartLine.objects.filter(family=world.family).count() == len(added) == 12
    again = cart_week_pattern(family=world.family, child=world.children[0], activity=world.activity,
                              weekdays=[0], start=D(2026, 11, 30), end=D(2026, 12, 7), action="book", now=NOW)
    assert not again.added and all(reason == "déjà dans le panier" for _d, _n, reason in again.skipped)


def test_week_pattern_rejects_bad_input():
    world = make_world()
    kwargs = {"family": world.family, "child": world.children[0], "activity": world.activity, "now": NOW, "action": "book"}
    with pytest.raises(BookingRefused):
        cart_week_pattern(weekdays=[], start=D(2026, 12, 1), end=D(2026, 12, 31), **kwargs)
    with pytest.raises(BookingRefused):
        cart_week_pattern(weekdays=[0], start=D(2026, 12, 31), end=D(2026, 12, 1), **kwargs)
    with pytest.raises(BookingRefused):
        cart_week_pattern(weekdays=[0], start=D(2026, 1, 1), end=D(2028, 1, 1), **kwargs)


def test_cart_clear_drops_only_this_familys_lines():
    world = make_world()
    other = make_world()
    cart_toggle(family=world.family, child=world.children[0], occurrence=world.occurrences[D(2026, 12, 1)], now=NOW)
    cart_toggle(family=other.family, child=other.children[0], occurrence=other.occurrences[D(2026, 12, 1)], now=NOW)
    assert cart_clear(family=world.family) == 1
    assert CartLine.objects.get().family == other.family
