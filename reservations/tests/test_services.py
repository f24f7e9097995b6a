"""The server-side cart and its two-step confirmation."""
import datetime
import uuid
from decimal import Decimal

import pytest

from accounts.tests.factories import ChildFactory, FamilyFactory
from billing.models import Tariff
from reservations import services
from reservations.models import CartConfirmation, CartLine, Closure, Reservation, ReservationEvent
from reservations.services import BookingRefused, cart_clear, cart_confirm, cart_summary, cart_toggle, cart_week_pattern
from reservations.tests.booking_world import NOW, make_activity, make_world
from reservations.tests.factories import ClosureFactory, EnrolmentFactory, OccurrenceFactory, ReservationFactory

pytestmark = pytest.mark.django_db
D = datetime.date
State = Reservation.State


def confirm(world, now=NOW, fingerprint=""):
    summary = cart_summary(family=world.family, now=now)
    return cart_confirm(family=world.family, token=summary.token, summary_fingerprint=fingerprint or summary.fingerprint,
                        now=now, user=world.user)


def test_toggle_adds_a_booking_line_then_takes_it_back():
    world = make_world()
    child, occurrence = world.children[0], world.occurrences[D(2026, 12, 1)]
    assert cart_toggle(family=world.family, child=child, occurrence=occurrence, now=NOW) == "book"
    assert CartLine.objects.get().action == "book"
    assert cart_toggle(family=world.family, child=child, occurrence=occurrence, now=NOW) == "removed"
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
    result = cart_confirm(family=world.family, token=summary.token, summary_fingerprint=summary.fingerprint, now=NOW, user=world.user)
    reservation = Reservation.objects.get()
    assert result["lines"][0]["outcome"] == "booked"
    assert (reservation.arrival_time, reservation.quantity, reservation.cost) == (datetime.time(7, 30), Decimal("5"), Decimal("1.06"))


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
    assert uuid.UUID(summary.token) and summary.fingerprint


def test_confirm_places_then_waiting_lists_then_refuses_when_full():
    world = make_world(places=1, waiting=1, children=3)
    occurrence = world.occurrences[D(2026, 12, 1)]
    for child in world.children:
        cart_toggle(family=world.family, child=child, occurrence=occurrence, now=NOW)
    result = confirm(world)
    outcomes = [(row["child"], row["outcome"], row["observation"]) for row in result["lines"]]
    assert outcomes == [
        ("Amalia", "booked", "Demande enregistrée (non transmise)"),
        ("Emmy", "waiting", "Mise en liste d'attente"),
        ("Paolo", "full", "Non traitée, activité complète"),
    ]
    assert Reservation.objects.filter(waiting_mark=False, state=State.NOT_TRANSMITTED).count() == 1
    assert Reservation.objects.filter(waiting_mark=True, state=State.NOT_TRANSMITTED).count() == 1
    events = ReservationEvent.objects.order_by("id")
    assert [(e.kind, e.actor_id, e.note) for e in events] == [
        ("requested", world.user.id, ""), ("requested", world.user.id, "Mise en liste d'attente")]
    assert not CartLine.objects.exists()


def test_confirm_records_the_price_quoted_at_confirm_time():
    world = make_world()
    cart_toggle(family=world.family, child=world.children[0], occurrence=world.occurrences[D(2026, 12, 1)], now=NOW)
    confirm(world)
    reservation = Reservation.objects.get()
    assert (reservation.unit_price, reservation.quantity, reservation.cost) == (Decimal("3.59"), Decimal("1"), Decimal("3.59"))
    assert reservation.submitted_at == NOW and reservation.confirmation.family == world.family


def test_replaying_the_same_token_records_nothing_twice():
    world = make_world()
    cart_toggle(family=world.family, child=world.children[0], occurrence=world.occurrences[D(2026, 12, 1)], now=NOW)
    summary = cart_summary(family=world.family, now=NOW)
    first = cart_confirm(family=world.family, token=summary.token, summary_fingerprint=summary.fingerprint, now=NOW, user=world.user)
    # The parent adds another day, then the old form is replayed (back button / double click).
    cart_toggle(family=world.family, child=world.children[0], occurrence=world.occurrences[D(2026, 12, 2)], now=NOW)
    second = cart_confirm(family=world.family, token=summary.token, summary_fingerprint=summary.fingerprint, now=NOW, user=world.user)
    assert second["replayed"] and second["lines"] == first["lines"]
    assert Reservation.objects.count() == 1 and CartConfirmation.objects.count() == 1
    assert CartLine.objects.count() == 1  # the new line waits for its own confirmation


