"""Closed days: public holidays ∪ Closure rows, school holidays only for the activities they close."""
import datetime

import pytest

from accounts.tests.factories import StructureFactory
from reservations.models import Closure
from reservations.rules.closures import closed_days
from reservations.tests.factories import ActivityFactory, ClosureFactory

pytestmark = pytest.mark.django_db
D = datetime.date


def test_public_holidays_school_holidays_and_closures_in_one_query(django_assert_num_queries):
    structure = StructureFactory()
    ClosureFactory(structure=structure, kind=Closure.Kind.SCHOOL_HOLIDAYS, label="Vacances de la Toussaint",
                   start_date=D(2026, 10, 17), end_date=D(2026, 11, 1))
    ClosureFactory(structure=structure, kind=Closure.Kind.CLOSURE, label="Pont", start_date=D(2026, 11, 10),
                   end_date=D(2026, 11, 10))
    ClosureFactory(structure=StructureFactory(), kind=Closure.Kind.CLOSURE, label="Ailleurs",
                   start_date=D(2026, 11, 12), end_date=D(2026, 11, 12))
    canteen = ActivityFactory(structure=structure, closed_during_school_holidays=True)
    holiday_club = ActivityFactory(structure=structure, closed_during_school_holidays=False)
    with django_assert_num_queries(1):
        closed = closed_days(structure_id=structure.id, start=D(2026, 10, 1), end=D(2026, 11, 30))
    canteen_days = closed.for_activity(canteen)
    club_days = closed.for_activity(holiday_club)
    assert "Armistice" in canteen_days[D(2026, 11, 11)] and D(2026, 11, 11) in club_days
    assert canteen_days[D(2026, 10, 20)] == "Vacances de la Toussaint"
    assert D(2026, 10, 20) not in club_days
    assert canteen_days[D(2026, 11, 10)] == "Pont" and club_days[D(2026, 11, 10)] == "Pont"
    assert D(2026, 11, 12) not in canteen_days  # another structure's closure
    assert D(2026, 11, 13) not in canteen_days
    assert D(2026, 9, 30) not in canteen_days  # outside the range


def test_closure_rows_are_clipped_to_the_range():
    structure = StructureFactory()
    ClosureFactory(structure=structure, start_date=D(2026, 12, 1), end_date=D(2027, 3, 1))
    closed = closed_days(structure_id=structure.id, start=D(2026, 12, 20), end=D(2026, 12, 31))
    assert min(closed.closures) == D(2026, 12, 20) and max(closed.closures) == D(2026, 12, 31)


def test_non_working_days_are_public_holidays_and_the_structures_own_non_working_closures():
    structure = StructureFactory()
    ClosureFactory(structure=structure, kind=Closure.Kind.SCHOOL_HOLIDAYS, label="Vacances de la Toussaint",
                   start_date=D(2026, 10, 17), end_date=D(2026, 11, 1))
    ClosureFactory(structure=structure, kind=Closure.Kind.CLOSURE, label="Pont", start_date=D(2026, 11, 10),
                   end_date=D(2026, 11, 10))
    ClosureFactory(structure=structure, kind=Closure.Kind.CLOSURE, label="Journée pédagogique", start_date=D(2026, 11, 13),
                   end_date=D(2026, 11, 13), effect=Closure.Effect.ACTIVITIES_ONLY)
    closed = closed_days(structure_id=structure.id, start=D(2026, 10, 1), end=D(2026, 11, 30))
    assert set(closed.non_working) == {D(2026, 11, 1), D(2026, 11, 10), D(2026, 11, 11)}   # Toussaint, Pont, Armistice
    canteen = ActivityFactory(structure=structure, closed_during_school_holidays=True)
    assert {D(2026, 10, 20), D(2026, 11, 13)} <= set(closed.for_activity(canteen))         # closed, yet worked
