"""load_context's plain SQL reads (rules.context_reads) give what the querysets they replace give:
the same rows, values and order, as model instances that save and relate as usual."""
import datetime
from decimal import Decimal

import pytest
from django.db.models import F, Q

from billing.models import TariffRate
from reservations.models import Activity, CartLine, Closure, DeadlineCutoff, Enrolment, Occurrence, Reservation
from reservations.rules import context_reads as reads
from reservations.tests.booking_world import NOW, make_activity, make_world
from reservations.tests.factories import (
    CartLineFactory,
    ClosureFactory,
    DeadlineCutoffFactory,
    EnrolmentFactory,
    OccurrenceFactory,
    ReservationFactory,
    TariffRateFactory,
)

pytestmark = pytest.mark.django_db
D = datetime.date
START, END = D(2026, 11, 23), D(2026, 12, 31)


def values(instance) -> tuple:
    return tuple(getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields)


def by_tariff(rates) -> dict:
    grouped: dict = {}
    for rate in rates:
        grouped.setdefault(rate.tariff_id, []).append(values(rate))
    return grouped


def weekly_tariff(world) -> int | None:
    return Activity.objects.get(structure=world.structure, name="Mercredi loisirs").tariff_id


@pytest.fixture
def world():
    world = make_world(children=3)
    family = world.family
    cutoff = DeadlineCutoffFactory(rule__structure=world.structure, covers=[0, 1], weekday=4, at_time=datetime.time(9))
    DeadlineCutoffFactory(rule=cutoff.rule, covers=[3, 4], weekday=1, at_time=datetime.time(9))
    weekly = make_activity(world.structure, name="Mercredi loisirs", places=3, waiting=1, rule=cutoff.rule, opens_days_ahead=20)
    free = make_activity(world.structure, name="Étude", rule=None)
    free.tariff = None
    free.save()
    make_activity(world.structure, name="Ancienne activité", is_active=False)
    TariffRateFactory(tariff=weekly.tariff, amount=Decimal("2.15"), valid_from=D(2026, 12, 1), quotient_max=Decimal(700))
    for index, child in enumerate(world.children):
        EnrolmentFactory(child=child, activity=weekly, start_date=D(2026, 9, 1), end_date=D(2026, 12, 18 + index))
    EnrolmentFactory(child=world.children[0], activity=free, start_date=D(2026, 12, 1), end_date=D(2027, 7, 4))
    ClosureFactory(structure=world.structure, kind="school_holidays", label="Noël", start_date=D(2026, 12, 19),
                   end_date=D(2027, 1, 3))
    ClosureFactory(structure=world.structure, kind="closure", label="Pont", start_date=D(2026, 12, 7), end_date=D(2026, 12, 7),
                   effect=Closure.Effect.NON_WORKING)
    for position, day in enumerate(world.occurrences):
        occurrence = OccurrenceFactory(activity=weekly, date=day, is_closed=day.day == 9)
        child = world.children[position % 3]
        if position % 2:
            ReservationFactory(family=family, child=child, occurrence=occurrence,
                               state=[Reservation.State.ACCEPTED, Reservation.State.WAITING_LIST,
                                      Reservation.State.CANCELLED][position % 3],
                               cancel_requested_at=NOW if position % 5 == 0 else None, waiting_mark=position % 7 == 0)
        else:
            CartLineFactory(family=family, child=child, occurrence=occurrence, arrival_time=datetime.time(12, 30))
        ReservationFactory(occurrence=occurrence, state=Reservation.State.ACCEPTED)   # another family's
    return world


def test_enrolments_and_their_activities_as_select_related_reads_them(world):
    family, child_ids = world.family, [child.id for child in world.children]
    read = reads.enrolments(family=family, child_ids=child_ids, start=START, end=END)
    expected = Enrolment.objects.filter(
        child_id__in=child_ids, child__family=family, activity__structure_id=family.structure_id,
        activity__is_active=True, start_date__lte=END, end_date__gte=START,
    ).select_related("activity__booking_rule", "activity__cancellation_rule", "activity__tariff").order_by("id")
    assert [(*row[:4], values(row[4])) for row in read] == [
        (e.child_id, e.activity_id, e.start_date, e.end_date, values(e.activity)) for e in expected]
    assert len(read) == 3 + 3 + 1
    for *_, activity in read:
        reference = Activity.objects.get(pk=activity.pk)
        for name in ("booking_rule", "cancellation_rule", "tariff"):
            related = getattr(reference, name)
            with_read = activity._state.fields_cache[name]   # attached: no query
            assert (values(with_read) if with_read else None) == (values(related) if related else None)
        assert not activity._state.adding and activity._state.db == "default"
    assert reads.enrolments(family=family, child_ids=[], start=START, end=END) == []


