"""Calendar reads: states per day, places, deadlines in words, cost, constant query counts."""
import datetime

import pytest
from django.utils import translation

from reservations.booking.cart import cart_toggle
from reservations.booking.selectors import availability_check, calendar_day, calendar_month
from reservations.models import DeadlineRule, Reservation
from reservations.rules import states
from reservations.tests.booking_world import NOW, make_activity, make_world
from reservations.tests.factories import DeadlineRuleFactory, EnrolmentFactory, OccurrenceFactory, ReservationFactory

pytestmark = pytest.mark.django_db
D = datetime.date
State = Reservation.State


@pytest.fixture(autouse=True)
def french():
    with translation.override("fr"):
        yield


def cell(view, day):
    return next(c for week in view.weeks for c in week if c.date == day)


def test_month_grid_runs_monday_to_sunday_with_states_for_one_activity():
    world = make_world(places=2, waiting=1)
    child = world.children[0]
    ReservationFactory(occurrence=world.occurrences[D(2026, 12, 3)], state=State.ACCEPTED)
    ReservationFactory(occurrence=world.occurrences[D(2026, 12, 3)], state=State.ACCEPTED)
    ReservationFactory(family=world.family, child=child, occurrence=world.occurrences[D(2026, 12, 4)], state=State.ACCEPTED)
    view = calendar_month(family=world.family, child=child, month=D(2026, 12, 1), activity=world.activity, now=NOW)
    assert view.weeks[0][0].date == D(2026, 11, 30) and view.weeks[-1][-1].date == D(2027, 1, 3)
    assert all(len(week) == 7 for week in view.weeks)
    assert cell(view, D(2026, 12, 1)).state is states.OPEN
    assert cell(view, D(2026, 12, 1)).slot.places_left == 2
    assert cell(view, D(2026, 12, 3)).state is states.WAITLIST_OPEN
    assert cell(view, D(2026, 12, 4)).state is states.BOOKED
    assert cell(view, D(2026, 12, 25)).state is states.CLOSED  # Christmas
    assert cell(view, D(2026, 12, 5)).state is None          # no occurrence on Saturday
    assert cell(view, D(2026, 11, 30)).in_month is False
    assert view.previous_month == D(2026, 11, 1) and view.next_month == D(2027, 1, 1)


def test_deadline_in_plain_words_and_cost_for_this_family():
    world = make_world()
    view = calendar_month(family=world.family, child=world.children[0], month=D(2026, 12, 1), activity=world.activity, now=NOW)
    slot = cell(view, D(2026, 12, 15)).slot
    assert slot.deadline_text == "Modifiable jusqu'au lundi 14 décembre à 09:00"
    assert slot.cost_text == "3,59\u00a0€"


def test_cart_lines_show_as_to_book_and_to_cancel():
    world = make_world()
    child = world.children[0]
    ReservationFactory(family=world.family, child=child, occurrence=world.occurrences[D(2026, 12, 2)], state=State.ACCEPTED)
    cart_toggle(family=world.family, child=child, occurrence=world.occurrences[D(2026, 12, 1)], now=NOW)
    cart_toggle(family=world.family, child=child, occurrence=world.occurrences[D(2026, 12, 2)], now=NOW)
    view = calendar_month(family=world.family, child=child, month=D(2026, 12, 1), activity=world.activity, now=NOW)
    assert cell(view, D(2026, 12, 1)).state is states.TO_BOOK
    assert cell(view, D(2026, 12, 2)).state is states.TO_CANCEL
    assert view.cart_count == 2


def test_aggregate_mode_and_day_view_list_every_activity():
    world = make_world()
    child = world.children[0]
    garderie = make_activity(world.structure, name="Garderie Soir Scolaire", places=1, waiting=0)
    EnrolmentFactory(child=child, activity=garderie)
    evening = OccurrenceFactory(activity=garderie, date=D(2026, 12, 1))
    ReservationFactory(occurrence=evening, state=State.ACCEPTED)
    view = calendar_month(family=world.family, child=child, month=D(2026, 12, 1), now=NOW)
    assert cell(view, D(2026, 12, 1)).state is states.DAY_OPEN
    assert len(view.activities) == 2
    day = calendar_day(family=world.family, child=child, day=D(2026, 12, 1), now=NOW)
    assert [(slot.activity.name, slot.state) for slot in day.slots] == [
        ("Garderie Soir Scolaire", states.FULL), ("Restauration Scolaire", states.OPEN)]


def test_query_count_is_constant_whatever_the_number_of_days_and_activities(django_assert_num_queries):
    world = make_world(children=3)
    child = world.children[0]
    with django_assert_num_queries(5):
        calendar_month(family=world.family, child=child, month=D(2026, 12, 1), now=NOW)
    for index in range(8):
        activity = make_activity(world.structure, name=f"Activité {index}", places=5, waiting=2)
        EnrolmentFactory(child=child, activity=activity)
        for day in world.occurrences:
            OccurrenceFactory(activity=activity, date=day)
    for day in [day for day in world.occurrences if day.day % 3 == 0]:
        ReservationFactory(family=world.family, child=child, occurrence=world.occurrences[day], state=State.ACCEPTED)
    with django_assert_num_queries(5):
        view = calendar_month(family=world.family, child=child, month=D(2026, 12, 1), now=NOW)
    assert len(view.activities) == 9
    with django_assert_num_queries(6):
        calendar_month(family=world.family, child=child, month=D(2026, 12, 1), activity=world.activity, now=NOW)
    with django_assert_num_queries(6):
        day = calendar_day(family=world.family, child=child, day=D(2026, 12, 1), now=NOW)
    assert len(day.slots) == 9


