"""Whether a child may book or cancel an occurrence, and what it costs: pure decisions.

``evaluate`` gives the whole picture of one (child, occurrence) from a Context loaded by
reservations.rules.context.load_context: calendar state, why not (book / cancel: a
Refusal and its sentence, the reason), deadlines, price. ``day_state`` computes only the
state, for the aggregate month grid.
"""
from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.utils.translation import gettext as _

from billing.ledger.pricing import NoRateError, Quote, quote
from billing.money import format_money
from reservations.models import CartLine, Occurrence, Reservation

from . import deadlines, states
from .context import Context
from .places import hold_of, is_full, places_left
from .refusals import Refusal

BOOK = CartLine.Action.BOOK
CANCEL = CartLine.Action.CANCEL


def minutes_between(start: datetime.time, end: datetime.time) -> int:
    return max((end.hour * 60 + end.minute) - (start.hour * 60 + start.minute), 0)


@dataclass
class Slot:
    """One activity on one day for one child, as the parent sees it."""

    occurrence: Occurrence
    child_id: int
    state: states.DayState
    hold: str | None
    reservation: Reservation | None
    cart_line: CartLine | None
    places_left: int | None
    waiting_left: int | None
    book_reason: str | None
    cancel_reason: str | None
    book_deadline: datetime.datetime
    cancel_deadline: datetime.datetime
    opens_at: datetime.datetime | None
    deadline_text: str
    cost: Decimal | None
    cost_text: str
    cost_explanation: str
    # Booked now, it could not be cancelled any more (the cancellation deadline is past).
    final_once_booked: bool = False

    @property
    def activity(self):
        return self.occurrence.activity

    @property
    def toggle_action(self) -> str | None:
        """What a click does: take the cart line back, or add a book / cancel line (None: nothing)."""
        if self.cart_line is not None:
            return "remove"
        if self.hold is not None and self.cancel_reason is None:
            return CANCEL
        if self.hold is None and self.book_reason is None:
            return BOOK
        return None


def _rule_arguments(ctx: Context, occurrence: Occurrence) -> dict:
    # Working days skip what the structure does not work, not what only closes this activity;
    # the holidays a day belongs to come from the closures, however the day was created.
    if ctx.closed is None:
        return {"period_start": None, "start_time": occurrence.arrival_time, "non_working_days": {}}
    return {"period_start": ctx.closed.period_start(occurrence.date), "start_time": occurrence.arrival_time,
            "non_working_days": ctx.closed.non_working}


class Windows(NamedTuple):
    """When an occurrence can be booked and cancelled (aware, Europe/Paris)."""

    opens_at: datetime.datetime | None    # None: bookable as soon as the day exists
    book_deadline: datetime.datetime
    cancel_deadline: datetime.datetime


def windows(ctx: Context, occurrence: Occurrence) -> Windows:
    """The booking window and both deadlines of an occurrence; never after it starts."""
    book_rule, cancel_rule, opening = ctx.rules(occurrence.activity)
    return Windows(opens_at=opening.opens_at(occurrence.date), book_deadline=deadline(ctx, occurrence, book_rule),
                   cancel_deadline=deadline(ctx, occurrence, cancel_rule))


def deadline(ctx: Context, occurrence: Occurrence, rule) -> datetime.datetime:
    """One rule's deadline for an occurrence, never after it starts."""
    start = deadlines.occurrence_start(occurrence.date, occurrence.arrival_time)
    return min(rule.deadline_for(occurrence.date, **_rule_arguments(ctx, occurrence)), start)


def book_refusal(ctx: Context, occurrence: Occurrence, child_id: int, *, hold, window: Windows,
                 check_places: bool = True) -> Refusal | None:
    """Why the child cannot book this day now (None: bookable, maybe on the waiting list)."""
    activity = occurrence.activity
    if occurrence.is_closed or (ctx.closed and ctx.closed.reason(activity, occurrence.date)):
        return Refusal.CLOSED
    if not ctx.is_enrolled(child_id, activity.id, occurrence.date):
        return Refusal.NOT_ENROLLED
    if hold is not None:
        return Refusal.ALREADY_BOOKED
    if (child_id, occurrence.id) in ctx.reservations:
        return Refusal.CANCEL_PENDING
    if window.opens_at is not None and ctx.now < window.opens_at:
        return Refusal.NOT_OPEN
    if ctx.now > window.book_deadline:
        return Refusal.TOO_LATE_TO_BOOK
    if check_places and is_full(occurrence):
        return Refusal.FULL
    return None