def test_days_cart_requests_rates_closures_and_weekly_lines_as_the_orm_reads_them(world, django_assert_num_queries):
    family, child_ids = world.family, [child.id for child in world.children]
    activity_ids = list(Activity.objects.filter(structure=world.structure).values_list("id", flat=True))
    days = reads.occurrences(structure_id=family.structure_id, start=START, end=END, activity_ids=activity_ids)
    assert [values(o) for o in days] == [values(o) for o in Occurrence.objects.filter(
        activity__structure_id=family.structure_id, date__gte=START, date__lte=END, activity_id__in=activity_ids,
        activity__is_active=True).order_by("date", "id")]
    chosen = [days[3].id, days[0].id]
    assert [o.id for o in reads.occurrences(structure_id=family.structure_id, start=START, end=END,
                                            occurrence_ids=chosen)] == sorted(chosen)
    with django_assert_num_queries(0):   # nothing to ask for: no query, as the ORM with __in=[]
        assert reads.occurrences(structure_id=family.structure_id, start=START, end=END, activity_ids=[]) == []
        assert reads.tariff_rates(tariff_ids=[], start=START, end=END) == []

    lines = reads.cart_lines(family=family)
    expected_lines = CartLine.objects.filter(family=family).annotate(day=F("occurrence__date"))
    assert [(values(line), line.day) for line in lines] == [(values(line), line.day) for line in expected_lines]
    assert len(lines) > 10

    requests = reads.live_reservations(family=family, child_ids=child_ids, start=START, end=END)
    assert [values(r) for r in requests] == [values(r) for r in Reservation.objects.filter(
        child_id__in=child_ids, family=family, state__in=Reservation.LIVE_STATES,
        occurrence__date__gte=START, occurrence__date__lte=END)]
    assert any(r.cancel_requested_at for r in requests) and all(r.state != Reservation.State.CANCELLED for r in requests)

    tariff_ids = sorted(Activity.objects.filter(structure=world.structure, tariff__isnull=False)
                        .values_list("tariff_id", flat=True))
    expected_rates = TariffRate.objects.filter(tariff_id__in=tariff_ids, valid_from__lte=END).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=START))
    # The order that matters is within a tariff (newest first): the context keeps a list per tariff.
    assert by_tariff(reads.tariff_rates(tariff_ids=tariff_ids, start=START, end=END)) == by_tariff(expected_rates)
    assert len(by_tariff(expected_rates)[weekly_tariff(world)]) == 2

    assert [tuple(row) for row in reads.closure_rows(structure_id=family.structure_id, start=START, end=END)] == list(
        Closure.objects.filter(structure_id=family.structure_id, start_date__lte=END, end_date__gte=START).values_list(
            "kind", "label", "start_date", "end_date", "effect"))

    rule_ids = sorted(DeadlineCutoff.objects.values_list("rule_id", flat=True).distinct())
    assert [tuple(row) for row in reads.cutoff_rows(rule_ids)] == list(
        DeadlineCutoff.objects.filter(rule_id__in=rule_ids).order_by("rule_id", "id").values_list(
            "rule_id", "weekday", "at_time", "covers"))


def test_instances_read_save_and_relate_as_the_orms(world):
    line = reads.cart_lines(family=world.family)[0]
    assert line.occurrence.date == line.day   # the relation is read on demand, as for an ORM instance
    line.arrival_time = datetime.time(12, 45)
    line.save()
    assert CartLine.objects.get(pk=line.pk).arrival_time == datetime.time(12, 45)
    request = reads.live_reservations(family=world.family, child_ids=[world.children[1].id], start=START, end=END)[0]
    assert request == Reservation.objects.get(pk=request.pk) and isinstance(request.cost, Decimal)
