"""Factories of the reservations models (shared by every reservations test module)."""
import datetime
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from accounts.tests.factories import ChildFactory, FamilyFactory, StructureFactory
from billing.tests import factories as billing_factories
from billing.tests.factories import TariffFactory  # noqa: F401 (re-exported: booking_world imports it from here)
from reservations.models import (
    Activity,
    CartLine,
    Closure,
    DeadlineCutoff,
    DeadlineRule,
    Enrolment,
    Occurrence,
    Reservation,
    ReservationEvent,
    TransmissionRun,
)


# Wallets and tariffs are billing's: their factories live in billing/tests/factories.py.
# TariffFactory is billing's as is (re-exported here for booking_world and the tests);
# these two keep the defaults the reservations tests were written with.
class WalletFactory(billing_factories.WalletFactory):
    """One "Restauration" wallet per structure (get-or-create on structure and name)."""

    name: Any = "Restauration"   # a plain name overriding billing's sequence


class TariffRateFactory(billing_factories.TariffRateFactory):
    """A flat 3,59 € rate valid since 2000, whatever date a test books."""

    valid_from = datetime.date(2000, 1, 1)
    amount = Decimal("3.59")


class DeadlineRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DeadlineRule

    structure = factory.SubFactory(StructureFactory)
    name = "La veille à 09:00"
    kind = DeadlineRule.Kind.DAYS_BEFORE
    days = 1
    at_time = datetime.time(9, 0)


class DeadlineCutoffFactory(factory.django.DjangoModelFactory):
    """A weekly rule's line; the default is "mardi 23:59 pour toute la semaine suivante"."""

    class Meta:
        model = DeadlineCutoff

    rule = factory.SubFactory(DeadlineRuleFactory, kind=DeadlineRule.Kind.WEEKLY_CUTOFF, days=None, at_time=None)
    weekday = 1
    at_time = datetime.time(23, 59)
    covers = factory.LazyFunction(lambda: list(range(7)))


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    structure = factory.SubFactory(StructureFactory)
    name = factory.Sequence(lambda n: f"Activité {n}")
    wallet = factory.SubFactory(WalletFactory, structure=factory.SelfAttribute("..structure"))
    arrival_time = datetime.time(7, 30)
    departure_time = datetime.time(12, 0)
    limited_places = False
    default_places = 0
    default_waiting_places = 0
    closed_during_school_holidays = True


class EnrolmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrolment

    activity = factory.SubFactory(ActivityFactory)
    child = factory.SubFactory(ChildFactory, family__structure=factory.SelfAttribute("...activity.structure"))
    start_date = datetime.date(2000, 1, 1)
    end_date = datetime.date(2099, 12, 31)


class OccurrenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Occurrence

    activity = factory.SubFactory(ActivityFactory)
    date = factory.Sequence(lambda n: datetime.date(2026, 9, 1) + datetime.timedelta(days=n))
    arrival_time = factory.SelfAttribute("activity.arrival_time")
    departure_time = factory.SelfAttribute("activity.departure_time")
    places = factory.SelfAttribute("activity.default_places")
    waiting_places = factory.SelfAttribute("activity.default_waiting_places")


class ClosureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Closure

    structure = factory.SubFactory(StructureFactory)
    kind = Closure.Kind.CLOSURE
    label = "Fermeture exceptionnelle"
    start_date = datetime.date(2026, 10, 1)
    end_date = datetime.date(2026, 10, 1)


class ReservationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reservation

    occurrence = factory.SubFactory(OccurrenceFactory)
    family = factory.SubFactory(FamilyFactory, structure=factory.SelfAttribute("..occurrence.activity.structure"))
    child = factory.SubFactory(ChildFactory, family=factory.SelfAttribute("..family"))
    state = Reservation.State.NOT_TRANSMITTED
    arrival_time = factory.SelfAttribute("occurrence.arrival_time")
    departure_time = factory.SelfAttribute("occurrence.departure_time")
    unit_price = "3.59"
    quantity = 1
    cost = "3.59"
    submitted_at = factory.LazyFunction(timezone.now)


class ReservationEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReservationEvent

    reservation = factory.SubFactory(ReservationFactory)
    kind = "submitted"
    to_state = Reservation.State.NOT_TRANSMITTED


class TransmissionRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TransmissionRun

    structure = factory.SubFactory(StructureFactory)


class CartLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CartLine

    occurrence = factory.SubFactory(OccurrenceFactory)
    family = factory.SubFactory(FamilyFactory, structure=factory.SelfAttribute("..occurrence.activity.structure"))
    child = factory.SubFactory(ChildFactory, family=factory.SelfAttribute("..family"))
    action = CartLine.Action.BOOK
