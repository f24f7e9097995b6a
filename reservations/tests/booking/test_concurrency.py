"""Many parents confirming at the same moment on one day: exactly P placed, W waiting, the rest full.

Real threads, each with its own PostgreSQL connection, released together by a barrier.
The control runs the same confirmation with the day's counters read without the lock
(patched here, in the test: production code has no switch for it) and shows the
overbooking. After every storm the counters equal a recount from the rows.
"""
import datetime
import threading

import pytest
from django.db import connection, connections, transaction

from accounts.tests.factories import ChildFactory, FamilyFactory
from reservations import counters, locking
from reservations.booking import confirmation
from reservations.booking.summary import cart_summary
from reservations.models import CartLine, Occurrence, Reservation
from reservations.tests.booking_world import NOW, make_world
from reservations.tests.factories import EnrolmentFactory

pytestmark = pytest.mark.django_db(transaction=True)

PLACES, WAITING, PARENTS = 3, 2, 10


def crowd(parents=PARENTS):
    """One day with PLACES + WAITING room and `parents` families each with that day in the cart."""
    world = make_world(places=PLACES, waiting=WAITING, start=NOW.date().replace(day=30), end=NOW.date().replace(day=30))
    occurrence = next(iter(world.occurrences.values()))
    families = [world.family]
    for _index in range(parents - 1):
        families.append(FamilyFactory(structure=world.structure))
    for family in families:
        child = family.children.first() or ChildFactory(family=family)
        if not child.enrolments.exists():
            EnrolmentFactory(child=child, activity=world.activity)
        CartLine.objects.create(family=family, child=child, occurrence=occurrence, action="book")
    return occurrence, families


def run_together(families):
    """Every family confirms in its own thread (own connection), all released at once."""
    start = threading.Barrier(len(families))
    outcomes, errors = [], []

    def confirm(family):
        try:
            summary = cart_summary(family=family, now=NOW)
            start.wait(timeout=10)
            result = confirmation.cart_confirm(family=family, token=summary.token, summary_fingerprint=summary.fingerprint,
                                               now=NOW)
            outcomes.extend(row.outcome for row in result.lines)
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=confirm, args=(family,)) for family in families]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return outcomes


def test_simultaneous_confirmations_place_exactly_p_and_wait_list_exactly_w():
    occurrence, families = crowd()
    outcomes = run_together(families)
    assert outcomes.count("booked") == PLACES
    assert outcomes.count("waiting") == WAITING
    assert outcomes.count("full") == PARENTS - PLACES - WAITING
    live = Reservation.objects.filter(occurrence=occurrence, state=Reservation.State.NOT_TRANSMITTED)
    assert live.filter(waiting_mark=False).count() == PLACES
    assert live.filter(waiting_mark=True).count() == WAITING
    assert not CartLine.objects.exists()


def test_the_same_summary_confirmed_twice_at_once_records_once():
    """A double click reaching two workers: one transaction records the cart, the other meets its
    confirmation (the token's conflict, or the stored row) and answers the same result, replayed."""
    occurrence, families = crowd(parents=1)
    family = families[0]
    summary = cart_summary(family=family, now=NOW)
    start = threading.Barrier(2)
    results, errors = [], []

    def confirm():
        try:
            start.wait(timeout=10)
            results.append(confirmation.cart_confirm(family=family, token=summary.token,
                                                     summary_fingerprint=summary.fingerprint, now=NOW))
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=confirm) for _index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sorted(result.replayed for result in results) == [False, True]
    assert [[row.outcome for row in result.lines] for result in results] == [["booked"], ["booked"]]
    assert Reservation.objects.filter(occurrence=occurrence, family=family).count() == 1


def test_control_without_the_lock_overbooks(monkeypatch):
    """Same crowd, the day's counters read without the lock and every thread reading them
    before anyone writes: everybody "gets" one of the 3 places."""
    occurrence, families = crowd()
    after_check = threading.Barrier(len(families))

    def read_without_lock_then_wait_for_the_others(occurrence_ids, *, family_id, child_ids):
        rows = (Occurrence.objects.filter(pk__in=sorted(occurrence_ids))
                .values_list("pk", "places", "waiting_places", "places_taken", "waiting_places_taken", "is_closed"))
        claims = {pk: counters.Claim(*numbers, requests="") for pk, *numbers in rows}   # no earlier request
        after_check.wait(timeout=10)
        return claims

    monkeypatch.setattr(confirmation, "occurrences_claim", read_without_lock_then_wait_for_the_others)
    outcomes = run_together(families)
    assert outcomes.count("booked") == PARENTS
    assert Reservation.objects.filter(occurrence=occurrence, waiting_mark=False).count() > PLACES
    # The trigger still counted every row: the counter is true, and shows the overbooking.
    occurrence.refresh_from_db()
    assert occurrence.places_taken == PARENTS > occurrence.places
    assert counters.counters_recount() == []


def test_storm_on_hot_and_spread_days_leaves_counters_equal_to_a_recount():
    """Two crowds at once: 12 families on one day, 12 spread over 4 days of 2 places (3 each)."""
    occurrence, families = crowd(parents=12)
    spread_world = make_world(places=2, waiting=0, start=NOW.date().replace(day=30) + datetime.timedelta(days=4),
                              end=NOW.date().replace(day=30) + datetime.timedelta(days=10))
    spread_days = sorted(spread_world.occurrences.values(), key=lambda day: day.date)[:4]
    spread_families = []
    for index in range(12):
        family = FamilyFactory(structure=spread_world.structure)
        child = ChildFactory(family=family)
        EnrolmentFactory(child=child, activity=spread_world.activity)
        CartLine.objects.create(family=family, child=child, occurrence=spread_days[index % 4], action="book")
        spread_families.append(family)
    outcomes = run_together(families + spread_families)
    assert outcomes.count("booked") == PLACES + 4 * 2
    assert outcomes.count("waiting") == WAITING
    assert outcomes.count("full") == 12 - PLACES - WAITING + 4 * 1
    assert counters.counters_recount() == []
    for day in [occurrence, *spread_days]:
        day.refresh_from_db()
        booked = Reservation.objects.filter(occurrence=day, state=Reservation.State.NOT_TRANSMITTED)
        assert day.places_taken == booked.filter(waiting_mark=False).count() == day.places
        assert day.waiting_places_taken == booked.filter(waiting_mark=True).count()


def test_lock_timeout_becomes_a_polite_busy_error(monkeypatch):
    occurrence, families = crowd(parents=1)
    monkeypatch.setattr(locking, "LOCK_TIMEOUT", "200ms")
    holding, release = threading.Event(), threading.Event()

    def hold_the_day():
        try:
            with transaction.atomic():
                list(Occurrence.objects.select_for_update().filter(pk=occurrence.pk))
                holding.set()
                release.wait(timeout=10)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_the_day)
    holder.start()
    try:
        assert holding.wait(timeout=10)
        summary = cart_summary(family=families[0], now=NOW)
        with pytest.raises(locking.CartBusy):
            confirmation.cart_confirm(family=families[0], token=summary.token, summary_fingerprint=summary.fingerprint,
                                      now=NOW)
    finally:
        release.set()
        holder.join(timeout=10)
    assert not Reservation.objects.exists() and CartLine.objects.count() == 1
    assert connection.in_atomic_block is False