def cancel_refusal(ctx: Context, occurrence: Occurrence, child_id: int, *, window: Windows) -> Refusal | None:
    """Why the child's request on this day cannot be cancelled now (None: it can)."""
    reservation = ctx.reservations.get((child_id, occurrence.id))
    if reservation is None:
        return Refusal.NOTHING_TO_CANCEL
    if reservation.cancel_requested_at is not None:
        return Refusal.CANCEL_ALREADY_ASKED
    return Refusal.TOO_LATE_TO_CANCEL if ctx.now > window.cancel_deadline else None


def reason(ctx: Context, occurrence: Occurrence, refusal: Refusal | None, *, window: Windows) -> str | None:
    """The French sentence of a refusal on this occurrence (None for no refusal)."""
    if refusal is None:
        return None
    moment = {Refusal.NOT_OPEN: window.opens_at, Refusal.TOO_LATE_TO_BOOK: window.book_deadline,
              Refusal.TOO_LATE_TO_CANCEL: window.cancel_deadline}.get(refusal)
    closed_reason = ctx.closed.reason(occurrence.activity, occurrence.date) if ctx.closed else None
    return refusal.message(day=occurrence.date, activity=occurrence.activity.name, today=ctx.today, moment=moment,
                           closed_reason=closed_reason)


def book_reason(ctx: Context, occurrence: Occurrence, child_id: int, *, hold, window: Windows,
                check_places: bool = True) -> str | None:
    """Why the child cannot book this day now, in French (None: bookable, maybe on the waiting list)."""
    return reason(ctx, occurrence, book_refusal(ctx, occurrence, child_id, hold=hold, window=window,
                                                check_places=check_places), window=window)


def cancel_reason(ctx: Context, occurrence: Occurrence, child_id: int, *, window: Windows) -> str | None:
    """Why the child's request on this day cannot be cancelled now, in French (None: it can)."""
    return reason(ctx, occurrence, cancel_refusal(ctx, occurrence, child_id, window=window), window=window)


def price(ctx: Context, occurrence: Occurrence, *, arrival: datetime.time | None = None) -> Quote | None:
    """The server's own price of one booking for this family (None: the activity is free / no rate)."""
    activity = occurrence.activity
    if activity.tariff is None:
        return Quote(unit_price=Decimal("0"), quantity=Decimal("1"), total=Decimal("0.00"), explanation=_("gratuit"))
    minutes = minutes_between(arrival or occurrence.arrival_time, occurrence.departure_time)
    try:
        return quote(tariff=activity.tariff, quotient=ctx.family.quotient if ctx.family else None, on_date=occurrence.date,
                     minutes=minutes,
                     rates=ctx.rates.get(activity.tariff_id, []))
    except NoRateError:
        return None


def deadline_text(ctx: Context, *, hold, book_reason_text, cancel_reason_text, window: Windows) -> str:
    """Until when the day can be changed, in the parent's words; never a cancellation date
    already past (a day still bookable after its cancellation deadline says it plainly)."""
    today = ctx.today
    if hold is not None:
        if cancel_reason_text is None:
            return _("Annulable jusqu'au %(moment)s") % {
                "moment": deadlines.format_deadline(window.cancel_deadline, today=today)}
        # A held day has no cancellation pending (hold_of): the only reason left is the deadline.
        return _("Ne peut plus être annulée : le délai d'annulation est dépassé.")
    if book_reason_text is None:
        book = deadlines.format_deadline(window.book_deadline, today=today)
        if ctx.now > window.cancel_deadline:
            return _("Réservable jusqu'au %(book)s ; ne pourra plus être annulée.") % {"book": book}
        if window.book_deadline == window.cancel_deadline:
            return _("Modifiable jusqu'au %(moment)s") % {"moment": book}
        return _("Réservable jusqu'au %(book)s, annulable jusqu'au %(cancel)s") % {
            "book": book, "cancel": deadlines.format_deadline(window.cancel_deadline, today=today)}
    return book_reason_text


