import datetime
import io
from decimal import Decimal

import pytest
import time_machine
from django.apps import apps
from django.core.management import call_command
from django.db.models import Count

from accounts.models import Family
from billing.ledger.balance import balance_summary
from billing.models import Consumption
from reservations.booking import selectors
from reservations.models import Closure, Occurrence, Reservation
from reservations.rules import states

pytestmark = pytest.mark.django_db
State = Reservation.State
# Thursday 26 November 2026, 10:00 in Paris.
NOW = datetime.datetime(2026, 11, 26, 9, 0, tzinfo=datetime.UTC)


def counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for app in ("accounts", "billing", "reservations", "portal")
            for model in apps.get_app_config(app).get_models()}


def snapshot():
    return sorted(Reservation.objects.values_list("child_id", "occurrence_id", "state", "waiting_mark", "cost", "submitted_at"))


def seen_states(now) -> tuple[set, set]:
    """Every state the demo children's calendars show, with and without an activity chosen."""
    per_activity, per_day = set(), set()
    month = now.date().replace(day=1)
    months = [selectors.add_months(month, offset) for offset in (-1, 0, 1, 2)]
    for family in Family.objects.filter(number__in=["000123", "000456"], structure__slug="carteville"):
        for child in family.children.all():
            for m in months:
                view = selectors.calendar_month(family=family, child=child, month=m, now=now)
                per_day |= {cell.state.code for week in view.weeks for cell in week if cell.state and cell.in_month}
                for activity in view.activities:
                    view = selectors.calendar_month(family=family, child=child, month=m, activity=activity, now=now)
                    per_activity |= {cell.state.code for week in view.weeks for cell in week if cell.state and cell.in_month}
    return per_activity, per_day


@time_machine.travel(NOW, tick=False)
def test_the_demo_shows_every_state_of_both_colour_code_lists_and_a_second_run_changes_nothing():
    call_command("seed_demo", stdout=io.StringIO())
    first_counts, first = counts(), snapshot()

    per_activity, per_day = seen_states(NOW)
    assert {state.code for state in states.ACTIVITY_STATES} <= per_activity
    assert {state.code for state in states.AGGREGATE_STATES} <= per_day
    assert {State.ACCEPTED, State.WAITING_LIST, State.NOT_TRANSMITTED, State.AWAITING_DECISION, State.REFUSED,
            State.CANCELLED} <= set(Reservation.objects.values_list("state", flat=True))
    assert Reservation.objects.filter(cancel_requested_at__isnull=False).exists()
    canteen = Occurrence.objects.filter(activity__name="Restauration Scolaire", activity__structure__slug="carteville")
    assert canteen.filter(date=datetime.date(2026, 11, 12)).exists()
    assert not canteen.filter(date=datetime.date(2026, 11, 11)).exists()                     # Armistice
    assert not canteen.filter(date__range=(datetime.date(2026, 12, 19), datetime.date(2027, 1, 3))).exists()  # Noël
    holidays = Occurrence.objects.filter(activity__name="Vacances - Cambianes 6-12 ans")
    assert holidays.filter(date=datetime.date(2026, 12, 21)).exists()
    assert not holidays.filter(date__in=[datetime.date(2026, 12, 25), datetime.date(2026, 11, 30)]).exists()
    assert Closure.objects.filter(kind=Closure.Kind.SCHOOL_HOLIDAYS, start_date=datetime.date(2026, 12, 19),
                                  end_date=datetime.date(2027, 1, 3)).count() == 2   # both structures

    call_command("seed_demo", stdout=io.StringIO())
    assert counts() == first_counts
    assert snapshot() == first


@pytest.mark.parametrize("moment", [
    datetime.datetime(2026, 12, 24, 16, 0, tzinfo=datetime.UTC),   # during the Christmas holidays
    datetime.datetime(2027, 7, 14, 8, 0, tzinfo=datetime.UTC),     # summer, a public holiday
    datetime.datetime(2027, 3, 28, 0, 30, tzinfo=datetime.UTC),    # the night of the DST change
])
def test_the_demo_loads_on_any_day_and_stays_idempotent(moment):
    with time_machine.travel(moment, tick=False):
        call_command("seed_demo", stdout=io.StringIO())
        first = counts()
        call_command("seed_demo", stdout=io.StringIO())
        assert counts() == first
    assert Reservation.objects.exists()


# The guide's screens (85,13 €) and the demo's invoice to pay (23,24 €, billing.invoicing.demo).
GUIDE_OWES = Decimal("85.13") + Decimal("23.24")


def guide_owes() -> Decimal:
    guide = Family.objects.get(structure__slug="carteville", number="000123")
    return balance_summary(family=guide, until=datetime.date(2027, 12, 31)).amount_due


def charged_twice() -> list:
    """(family, child, day, label) charged by more than one line (corrections aside)."""
    return list(Consumption.objects.filter(correction_of__isnull=True, corrections__isnull=True)
                .values("family_id", "child_id", "day", "activity_label").annotate(lines=Count("id"))
                .filter(lines__gt=1).values_list("family_id", "child_id", "day", "activity_label"))


def test_the_readmes_demo_steps_charge_each_day_once_and_the_night_leaves_the_balance_alone():
    # README: make run (seed_demo), then `manage.py transmit`; days later the night runs again.
    with time_machine.travel(NOW, tick=False):
        call_command("seed_demo", stdout=io.StringIO())
        assert guide_owes() == GUIDE_OWES
        call_command("transmit", stdout=io.StringIO())
        assert charged_twice() == []
        assert guide_owes() == GUIDE_OWES     # the night only settled what the history already charged
    later = NOW + datetime.timedelta(days=7)
    with time_machine.travel(later, tick=False):
        call_command("transmit", stdout=io.StringIO())
        guide = Family.objects.get(structure__slug="carteville", number="000123")
        new_lines = Consumption.objects.filter(family=guide, source_key__startswith="reservation:")
        assert new_lines.exists()                    # the days booked in the scenario, now past
        assert guide_owes() == GUIDE_OWES + sum(line.total for line in new_lines)
        call_command("seed_demo", stdout=io.StringIO())   # a rerun a week later: history grows, never twice
        assert charged_twice() == []
        assert guide_owes() == GUIDE_OWES + sum(line.total for line in new_lines)
