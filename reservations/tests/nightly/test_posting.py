"""The nightly posting of consumptions at the price quoted at confirm time."""
import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.tests.factories import StructureFactory
from billing.models import Consumption
from portal import dates
from reservations.models import Reservation
from reservations.nightly.posting import consumptions_post
from reservations.nightly.run import transmission_run
from reservations.tests.factories import ActivityFactory
from reservations.tests.transmission_helpers import booking

State = Reservation.State
Attendance = Reservation.Attendance
pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 11, 26)
NOW = datetime.datetime(2026, 11, 26, 1, 30, tzinfo=dates.PARIS)


@pytest.fixture
def structure():
    return StructureFactory()



def test_past_accepted_booking_is_posted_once_at_the_quoted_price(structure):
    yesterday = booking(structure, day=TODAY - datetime.timedelta(days=1), unit_price=Decimal("1.1000"),
                        quantity=Decimal("2.50"), cost=Decimal("2.75"))
    # Prices changed since: the tariff does not matter, the quote does.
    activity = yesterday.occurrence.activity

    counts = consumptions_post(structure=structure, today=TODAY, now=NOW)

    line = Consumption.objects.get()
    assert (line.family_id, line.child_id, line.wallet_id, line.day) == (
        yesterday.family_id, yesterday.child_id, activity.wallet_id, TODAY - datetime.timedelta(days=1))
    assert (line.unit_price, line.quantity, line.total) == (Decimal("1.1000"), Decimal("2.50"), Decimal("2.75"))
    assert line.activity_label == "Restauration Scolaire" and line.source_key == f"reservation:{yesterday.pk}"
    assert counts["consumptions_posted"] == 1
    yesterday.refresh_from_db()
    assert yesterday.consumption_posted_at == NOW

    assert consumptions_post(structure=structure, today=TODAY, now=NOW)["consumptions_posted"] == 0
    # Even if the mark were lost (crash between the two writes), the source key posts nothing twice.
    Reservation.objects.filter(pk=yesterday.pk).update(consumption_posted_at=None)
    consumptions_post(structure=structure, today=TODAY, now=NOW)
    assert Consumption.objects.count() == 1


def test_absences_follow_the_activity_rule_and_excused_ones_are_never_charged(structure):
    strict = ActivityFactory(structure=structure, charge_unexcused_absence=True)
    lenient = ActivityFactory(structure=structure, charge_unexcused_absence=False)
    day = TODAY - datetime.timedelta(days=2)
    charged = booking(structure, day=day, activity=strict, attendance=Attendance.ABSENT)
    forgiven = booking(structure, day=day, activity=lenient, attendance=Attendance.ABSENT)
    excused = booking(structure, day=day - datetime.timedelta(days=1), activity=strict, attendance=Attendance.EXCUSED)
    present = booking(structure, day=day - datetime.timedelta(days=2), activity=lenient, attendance=Attendance.PRESENT)

    counts = consumptions_post(structure=structure, today=TODAY, now=NOW)

    assert set(Consumption.objects.values_list("source_key", flat=True)) == {
        f"reservation:{charged.pk}", f"reservation:{present.pk}"}
    assert (counts["consumptions_posted"], counts["consumptions_not_charged"]) == (2, 2)
    assert not Reservation.objects.filter(pk__in=[forgiven.pk, excused.pk], consumption_posted_at__isnull=True).exists()


def test_today_future_and_unaccepted_bookings_are_not_posted(structure):
    booking(structure, day=TODAY)
    booking(structure, day=TODAY + datetime.timedelta(days=3))
    booking(structure, day=TODAY - datetime.timedelta(days=1), state=State.CANCELLED)
    booking(structure, day=TODAY - datetime.timedelta(days=1), state=State.WAITING_LIST)
    booking(StructureFactory(), day=TODAY - datetime.timedelta(days=1))  # another structure's

    assert consumptions_post(structure=structure, today=TODAY, now=NOW)["consumptions_posted"] == 0
    assert not Consumption.objects.exists()


def test_the_nightly_run_posts_the_previous_days(structure):
    yesterday = booking(structure, day=timezone.localdate() - datetime.timedelta(days=1))

    run = transmission_run(structure=structure, now=timezone.now())

    assert run.counts["consumptions_posted"] == 1
    assert Consumption.objects.get().source_key == f"reservation:{yesterday.pk}"




def test_a_misconfigured_wallet_is_counted_and_does_not_stop_the_others(structure):
    from reservations.tests.factories import WalletFactory

    wrong = ActivityFactory(structure=structure, wallet=WalletFactory(structure=StructureFactory(), name="Ailleurs"))
    broken = booking(structure, day=TODAY - datetime.timedelta(days=1), activity=wrong)
    fine = booking(structure, day=TODAY - datetime.timedelta(days=1))

    counts = consumptions_post(structure=structure, today=TODAY, now=NOW)

    assert (counts["consumptions_posted"], counts["consumptions_errors"]) == (1, 1)
    assert Consumption.objects.get().source_key == f"reservation:{fine.pk}"
    assert Reservation.objects.get(pk=broken.pk).consumption_posted_at is None
