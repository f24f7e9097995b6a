"""The cart's confirmation ("Valider réellement"): re-checked under lock, recorded once."""
import datetime
import uuid
from decimal import Decimal

import pytest
import time_machine

from reservations.booking import confirmation
from reservations.booking.cart import BookingRefused, cart_toggle
from reservations.booking.confirmation import cart_confirm
from reservations.booking.summary import SUMMARY_MAX_AGE, SummaryNotShown, cart_summary
from reservations.locking import CartBusy
from reservations.models import CartConfirmation, CartLine, Reservation, ReservationEvent
from reservations.tests.booking_world import NOW, make_world
from reservations.tests.factories import ReservationFactory

pytestmark = pytest.mark.django_db
D = datetime.date
State = Reservation.State


def confirm(world, now=NOW):
    summary = cart_summary(family=world.family, now=now)
    return cart_confirm(family=world.family, token=summary.token, summary_fingerprint=summary.fingerprint,
                        now=now, user=world.user)


def test_confirm_places_then_waiting_lists_then_refuses_when_full():
    world = make_world(places=1, waiting=1, children=3)
    occurrence = world.occurrences[D(2026, 12, 1)]
    for child in world.children:
        cart_toggle(family=world.family, child=child, occurrence=occurrence, now=NOW)
    result = confirm(world)
    outcomes = [(row.child, row.outcome, row.observation) for row in result.lines]
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
    first = cart_confirm(family=world.family, token=summary.token, summary_fingerprint=summary.fingerprint, now=NOW,
                         user=world.user)
    # The parent adds another day, then the old form is replayed (back button / double click).
    cart_toggle(family=world.family, child=world.children[0], occurrence=world.occurrences[D(2026, 12, 2)], now=NOW)
    second = cart_confirm(family=world.family, token=summary.token, summary_fingerprint=summary.fingerprint, now=NOW,
                          user=world.user)
    assert second.replayed and second.lines == first.lines
    assert Reservation.objects.count() == 1 and CartConfirmation.objects.count() == 1
    assert CartLine.objects.count() == 1  # the new line waits for its own confirmation


def test_a_token_of_another_family_or_garbage_is_refused():
    world = make_world()
    other = make_world()
    cart_toggle(family=other.family, child=other.children[0], occurrence=other.occurrences[D(2026, 12, 1)], now=NOW)
    summary = cart_summary(family=other.family, now=NOW)
    cart_confirm(family=other.family, token=summary.token, summary_fingerprint=summary.fingerprint, now=NOW, user=other.user)
    with pytest.raises(SummaryNotShown):
        cart_confirm(family=world.family, token=summary.token, summary_fingerprint=summary.fingerprint, now=NOW, user=world.user)
    with pytest.raises(SummaryNotShown):
        cart_confirm(family=world.family, token="pas-un-jeton", summary_fingerprint="", now=NOW, user=world.user)


def test_confirming_without_the_summary_is_refused_and_records_nothing():
    """The two steps: a fresh UUID, a token without its fingerprint, a fingerprint of
    another summary or a forged token never confirm the cart."""
    world = make_world()
    cart_toggle(family=world.family, child=world.children[0], occurrence=world.occurrences[D(2026, 12, 1)], now=NOW)
    shown = cart_summary(family=world.family, now=NOW)
    another = cart_summary(family=world.family, now=NOW)
    attempts = [
        (str(uuid.uuid4()), ""),                        # what the old form accepted
        (str(uuid.uuid4()), shown.fingerprint),
        (shown.token, ""),
        (shown.token, another.fingerprint),             # both genuine, not of the same summary
        (shown.token[:-1] + ("A" if shown.token[-1] != "A" else "B"), shown.fingerprint),
    ]
    for token, fingerprint in attempts:
        with pytest.raises(SummaryNotShown) as refused:
            cart_confirm(family=world.family, token=token, summary_fingerprint=fingerprint, now=NOW, user=world.user)
        assert "affichez le récapitulatif avant de valider" in refused.value.message
    assert not Reservation.objects.exists() and not CartConfirmation.objects.exists()
    assert CartLine.objects.count() == 1