def test_availability_check_reasons():
    world = make_world(places=1, waiting=0)
    child = world.children[0]
    assert availability_check(occurrence=world.occurrences[D(2026, 12, 1)], child=child, now=NOW, action="book") is None
    assert "Fermé" in availability_check(occurrence=world.occurrences[D(2026, 12, 25)], child=child, now=NOW, action="book")
    assert "Hors délai" in availability_check(occurrence=world.occurrences[D(2026, 11, 26)], child=child, now=NOW, action="book")
    ReservationFactory(occurrence=world.occurrences[D(2026, 12, 2)], state=State.ACCEPTED)
    assert "complète" in availability_check(occurrence=world.occurrences[D(2026, 12, 2)], child=child, now=NOW, action="book")
    assert "Aucune réservation" in availability_check(occurrence=world.occurrences[D(2026, 12, 1)], child=child, now=NOW,
                                                      action="cancel")
    other = make_activity(world.structure, name="Centre de loisirs")
    assert "pas inscrit" in availability_check(occurrence=OccurrenceFactory(activity=other, date=D(2026, 12, 2)),
                                               child=child, now=NOW, action="book")
    world.activity.opens_on = D(2026, 12, 10)
    world.activity.save()
    assert "ouvrent le" in availability_check(occurrence=world.occurrences[D(2026, 12, 14)], child=child, now=NOW, action="book")


def test_places_count_accepted_awaiting_and_not_transmitted_but_not_cancelled():
    world = make_world(places=4, waiting=2)
    occurrence = world.occurrences[D(2026, 12, 1)]
    for state, mark in [(State.ACCEPTED, False), (State.NOT_TRANSMITTED, False), (State.AWAITING_DECISION, False),
                        (State.CANCELLED, False), (State.WAITING_LIST, False), (State.NOT_TRANSMITTED, True)]:
        ReservationFactory(occurrence=occurrence, state=state, waiting_mark=mark)
    view = calendar_day(family=world.family, child=world.children[0], day=D(2026, 12, 1), now=NOW)
    slot = view.slots[0]
    assert (slot.places_left, slot.waiting_left) == (1, 0)


def two_rule_world():
    """The town's rule: "réservation jusqu'à la veille 09:00 ; annulation jusqu'à 7 jours avant"."""
    world = make_world()
    cancel_rule = DeadlineRuleFactory(structure=world.structure, name="7 jours avant", kind=DeadlineRule.Kind.DAYS_BEFORE,
                                      days=7, at_time=datetime.time(0, 0))
    world.activity.cancellation_rule = cancel_rule
    world.activity.save(update_fields=["cancellation_rule"])
    return world


def test_a_day_still_bookable_but_no_longer_cancellable_says_so_and_shows_no_past_date():
    world = two_rule_world()
    child = world.children[0]
    # Thursday 26 November, 10:00. Tuesday 1 December: bookable until Monday 30 at 09:00, cancellable
    # until 24 November 00:00 (already past).
    view = calendar_month(family=world.family, child=child, month=D(2026, 12, 1), activity=world.activity, now=NOW)
    slot = cell(view, D(2026, 12, 1)).slot
    assert slot.state is states.OPEN
    assert slot.deadline_text == "Réservable jusqu'au lundi 30 à 09:00 ; ne pourra plus être annulée."
    assert "24" not in slot.deadline_text
    # Thursday 10 December: cancellable until Thursday 3 at 00:00, written as the end of Wednesday 2.
    later = cell(view, D(2026, 12, 10)).slot
    assert later.deadline_text == ("Réservable jusqu'au mercredi 9 décembre à 09:00, "
                                   "annulable jusqu'au mercredi 2 décembre à 23:59")
    # The day page says the same.
    day = calendar_day(family=world.family, child=child, day=D(2026, 12, 1), now=NOW)
    assert day.slots[0].deadline_text == slot.deadline_text


def test_a_booked_day_past_its_cancellation_deadline_gives_no_past_date():
    world = two_rule_world()
    child = world.children[0]
    ReservationFactory(family=world.family, child=child, occurrence=world.occurrences[D(2026, 12, 1)], state=State.ACCEPTED)
    view = calendar_month(family=world.family, child=child, month=D(2026, 12, 1), activity=world.activity, now=NOW)
    slot = cell(view, D(2026, 12, 1)).slot
    assert slot.state is states.BOOKED_LOCKED
    assert slot.deadline_text == "Ne peut plus être annulée : le délai d'annulation est dépassé."
