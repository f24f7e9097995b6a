"""The bookings part of the parent's home page (issue 11, "where am I"): per child the next
booked days and the requests awaiting an answer, the cart in progress, and the next booking
deadline that matters. Registered with portal.home from ReservationsConfig.ready().

A fixed number of queries whatever the number of children, days or requests (tested).
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from accounts.selectors import children_of_family
from portal.dates import today
from portal.home import HomeSection
from reservations.models import Reservation
from reservations.rules.availability import evaluate
from reservations.rules.context import load_context

from .selectors import cart_count

State = Reservation.State
NEXT_DAYS_SHOWN = 3            # booked days listed per child
DEADLINE_HORIZON_DAYS = 21     # how far ahead the next deadline is looked for
HOLDING = (State.ACCEPTED, State.WAITING_LIST, State.NOT_TRANSMITTED, State.AWAITING_DECISION)
AWAITING = (State.NOT_TRANSMITTED, State.AWAITING_DECISION)


@dataclass
class ChildSummary:
    child: object
    next_days: list = field(default_factory=list)      # Reservations, soonest first
    tonight: int = 0                                    # not transmitted: answered tonight
    awaiting_staff: int = 0                             # awaiting the structure's decision


@dataclass(frozen=True)
class NextDeadline:
    activity: str
    activity_id: int
    child: str
    child_id: int
    first_day: datetime.date
    days: int
    deadline: datetime.datetime
    text: str                                           # "Réservable jusqu'au jeudi 10 à 12:00"


def home_bookings(*, family, now: datetime.datetime) -> HomeSection | None:
    children = list(children_of_family(family))
    if not children:
        return None
    this_day = today(now)
    summaries = {child.id: ChildSummary(child=child) for child in children}
    upcoming = (Reservation.objects.filter(family=family, child_id__in=summaries, state__in=HOLDING,
                                           cancel_requested_at__isnull=True, occurrence__date__gte=this_day)
                .select_related("occurrence__activity").order_by("occurrence__date", "occurrence__arrival_time", "id"))
    for reservation in upcoming:
        summary = summaries[reservation.child_id]
        if reservation.state == State.NOT_TRANSMITTED:
            summary.tonight += 1
        elif reservation.state == State.AWAITING_DECISION:
            summary.awaiting_staff += 1
        if len(summary.next_days) < NEXT_DAYS_SHOWN:
            summary.next_days.append(reservation)
    return HomeSection(template="reservations/_home.html", context={
        "children_summaries": list(summaries.values()),
        "cart_count": cart_count(family=family),
        "next_deadline": next_deadline(family=family, children=children, now=now),
    })


def next_deadline(*, family, children, now: datetime.datetime) -> NextDeadline | None:
    """The soonest booking deadline still to come of a day a child could book and has not (nor
    put in the cart), with how many days of that activity share it ("la semaine du 14")."""
    this_day = today(now)
    ctx = load_context(family=family, child_ids=[child.id for child in children], start=this_day,
                       end=this_day + datetime.timedelta(days=DEADLINE_HORIZON_DAYS), now=now)
    names = {child.id: child.first_name for child in children}
    best: dict | None = None
    for occurrence in sorted(ctx.occurrences.values(), key=lambda o: (o.date, o.id)):
        for child_id in names:
            if not ctx.is_enrolled(child_id, occurrence.activity_id, occurrence.date):
                continue
            slot = evaluate(ctx, occurrence, child_id)
            if slot.hold is not None or slot.cart_line is not None or slot.book_reason is not None:
                continue
            if slot.book_deadline <= now:
                continue
            key = (slot.book_deadline, occurrence.activity_id, child_id)
            if best is None or key < best["key"]:
                best = {"key": key, "slot": slot, "days": 1, "child": names[child_id], "child_id": child_id}
            elif key == best["key"]:
                best["days"] += 1
    if best is None:
        return None
    slot = best["slot"]
    return NextDeadline(activity=slot.activity.name, activity_id=slot.activity.id, child=best["child"],
                        child_id=best["child_id"], first_day=slot.occurrence.date,
                        days=best["days"], deadline=slot.book_deadline, text=slot.deadline_text)
