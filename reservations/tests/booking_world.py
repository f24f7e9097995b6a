"""A small consistent world for the booking-flow tests: one structure, one family, activities, days."""
import datetime
from dataclasses import dataclass, field

from accounts.tests.factories import ChildFactory, FamilyFactory, StructureFactory, UserFactory
from billing.models import Tariff
from reservations.models import DeadlineRule
from reservations.rules.deadlines import PARIS
from reservations.tests.factories import (
    ActivityFactory,
    DeadlineRuleFactory,
    EnrolmentFactory,
    OccurrenceFactory,
    TariffFactory,
    TariffRateFactory,
)

NOW = datetime.datetime(2026, 11, 26, 10, 0, tzinfo=PARIS)   # a Thursday


@dataclass
class World:
    structure: object
    user: object
    family: object
    children: list
    activity: object
    occurrences: dict = field(default_factory=dict)   # date → Occurrence of `activity`


def weekdays_between(start, end):
    day = start
    while day <= end:
        if day.weekday() < 5:
            yield day
        day += datetime.timedelta(days=1)


def make_activity(structure, *, name="Restauration Scolaire", amount="3.59", places=0, waiting=0, rule=None, **kwargs):
    tariff = TariffFactory(structure=structure, name=f"Tarif {name}", kind=kwargs.pop("tariff_kind", Tariff.Kind.FLAT),
                           unit_minutes=kwargs.pop("unit_minutes", None))
    TariffRateFactory(tariff=tariff, amount=amount)
    return ActivityFactory(
        structure=structure, name=name, tariff=tariff, limited_places=bool(places or waiting),
        default_places=places, default_waiting_places=waiting, booking_rule=rule, cancellation_rule=rule,
        arrival_time=kwargs.pop("arrival_time", datetime.time(12, 0)),
        departure_time=kwargs.pop("departure_time", datetime.time(13, 20)), **kwargs,
    )


def make_world(*, places=2, waiting=1, children=1, start=datetime.date(2026, 11, 23), end=datetime.date(2026, 12, 31)):
    structure = StructureFactory()
    user = UserFactory()
    family = FamilyFactory(structure=structure, users=[user], quotient=800)
    kids = [ChildFactory(family=family, first_name=name) for name in ["Emmy", "Paolo", "Amalia"][:children]]
    rule = DeadlineRuleFactory(structure=structure, name="La veille à 09:00", kind=DeadlineRule.Kind.DAYS_BEFORE,
                               days=1, at_time=datetime.time(9, 0))
    activity = make_activity(structure, places=places, waiting=waiting, rule=rule)
    world = World(structure=structure, user=user, family=family, children=kids, activity=activity)
    for child in kids:
        EnrolmentFactory(child=child, activity=activity, start_date=datetime.date(2026, 9, 1), end_date=datetime.date(2027, 7, 4))
    for day in weekdays_between(start, end):
        world.occurrences[day] = OccurrenceFactory(activity=activity, date=day)
    return world
