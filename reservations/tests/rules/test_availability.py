"""The decisions of rules.availability: the lean month-grid state equals the full evaluation."""
import datetime

import pytest

from reservations.models import CartLine, DeadlineRule, Reservation
from reservations.rules import states
from reservations.rules.availability import day_state, evaluate
from reservations.rules.context import load_context
from reservations.tests.booking_world import NOW, make_activity, make_world
from reservations.tests.factories import (
    CartLineFactory,
    ClosureFactory,
    DeadlineCutoffFactory,
    DeadlineRuleFactory,
    EnrolmentFactory,
    OccurrenceFactory,
    ReservationFactory,
)

pytestmark = pytest.mark.django_db
D = datetime.date
State = Reservation.State


def test_aggregate_day_state_matches_the_full_evaluation_in_every_situation():
    """The month grid's lean ``day_state`` must give exactly ``evaluate(...).state``."""
    world = make_world(places=1, waiting=1)
    child = world.children[0]
    structure = world.structure
    rules = [
        DeadlineRuleFactory(structure=structure, kind=DeadlineRule.Kind.DAYS_BEFORE, days=2, at_time=datetime.time(12),
                            working_days=True),
        DeadlineCutoffFactory(rule__structure=structure, covers=[0, 1, 2], weekday=4, at_time=datetime.time(9)).rule,
        DeadlineRuleFactory(structure=structure, kind=DeadlineRule.Kind.HOURS_BEFORE, hours=72),
    ]
    # « Vendredi 09:00 pour lundi, mardi, mercredi ; mardi 09:00 pour jeudi et vendredi »
    DeadlineCutoffFactory(rule=rules[1], weekday=1, at_time=datetime.time(9), covers=[3, 4])
    extra = [
        make_activity(structure, name="Accueil du matin", rule=rules[0], places=0, arrival_time=datetime.time(7, 30)),
        make_activity(structure, name="Mercredi loisirs", rule=rules[1], places=1, waiting=0, opens_days_ahead=20),
        make_activity(structure, name="Étude", rule=rules[2], closed_during_school_holidays=False),
    ]
    for activity in extra:
        EnrolmentFactory(child=child, activity=activity, start_date=D(2026, 9, 1), end_date=D(2026, 12, 18))
    ClosureFactory(structure=structure, kind="school_holidays", label="Noël", start_date=D(2026, 12, 19), end_date=D(2027, 1, 3))
    ClosureFactory(structure=structure, kind="closure", label="Pont", start_date=D(2026, 12, 7), end_date=D(2026, 12, 7))
    days = list(world.occurrences)
    for activity in extra:
        for day in days:
            OccurrenceFactory(activity=activity, date=day, is_closed=day.day == 9)
    occurrences = list(world.occurrences.values())
    cycle = [State.ACCEPTED, State.WAITING_LIST, State.AWAITING_DECISION, State.NOT_TRANSMITTED]
    for index, occurrence in enumerate(occurrences[::2]):
        ReservationFactory(family=world.family, child=child, occurrence=occurrence, state=cycle[index % 4],
                           waiting_mark=index % 8 == 3,
                           cancel_requested_at=NOW if index % 5 == 4 else None)
    for position, occurrence in enumerate(occurrences):
        if position % 4 == 1:   # other families take the place, and every other time the waiting place too
            ReservationFactory(occurrence=occurrence, state=State.ACCEPTED)
            if position % 8 == 1:
                ReservationFactory(occurrence=occurrence, state=State.WAITING_LIST)
        if position % 3 == 0:   # cart lines on held, cancel-requested and free days
            CartLineFactory(family=world.family, child=child, occurrence=occurrence,
                            action=CartLine.Action.CANCEL if position % 4 == 0 else CartLine.Action.BOOK)
    checked = set()
    for now in (NOW, NOW + datetime.timedelta(days=9, hours=3), datetime.datetime(2026, 11, 1, 8, tzinfo=NOW.tzinfo),
                datetime.datetime(2026, 12, 28, 10, tzinfo=NOW.tzinfo)):   # a cart line left on a past, full day
        ctx = load_context(family=world.family, child_ids=[child.id], start=D(2026, 11, 16), end=D(2027, 1, 3), now=now)
        assert len(ctx.occurrences) == 4 * len(days)
        for occurrence in ctx.occurrences.values():
            expected = evaluate(ctx, occurrence, child.id).state
            assert day_state(ctx, occurrence, child.id) is expected, (now, occurrence.date, occurrence.activity.name)
            checked.add(expected.code)
    # The situations above reach every state of the first list and the cart overlays.
    assert checked >= {state.code for state in states.ACTIVITY_STATES} | {"to_book", "to_book_waiting", "to_cancel"}