def evaluate(ctx: Context, occurrence: Occurrence, child_id: int) -> Slot:
    """The whole picture of one (child, occurrence): state, reasons, deadlines, cost."""
    reservation = ctx.reservations.get((child_id, occurrence.id))
    hold = hold_of(reservation)
    line = ctx.cart.get((child_id, occurrence.id))
    window = windows(ctx, occurrence)
    # Places do not make a day "not bookable" for the state: full days have their own states.
    open_refusal = book_refusal(ctx, occurrence, child_id, hold=hold, window=window, check_places=False)
    book_text = reason(ctx, occurrence, open_refusal or (Refusal.FULL if is_full(occurrence) else None), window=window)
    cancel_text = cancel_reason(ctx, occurrence, child_id, window=window)
    left, waiting_left = places_left(occurrence)
    state = states.activity_day_state(
        hold=hold, bookable=open_refusal is None, cancellable=cancel_text is None,
        limited=left is not None, places_left=left or 0, waiting_left=waiting_left or 0,
        cart_action=line.action if line else None,
    )
    if reservation is not None and hold is not None:
        cost = reservation.cost
        explanation = _("prix retenu à la validation")
    else:
        quoted = price(ctx, occurrence, arrival=line.arrival_time if line else None)
        cost = quoted.total if quoted else None
        explanation = quoted.explanation if quoted else _("tarif non défini pour cette date")
    return Slot(
        occurrence=occurrence, child_id=child_id, state=state, hold=hold, reservation=reservation, cart_line=line,
        places_left=left, waiting_left=waiting_left, book_reason=book_text, cancel_reason=cancel_text,
        book_deadline=window.book_deadline, cancel_deadline=window.cancel_deadline, opens_at=window.opens_at,
        deadline_text=deadline_text(ctx, hold=hold, book_reason_text=book_text, cancel_reason_text=cancel_text,
                                    window=window),
        cost=cost, cost_text=format_money(cost) if cost is not None else _("tarif non défini"), cost_explanation=explanation,
        final_once_booked=hold is None and ctx.now > window.cancel_deadline,
    )


def day_state(ctx: Context, occurrence: Occurrence, child_id: int) -> states.DayState:
    """``evaluate(ctx, occurrence, child_id).state``, computed with only the work the state needs."""
    return next(activity_states(ctx, (occurrence,), child_id))[1]


def activity_states(ctx: Context, occurrences, child_id: int, *, enrolled_only: bool = False,
                    ) -> Iterator[tuple[Occurrence, states.DayState]]:
    """Each occurrence with ``evaluate(ctx, occurrence, child_id).state`` (``enrolled_only``: those
    the child is enrolled for), for the aggregate month grid's 300 (day, activity) pairs.

    Only the work the state needs: no Slot, no sentence, no price; what depends on the activity
    alone (rules, closed days, enrolments) is looked up once per activity; a day is started or
    not by its date unless it is today; a deadline is computed only when the state depends on it
    (a started day is past every deadline, a cart line decides the state by itself).
    """
    now, today = ctx.now, ctx.today
    reservations, cart = ctx.reservations, ctx.cart
    per_activity: dict = {}
    for occurrence in occurrences:
        activity_id = occurrence.__dict__["activity_id"]   # not through its descriptor: 300 days a page
        known = per_activity.get(activity_id)
        if known is None:
            activity = occurrence.activity
            known = per_activity[activity_id] = (
                ctx.enrolments.get((child_id, activity.id), ()), ctx.rules(activity),
                ctx.closed.for_activity(activity) if ctx.closed else {}, activity.limited_places,
            )
        enrolments, (book_rule, cancel_rule, opening), closed, limited = known
        day = occurrence.date
        enrolled = False
        for first, last in enrolments:
            if first <= day <= last:
                enrolled = True
                break
        if enrolled_only and not enrolled:
            continue
        key = (child_id, occurrence.id)
        reservation = reservations.get(key)
        hold = hold_of(reservation)
        line = cart.get(key)
        action = line.action if line else None
        bookable = cancellable = False
        if not ((action == CANCEL and hold is not None) or (action == BOOK and hold is None)):
            started = day < today or (day == today and now > deadlines.occurrence_start(day, occurrence.arrival_time))
            # Not started: a deadline is never after the start, so "now <= deadline" is the rule's own.
            if started:
                pass
            elif hold is not None:   # a held day has a live reservation whose cancellation is not requested
                cancellable = now <= _rule_deadline(ctx, occurrence, cancel_rule)
            elif reservation is None:
                # book_refusal's checks, cheapest first; the deadline only for a day still open.
                bookable = (enrolled and not occurrence.is_closed and day not in closed
                            and opening.is_open(day, today=today) and now <= _rule_deadline(ctx, occurrence, book_rule))
        if limited:
            left, waiting_left = max(occurrence.places - occurrence.taken, 0), max(occurrence.waiting_places
                                                                                    - occurrence.waiting_taken, 0)
        else:
            left = waiting_left = 0
        yield occurrence, states.activity_day_state(hold=hold, bookable=bookable, cancellable=cancellable, limited=limited,
                                                    places_left=left, waiting_left=waiting_left, cart_action=action)


def _rule_deadline(ctx: Context, occurrence: Occurrence, rule) -> datetime.datetime:
    """A rule's own deadline for an occurrence (``deadline`` without the cap at its start)."""
    closed = ctx.closed
    return rule.deadline_for(occurrence.date, period_start=closed.period_start(occurrence.date) if closed else None,
                             start_time=occurrence.arrival_time, non_working_days=closed.non_working if closed else {})