def test_a_token_of_another_family_or_garbage_is_refused():
    world = make_world()
    other = make_world()
    cart_toggle(family=other.family, child=other.children[0], occurrence=other.occurrences[D(2026, 12, 1)], now=NOW)
    token = cart_summary(family=other.family, now=NOW).token
    cart_confirm(family=other.family, token=token, now=NOW, user=other.user)
    with pytest.raises(BookingRefused):
        cart_confirm(family=world.family, token=token, now=NOW, user=world.user)
    with pytest.raises(BookingRefused):
        cart_confirm(family=world.family, token="pas-un-jeton", now=NOW, user=world.user)


def test_confirm_rechecks_the_deadline_at_that_moment():
    world = make_world()
    cart_toggle(family=world.family, child=world.children[0], occurrence=world.occurrences[D(2026, 11, 30)], now=NOW)
    later = datetime.datetime(2026, 11, 29, 9, 1, tzinfo=NOW.tzinfo)
    result = confirm(world, now=later)
    assert result["lines"][0]["outcome"] == "refused" and "Hors délai" in result["lines"][0]["observation"]
    assert not Reservation.objects.exists()


def test_confirm_tells_what_changed_since_the_summary():
    world = make_world(places=1, waiting=1)
    occurrence = world.occurrences[D(2026, 12, 1)]
    cart_toggle(family=world.family, child=world.children[0], occurrence=occurrence, now=NOW)
    summary = cart_summary(family=world.family, now=NOW)
    assert summary.bookings[0].status == "ok"
    ReservationFactory(occurrence=occurrence, state=State.NOT_TRANSMITTED)  # someone else took the place
    rate = world.activity.tariff.rates.get()
    rate.amount = Decimal("4.10")
    rate.save()
    result = cart_confirm(family=world.family, token=summary.token, summary_fingerprint=summary.fingerprint, now=NOW, user=world.user)
    assert any("3,59" in change and "4,10" in change for change in result["changes"])
    assert any("disponibilité a changé" in change for change in result["changes"])
    assert result["lines"][0]["outcome"] == "waiting"
    assert Reservation.objects.get(child=world.children[0]).cost == Decimal("4.10")


def test_cancelling_a_not_transmitted_request_cancels_at_once():
    world = make_world()
    child, occurrence = world.children[0], world.occurrences[D(2026, 12, 1)]
    cart_toggle(family=world.family, child=child, occurrence=occurrence, now=NOW)
    confirm(world)
    assert cart_toggle(family=world.family, child=child, occurrence=occurrence, now=NOW) == "cancel"
    result = confirm(world)
    reservation = Reservation.objects.get()
    assert result["lines"][0]["outcome"] == "cancelled" and reservation.state == State.CANCELLED
    assert reservation.events.last().kind == "cancelled"


def test_cancelling_an_accepted_request_records_a_cancellation_request():
    world = make_world()
    child, occurrence = world.children[0], world.occurrences[D(2026, 12, 1)]
    reservation = ReservationFactory(family=world.family, child=child, occurrence=occurrence, state=State.ACCEPTED)
    cart_toggle(family=world.family, child=child, occurrence=occurrence, now=NOW)
    result = confirm(world)
    reservation.refresh_from_db()
    assert result["lines"][0]["outcome"] == "cancel_requested"
    assert reservation.state == State.ACCEPTED and reservation.cancel_requested_at == NOW
    event = reservation.events.get()
    assert (event.kind, event.actor_id) == ("cancel_requested", world.user.id)
    with pytest.raises(BookingRefused):  # neither bookable nor cancellable again until the night
        cart_toggle(family=world.family, child=child, occurrence=occurrence, now=NOW)


def test_busy_lock_becomes_cart_busy(monkeypatch):
    world = make_world()
    cart_toggle(family=world.family, child=world.children[0], occurrence=world.occurrences[D(2026, 12, 1)], now=NOW)
    from django.db import OperationalError

    def boom(**kwargs):
        raise OperationalError("canceling statement due to lock timeout")

    monkeypatch.setattr(services, "_confirm_locked", boom)
    with pytest.raises(services.CartBusy):
        confirm(world)
