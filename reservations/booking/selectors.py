"""Reads of the booking flow: the month calendar, one day's activities, availability.

Every function runs a constant number of SQL queries whatever the number of days,
activities and children (the data is loaded in bulk by reservations.rules.context.load_context).
"""
from __future__ import annotations

import calendar as pycalendar
import datetime
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db.models import F
from django.http import Http404
from django.utils.translation import gettext as _

from portal.dates import MONTH_NAMES, WEEKDAY_NAMES, add_months, today
from portal.plain_sql import connection_for, fetch, fields_of, instances, statement
from reservations.models import Activity, CartConfirmation, CartLine, Enrolment, Occurrence, Reservation
from reservations.rules import states
from reservations.rules.availability import BOOK, CANCEL, Slot, activity_states, book_reason, cancel_reason, evaluate, windows
from reservations.rules.context import load_context
from reservations.rules.places import hold_of

from .results import ConfirmationResult

# Months a parent may look at, relative to today: a school year back, two ahead.
MONTHS_BACK = 12
MONTHS_AHEAD = 24


def month_in_range(month: datetime.date, today: datetime.date) -> bool:
    first = today.replace(day=1)
    return add_months(first, -MONTHS_BACK) <= month <= add_months(first, MONTHS_AHEAD)


@dataclass
class DayCell:
    date: datetime.date
    in_month: bool
    state: states.DayState | None = None
    slots: list[Slot] = field(default_factory=list)   # activity mode only: the aggregate grid keeps just the state
    is_today: bool = False
    # Precomputed words: the grid shows 42 cells and date filters cost a translation lookup each.
    iso: str = ""
    weekday_abbr: str = ""
    month_name: str = ""

    def __post_init__(self):
        self.iso = self.iso or self.date.isoformat()
        self.weekday_abbr = self.weekday_abbr or str(WEEKDAY_NAMES[self.date.weekday()])[:3]
        self.month_name = self.month_name or str(MONTH_NAMES[self.date.month - 1])

    @property
    def slot(self) -> Slot | None:
        """The single slot in activity mode."""
        return self.slots[0] if len(self.slots) == 1 else None


@dataclass
class MonthView:
    month: datetime.date
    child: object
    activity: Activity | None
    activities: list
    weeks: list[list[DayCell]]
    legend: list
    previous_month: datetime.date
    next_month: datetime.date
    cart_count: int
    is_empty: bool = False                          # no day of the month has an activity for the child
    next_with_days: datetime.date | None = None     # then: the first later month that has one


@dataclass
class DayView:
    day: datetime.date
    child: object
    slots: list[Slot]
    state: states.DayState | None
    cart_count: int


def enrolled_activities(*, family, child, start: datetime.date, end: datetime.date) -> list[Activity]:
    """Activities the child may book between two dates (one query), in display order."""
    ids = Enrolment.objects.filter(
        child=child, child__family=family, start_date__lte=end, end_date__gte=start,
    ).values("activity_id")
    return list(Activity.objects.filter(id__in=ids, structure_id=family.structure_id, is_active=True)
                .order_by("position", "name"))


def cart_count(*, family) -> int:
    return CartLine.objects.filter(family=family).count()


def calendar_month(*, family, child, month: datetime.date, activity: Activity | None = None, now: datetime.datetime) -> MonthView:
    """The month grid (Monday–Sunday weeks) with each day's state for one child.

    With ``activity``: each day shows that activity's state (first seed list). Without:
    each day shows the aggregate of every activity the child is enrolled in (second list).
    """
    month = month.replace(day=1)
    last = month.replace(day=pycalendar.monthrange(month.year, month.month)[1])
    grid_start = month - datetime.timedelta(days=month.weekday())
    grid_end = last + datetime.timedelta(days=6 - last.weekday())
    ctx = load_context(
        family=family, child_ids=[child.id], start=grid_start, end=grid_end, now=now,
        activity_ids=[activity.id] if activity is not None else None,
        prices=activity is not None,   # the aggregate grid shows states, never a price
    )
    by_day: dict[datetime.date, list[Slot]] = {}
    day_states: dict[datetime.date, list[states.DayState]] = {}
    if activity is not None:
        for occurrence in ctx.occurrences.values():
            by_day.setdefault(occurrence.date, []).append(evaluate(ctx, occurrence, child.id))
    else:   # the aggregate grid shows only the day's state: no Slot per (day, activity)
        for occurrence, one_state in activity_states(ctx, ctx.occurrences.values(), child.id, enrolled_only=True):
            day_states.setdefault(occurrence.date, []).append(one_state)
    this_day = today(now)
    weekday_abbr = [str(name)[:3] for name in WEEKDAY_NAMES]
    month_names = {m: str(MONTH_NAMES[m - 1]) for m in {grid_start.month, month.month, grid_end.month}}
    weeks, day = [], grid_start
    while day <= grid_end:
        week = []
        for index in range(7):
            slots = by_day.get(day, [])
            if activity is not None:
                state = slots[0].state if slots else None
            else:
                found = day_states.get(day)
                state = states.aggregate_day_state(found) if found else None
            week.append(DayCell(date=day, in_month=day.month == month.month, state=state, slots=slots, is_today=day == this_day,
                                iso=day.isoformat(), weekday_abbr=weekday_abbr[index], month_name=month_names[day.month]))
            day += datetime.timedelta(days=1)
        weeks.append(week)
    activities = sorted(ctx.activities.values(), key=lambda a: (a.position, a.name))
    is_empty = not any(cell.state for week in weeks for cell in week if cell.in_month)
    return MonthView(
        month=month, child=child, activity=activity, activities=activities, weeks=weeks,
        legend=states.legend(aggregate=activity is None, limited=activity is not None and activity.limited_places),
        previous_month=add_months(month, -1), next_month=add_months(month, 1),
        cart_count=ctx.cart_count, is_empty=is_empty,
        next_with_days=first_month_with_days(family=family, child=child, activity=activity, after=last) if is_empty else None,
    )


