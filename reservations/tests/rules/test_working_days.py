"""Working days are not school holidays (issue 10 item 1).

The town's rule, in its words: « Restauration scolaire : réservation et annulation jusqu'à
J-2 à 12:00, hors week-end » (two working days before, at noon). Weekends, public holidays
and the days the structure itself does not work are skipped; school holidays close the
canteen but the town hall works, so they do not push the first day after them back.
"""
import datetime

import pytest

from accounts.tests.factories import ChildFactory, FamilyFactory, StructureFactory
from reservations.models import Closure, DeadlineRule
from reservations.rules.availability import evaluate, windows
from reservations.rules.context import load_context
from reservations.rules.deadlines import PARIS
from reservations.tests.factories import ActivityFactory, ClosureFactory, DeadlineRuleFactory, EnrolmentFactory, OccurrenceFactory

pytestmark = pytest.mark.django_db
D = datetime.date


def paris(*args):
    return datetime.datetime(*args, tzinfo=PARIS)


@pytest.fixture
def canteen():
    structure = StructureFactory()
    rule = DeadlineRuleFactory(structure=structure, name="J-2 à 12:00, hors week-end", kind=DeadlineRule.Kind.DAYS_BEFORE,
                               days=2, at_time=datetime.time(12, 0), working_days=True)
    activity = ActivityFactory(structure=structure, name="Restauration Scolaire", booking_rule=rule, cancellation_rule=rule,
                               arrival_time=datetime.time(12, 0), departure_time=datetime.time(13, 30))
    # Zone C, 2026-2027.
    ClosureFactory(structure=structure, kind=Closure.Kind.SCHOOL_HOLIDAYS, label="Vacances d'été",
                   start_date=D(2026, 7, 4), end_date=D(2026, 8, 31))
    ClosureFactory(structure=structure, kind=Closure.Kind.SCHOOL_HOLIDAYS, label="Vacances de Noël",
                   start_date=D(2026, 12, 19), end_date=D(2027, 1, 3))
    family = FamilyFactory(structure=structure)
    child = ChildFactory(family=family)
    EnrolmentFactory(child=child, activity=activity, start_date=D(2026, 1, 1), end_date=D(2027, 8, 31))
    return activity, family, child


def deadlines_of(activity, family, child, day, *, now):
    occurrence = OccurrenceFactory(activity=activity, date=day)
    ctx = load_context(family=family, child_ids=[child.id], start=day, end=day, now=now)
    _opens, book, cancel = windows(ctx, ctx.occurrences[occurrence.id])
    return book, cancel, evaluate(ctx, ctx.occurrences[occurrence.id], child.id)


def test_the_first_monday_after_the_christmas_holidays_closes_just_before_them_not_in_mid_december(canteen):
    activity, family, child = canteen
    # Monday 4 January 2027: Sunday 3 and Saturday 2 are a weekend, Friday 1 is New Year's Day;
    # Thursday 31 December is one working day, Wednesday 30 the second: Wednesday 30 at 12:00.
    book, cancel, slot = deadlines_of(activity, family, child, D(2027, 1, 4), now=paris(2026, 12, 28, 9, 0))
    assert book == cancel == paris(2026, 12, 30, 12, 0)
    assert book.utcoffset() == datetime.timedelta(hours=1)
    assert slot.book_reason is None        # on 28 December the day can still be booked


def test_the_first_day_of_the_school_year_closes_at_the_end_of_august_not_in_early_july(canteen):
    activity, family, child = canteen
    # Tuesday 1 September 2026: Monday 31 August, then Friday 28 August (weekend skipped).
    book, _cancel, slot = deadlines_of(activity, family, child, D(2026, 9, 1), now=paris(2026, 8, 20, 9, 0))
    assert book == paris(2026, 8, 28, 12, 0)
    assert book.utcoffset() == datetime.timedelta(hours=2)
    assert slot.book_reason is None


def test_a_day_the_structure_does_not_work_moves_the_deadline_a_school_closure_does_not(canteen):
    activity, family, child = canteen
    structure = activity.structure
    # « Pont de l'Ascension : mairie fermée le vendredi 7 mai 2027 » — a structure closure (non-working by default).
    bridge = ClosureFactory(structure=structure, kind=Closure.Kind.CLOSURE, label="Pont de l'Ascension",
                            start_date=D(2027, 5, 7), end_date=D(2027, 5, 7))
    assert bridge.effect == Closure.Effect.NON_WORKING
    # Monday 10 May 2027: weekend, Friday 7 (bridge, not worked), Thursday 6 (Ascension),
    # Wednesday 5 → 1, Tuesday 4 → 2.
    book, _cancel, _slot = deadlines_of(activity, family, child, D(2027, 5, 10), now=paris(2027, 5, 1, 9, 0))
    assert book == paris(2027, 5, 4, 12, 0)
    # « Journée pédagogique » on Friday 21 May: the school is closed, the town hall works.
    pedagogic = ClosureFactory(structure=structure, kind=Closure.Kind.CLOSURE, label="Journée pédagogique",
                               start_date=D(2027, 5, 21), end_date=D(2027, 5, 21), effect=Closure.Effect.ACTIVITIES_ONLY)
    # Monday 24 May 2027: weekend, Friday 21 counts (it only closes the activities) → 1, Thursday 20 → 2.
    book, _cancel, _slot = deadlines_of(activity, family, child, D(2027, 5, 24), now=paris(2027, 5, 1, 9, 0))
    assert book == paris(2027, 5, 20, 12, 0)
    # The pedagogic day itself cannot be booked.
    _book, _cancel, slot = deadlines_of(activity, family, child, pedagogic.start_date, now=paris(2027, 5, 1, 9, 0))
    assert slot.book_reason == "Fermé le 21/05/2027 (Journée pédagogique)."


def test_school_holidays_default_to_closing_the_activities_only_and_staff_can_say_otherwise():
    structure = StructureFactory()
    holidays = ClosureFactory(structure=structure, kind=Closure.Kind.SCHOOL_HOLIDAYS, label="Vacances d'hiver",
                              start_date=D(2027, 2, 6), end_date=D(2027, 2, 21))
    assert holidays.effect == Closure.Effect.ACTIVITIES_ONLY
    closed_structure = ClosureFactory(structure=structure, kind=Closure.Kind.SCHOOL_HOLIDAYS, label="Fermeture estivale",
                                      start_date=D(2027, 8, 2), end_date=D(2027, 8, 20), effect=Closure.Effect.NON_WORKING)
    assert closed_structure.effect == Closure.Effect.NON_WORKING