def test_a_summary_older_than_an_hour_is_refused_but_a_confirmed_one_still_replays():
    world = make_world()
    cart_toggle(family=world.family, child=world.children[0], occurrence=world.occurrences[D(2026, 12, 1)], now=NOW)
    cart_toggle(family=world.family, child=world.children[0], occurrence=world.occurrences[D(2026, 12, 2)], now=NOW)
    with time_machine.travel(NOW, tick=False) as clock:
        stale = cart_summary(family=world.family, now=NOW)
        clock.shift(SUMMARY_MAX_AGE + datetime.timedelta(seconds=1))
        with pytest.raises(SummaryNotShown) as refused:
            cart_confirm(family=world.family, token=stale.token, summary_fingerprint=stale.fingerprint, now=NOW, user=world.user)
        assert "affichez-le à nouveau" in refused.value.message and not Reservation.objects.exists()
        fresh = cart_summary(family=world.family, now=NOW)
        first = cart_confirm(family=world.family, token=fresh.token, summary_fingerprint=fresh.fingerprint, now=NOW,
                             user=world.user)
        clock.shift(datetime.timedelta(days=2))
        again = cart_confirm(family=world.family, token=fresh.token, summary_fingerprint=fresh.fingerprint, now=NOW,
                             user=world.user)
    assert again.replayed and again.lines == first.lines and len(first.lines) == 2
    assert Reservation.objects.count() == 2 and CartConfirmation.objects.count() == 1


def test_confirm_rechecks_the_deadline_at_that_moment():
    world = make_world()
    cart_toggle(family=world.family, child=world.children[0], occurrence=world.occurrences[D(2026, 11, 30)], now=NOW)
    later = datetime.datetime(2026, 11, 29, 9, 1, tzinfo=NOW.tzinfo)
    result = confirm(world, now=later)
    assert result.lines[0].outcome == "refused" and "Hors délai" in result.lines[0].observation
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
    result = cart_confirm(family=world.family, token=summary.token, summary_fingerprint=summary.fingerprint, now=NOW,
                          user=world.user)
    assert any("3,59" in change and "4,10" in change for change in result.changes)
    assert any("disponibilité a changé" in change for change in result.changes)
    assert result.lines[0].outcome == "waiting"
    assert Reservation.objects.get(child=world.children[0]).cost == Decimal("4.10")


def test_cancelling_a_not_transmitted_request_cancels_at_once():
    world = make_world()
    child, occurrence = world.children[0], world.occurrences[D(2026, 12, 1)]
    cart_toggle(family=world.family, child=child, occurrence=occurrence, now=NOW)
    confirm(world)
    assert cart_toggle(family=world.family, child=child, occurrence=occurrence, now=NOW) == "cancel"
    result = confirm(world)
    reservation = Reservation.objects.get()
    assert result.lines[0].outcome == "cancelled" and reservation.state == State.CANCELLED
    assert reservation.events.last().kind == "cancelled"


def test_cancelling_an_accepted_request_records_a_cancellation_request():
    world = make_world()
    child, occurrence = world.children[0], world.occurrences[D(2026, 12, 1)]
    reservation = ReservationFactory(family=world.family, child=child, occurrence=occurrence, state=State.ACCEPTED)
    cart_toggle(family=world.family, child=child, occurrence=occurrence, now=NOW)
    result = confirm(world)
    reservation.refresh_from_db()
    assert result.lines[0].outcome == "cancel_requested"
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

    monkeypatch.setattr(confirmation, "_confirm", boom)
    with pytest.raises(CartBusy):
        confirm(world)


def test_a_request_answered_between_the_checks_and_the_lock_is_read_again_under_the_lock(monkeypatch):
    """The checks run before the day's lock: if the night accepts the request the parent
    cancels in between, the confirmation reads it again under the lock and records a
    cancellation request, not a withdrawal of a request not transmitted."""
    world = make_world()
    child, occurrence = world.children[0], world.occurrences[D(2026, 12, 1)]
    cart_toggle(family=world.family, child=child, occurrence=occurrence, now=NOW)
    confirm(world)
    reservation = Reservation.objects.get()
    cart_toggle(family=world.family, child=child, occurrence=occurrence, now=NOW)
    prepared = []
    real_prepare = confirmation._prepare

    def prepare_then_the_night_accepts(**kwargs):
        plan = real_prepare(**kwargs)
        if not prepared:
            Reservation.objects.filter(pk=reservation.pk).update(state=State.ACCEPTED)
        prepared.append(plan)
        return plan

    monkeypatch.setattr(confirmation, "_prepare", prepare_then_the_night_accepts)
    result = confirm(world)
    assert len(prepared) == 2   # read again under the lock
    reservation.refresh_from_db()
    assert result.lines[0].outcome == "cancel_requested"
    assert reservation.state == State.ACCEPTED and reservation.cancel_requested_at == NOW


def test_the_confirmation_says_how_long_the_day_stayed_locked():
    world = make_world()
    cart_toggle(family=world.family, child=world.children[0], occurrence=world.occurrences[D(2026, 12, 1)], now=NOW)
    result = confirm(world)
    assert result.lock_held is not None and 0 < result.lock_held < 5
    assert CartConfirmation.objects.get().result["lines"][0]["outcome"] == "booked"