def first_month_with_days(*, family, child, activity: Activity | None, after: datetime.date) -> datetime.date | None:
    """The first month after ``after`` holding a day the child is enrolled for (of ``activity`` if
    given): where an empty month sends the parent. One query, only for an empty month."""
    days = Occurrence.objects.filter(
        activity__structure_id=family.structure_id, date__gt=after,
        activity__enrolments__child=child, activity__enrolments__start_date__lte=F("date"),
        activity__enrolments__end_date__gte=F("date"),
    )
    if activity is not None:
        days = days.filter(activity=activity)
    first = days.order_by("date").values_list("date", flat=True).first()
    return first.replace(day=1) if first else None


def calendar_day(*, family, child, day: datetime.date, now: datetime.datetime) -> DayView:
    """"Activités disponibles le <date>": every activity of the child that day, with its state."""
    ctx = load_context(family=family, child_ids=[child.id], start=day, end=day, now=now)
    slots = [
        evaluate(ctx, occurrence, child.id) for occurrence in ctx.occurrences.values()
        if ctx.is_enrolled(child.id, occurrence.activity_id, occurrence.date)
    ]
    state = states.aggregate_day_state(slot.state for slot in slots) if slots else None
    return DayView(day=day, child=child, slots=slots, state=state, cart_count=ctx.cart_count)


class ToggledDay(NamedTuple):
    slot: Slot
    cart_count: int     # the badge's count, read with the day (no query of its own)


def slot_for(*, family, child, occurrence: Occurrence, now: datetime.datetime) -> ToggledDay:
    """One (child, occurrence) evaluated and the family's cart count, for the htmx partial after a toggle."""
    ctx = load_context(family=family, child_ids=[child.id], start=occurrence.date, end=occurrence.date, now=now,
                       occurrence_ids=[occurrence.id])
    return ToggledDay(evaluate(ctx, ctx.occurrences[occurrence.id], child.id), ctx.cart_count)


def availability_check(*, occurrence: Occurrence, child, now: datetime.datetime, action: str = BOOK) -> str | None:
    """None if the child may ``action`` ("book" / "cancel") the occurrence now, else a French reason.

    Reasons: closed day, not enrolled, not yet open, out of deadline, full (waiting list
    included), already booked, nothing to cancel. A booking that only fits on the waiting
    list is allowed (None). The child's family is the one whose data is checked.
    """
    family = child.family
    if occurrence.activity.structure_id != family.structure_id:
        return _("Cette activité n'est pas proposée par votre structure.")
    ctx = load_context(family=family, child_ids=[child.id], start=occurrence.date, end=occurrence.date, now=now,
                       occurrence_ids=[occurrence.id])
    loaded = ctx.occurrences.get(occurrence.id)
    if loaded is None:
        return _("Journée introuvable.")
    window = windows(ctx, loaded)
    if action == CANCEL:
        return cancel_reason(ctx, loaded, child.id, window=window)
    hold = hold_of(ctx.reservations.get((child.id, loaded.id)))
    return book_reason(ctx, loaded, child.id, hold=hold, window=window)


# --- one row of the family's, or a 404 ----------------------------------------------------

def activity_of_family_or_404(*, family, activity_id) -> Activity:
    """An active activity of the family's structure (another structure's, or garbage: 404)."""
    try:
        return Activity.objects.get(pk=int(activity_id), structure_id=family.structure_id, is_active=True)
    except (Activity.DoesNotExist, TypeError, ValueError):
        raise Http404(_("Activité introuvable.")) from None


def occurrence_of_family_or_404(*, family, occurrence_id) -> Occurrence:
    """A day of the family's structure, with its activity. Plain SQL (portal.plain_sql): read on
    each toggle of a day, where compiling the queryset cost more than running it (issue 16)."""
    try:
        wanted = int(occurrence_id)
    except (TypeError, ValueError):
        raise Http404(_("Journée introuvable.")) from None
    connection = connection_for(Occurrence)
    sql = statement(connection, "SELECT {o:*}, {a:*} FROM {o} INNER JOIN {a} ON {a.id} = {o.activity_id} "
                    "WHERE {o.id} = %s AND {a.structure_id} = %s", {"o": Occurrence, "a": Activity})
    rows = fetch(connection, sql, [wanted, family.structure_id], fields_of(Occurrence) + fields_of(Activity))
    if not rows:
        raise Http404(_("Journée introuvable."))
    occurrence, activity = instances((Occurrence, Activity), rows[0], connection.alias)
    occurrence._state.fields_cache = {"activity": activity}
    return occurrence


def reservation_of_family_or_404(*, family, reservation_id) -> Reservation:
    """One of the family's requests, with its child and activity."""
    try:
        return Reservation.objects.select_related("child", "occurrence__activity").get(pk=int(reservation_id),
                                                                                         family=family)
    except (Reservation.DoesNotExist, TypeError, ValueError):
        raise Http404(_("Réservation introuvable.")) from None


def confirmation_of_family_or_404(*, family, token) -> ConfirmationResult:
    """What one of the family's confirmations did, read back from what it stored."""
    record = CartConfirmation.objects.filter(token=token, family=family).only("token", "result").first()
    if record is None:
        raise Http404(_("Validation introuvable."))
    return ConfirmationResult.from_json(record.result or {"token": str(record.token)})
