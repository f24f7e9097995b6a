"""Whether a child may book or cancel an occurrence, and what it costs: pure decisions.

``evaluate`` gives the whole picture of one (child, occurrence) from a Context loaded by
reservations.rules.context.load_context: calendar state, why not (book / cancel),
deadlines, price. ``day_state`` computes only the state, for the aggregate month grid.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from billing.money import format_money
from billing.pricing import NoRateError, Quote, quote
from reservations.models import CartLine, Occurrence, Reservation

from . import deadlines, states
from .context import Context
from .places import hold_of, is_full, places_left

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
    closed = ctx.closed.for_activity(occurrence.activity) if ctx.closed else {}
    return {"period_start": occurrence.period_start, "start_time": occurrence.arrival_time, "closed_days": closed}


def windows(ctx: Context, occurrence: Occurrence):
    """(opens_at, book deadline, cancel deadline) of an occurrence; never after it starts."""
    book_rule, cancel_rule, opening = ctx.rules(occurrence.activity)
    start = deadlines.occurrence_start(occurrence.date, occurrence.arrival_time)
    kwargs = _rule_arguments(ctx, occurrence)
    book = min(book_rule.deadline_for(occurrence.date, **kwargs), start)
    cancel = min(cancel_rule.deadline_for(occurrence.date, **kwargs), start)
    return opening.opens_at(occurrence.date), book, cancel


def full_reason() -> str:
    return _("Activité complète (liste d'attente comprise).")


def book_block(ctx: Context, occurrence: Occurrence, child_id: int, *, hold, opens_at, book_deadline,
               check_places: bool = True) -> str | None:
    """The code of why the child cannot book this day now (None: bookable, maybe on the waiting list).

    Codes: closed, not_enrolled, held, cancel_pending, not_open, deadline, full. Cheap: no
    sentence is built (the month grid evaluates hundreds of days).
    """
    activity = occurrence.activity
    if occurrence.is_cancelled or (ctx.closed and ctx.closed.reason(activity, occurrence.date)):
        return "closed"
    if not ctx.is_enrolled(child_id, activity.id, occurrence.date):
        return "not_enrolled"
    if hold is not None:
        return "held"
    if (child_id, occurrence.id) in ctx.reservations:
        return "cancel_pending"
    if opens_at is not None and ctx.now < opens_at:
        return "not_open"
    if ctx.now > book_deadline:
        return "deadline"
    if check_places and is_full(occurrence):
        return "full"
    return None


def book_reason(ctx: Context, occurrence: Occurrence, child_id: int, *, hold, opens_at, book_deadline,
                check_places: bool = True) -> str | None:
    """Why the child cannot book this day now, in French (None: bookable, maybe on the waiting list)."""
    code = book_block(ctx, occurrence, child_id, hold=hold, opens_at=opens_at, book_deadline=book_deadline,
                      check_places=check_places)
    return None if code is None else block_message(ctx, occurrence, code, opens_at=opens_at, book_deadline=book_deadline)


def block_message(ctx: Context, occurrence: Occurrence, code: str, *, opens_at, book_deadline) -> str:
    activity = occurrence.activity
    day = occurrence.date.strftime("%d/%m/%Y")
    if code == "closed":
        closed_reason = ctx.closed.reason(activity, occurrence.date) if ctx.closed else None
        return _("Fermé le %(day)s (%(reason)s).") % {"day": day, "reason": closed_reason or _("journée fermée")}
    if code == "not_enrolled":
        return _("L'enfant n'est pas inscrit à « %(activity)s » le %(day)s.") % {"activity": activity.name, "day": day}
    if code == "held":
        return _("Ce jour est déjà réservé.")
    if code == "cancel_pending":
        return _("Une annulation est déjà demandée pour ce jour ; elle sera traitée cette nuit.")
    if code == "not_open":
        return _("Les réservations ouvrent le %(moment)s.") % {"moment": deadlines.format_moment(opens_at, today=ctx.today)}
    if code == "deadline":
        return _("Hors délai : ce jour pouvait être réservé jusqu'au %(moment)s.") % {
            "moment": deadlines.format_moment(book_deadline, today=ctx.today)}
    return full_reason()


def _cancel_block(ctx: Context, occurrence: Occurrence, child_id: int, *, cancel_deadline) -> str | None:
    reservation = ctx.reservations.get((child_id, occurrence.id))
    if reservation is None:
        return "nothing"
    if reservation.cancel_requested_at is not None:
        return "cancel_pending"
    return "deadline" if ctx.now > cancel_deadline else None


def cancel_reason(ctx: Context, occurrence: Occurrence, child_id: int, *, cancel_deadline) -> str | None:
    reservation = ctx.reservations.get((child_id, occurrence.id))
    if reservation is None:
        return _("Aucune réservation à annuler ce jour-là.")
    if reservation.cancel_requested_at is not None:
        return _("L'annulation est déjà demandée ; elle sera traitée cette nuit.")
    if ctx.now > cancel_deadline:
        return _("Hors délai : ce jour pouvait être annulé jusqu'au %(moment)s.") % {
            "moment": deadlines.format_moment(cancel_deadline, today=ctx.today)}
    return None


def price(ctx: Context, occurrence: Occurrence, *, arrival: datetime.time | None = None) -> Quote | None:
    """The server's own price of one booking for this family (None: the activity is free / no rate)."""
    activity = occurrence.activity
    if activity.tariff is None:
        return Quote(unit_price=Decimal("0"), quantity=Decimal("1"), total=Decimal("0.00"), explanation=_("gratuit"))
    minutes = minutes_between(arrival or occurrence.arrival_time, occurrence.departure_time)
    try:
        return quote(tariff=activity.tariff, quotient=ctx.family.quotient, on_date=occurrence.date, minutes=minutes,
                     rates=ctx.rates.get(activity.tariff_id, []))
    except NoRateError:
        return None


def deadline_text(ctx: Context, *, hold, book_reason_text, cancel_reason_text, opens_at, book_deadline, cancel_deadline) -> str:
    today = ctx.today
    if hold is not None:
        if cancel_reason_text is None:
            return _("Annulable jusqu'au %(moment)s") % {"moment": deadlines.format_moment(cancel_deadline, today=today)}
        return cancel_reason_text
    if book_reason_text is None:
        if book_deadline == cancel_deadline:
            return _("Modifiable jusqu'au %(moment)s") % {"moment": deadlines.format_moment(book_deadline, today=today)}
        return _("Réservable jusqu'au %(book)s, annulable jusqu'au %(cancel)s") % {
            "book": deadlines.format_moment(book_deadline, today=today),
            "cancel": deadlines.format_moment(cancel_deadline, today=today)}
    return book_reason_text


def evaluate(ctx: Context, occurrence: Occurrence, child_id: int, *, details: bool = True) -> Slot:
    """The whole picture of one (child, occurrence): state, reasons, deadlines, cost.

    ``details=False`` skips the price and the deadline sentence, and leaves short codes
    instead of French sentences in book_reason / cancel_reason (the month grid in
    aggregate mode shows only the state).
    """
    reservation = ctx.reservations.get((child_id, occurrence.id))
    hold = hold_of(reservation)
    line = ctx.cart.get((child_id, occurrence.id))
    opens_at, book_deadline, cancel_deadline = windows(ctx, occurrence)
    open_block = book_block(ctx, occurrence, child_id, hold=hold, opens_at=opens_at, book_deadline=book_deadline,
                            check_places=False)
    book_code = open_block or ("full" if is_full(occurrence) else None)
    if details:
        why_not_book = book_code and block_message(ctx, occurrence, book_code, opens_at=opens_at, book_deadline=book_deadline)
        why_not_cancel = cancel_reason(ctx, occurrence, child_id, cancel_deadline=cancel_deadline)
    else:  # codes only: the aggregate grid shows states, never the sentences
        why_not_book = book_code
        why_not_cancel = _cancel_block(ctx, occurrence, child_id, cancel_deadline=cancel_deadline)
    left, waiting_left = places_left(occurrence)
    state = states.activity_day_state(
        hold=hold, bookable=open_block is None, cancellable=why_not_cancel is None,
        limited=left is not None, places_left=left or 0, waiting_left=waiting_left or 0,
        cart_action=line.action if line else None,
    )
    if not details:
        cost, explanation = None, ""
    elif reservation is not None and hold is not None:
        cost = reservation.cost
        explanation = _("prix retenu à la validation")
    else:
        quoted = price(ctx, occurrence, arrival=line.arrival_time if line else None)
        cost = quoted.total if quoted else None
        explanation = quoted.explanation if quoted else _("tarif non défini pour cette date")
    return Slot(
        occurrence=occurrence, child_id=child_id, state=state, hold=hold, reservation=reservation, cart_line=line,
        places_left=left, waiting_left=waiting_left, book_reason=why_not_book, cancel_reason=why_not_cancel,
        book_deadline=book_deadline, cancel_deadline=cancel_deadline, opens_at=opens_at,
        deadline_text=deadline_text(ctx, hold=hold, book_reason_text=why_not_book, cancel_reason_text=why_not_cancel,
                                    opens_at=opens_at, book_deadline=book_deadline, cancel_deadline=cancel_deadline)
        if details else "",
        cost=cost, cost_text=format_money(cost) if cost is not None else _("tarif non défini"), cost_explanation=explanation,
    )


def day_state(ctx: Context, occurrence: Occurrence, child_id: int) -> states.DayState:
    """``evaluate(ctx, occurrence, child_id).state``, computed with only the work the state needs.

    The aggregate month grid wants nothing but each activity's state: no Slot, no sentence,
    no price, and a deadline is computed only when the state depends on it (a day already
    started is past every deadline, a cart line decides the state by itself). Places matter
    only on a day not started yet or with a cart line: a context loaded with
    ``places_from=<today>`` gives the same states.
    """
    key = (child_id, occurrence.id)
    reservation = ctx.reservations.get(key)
    hold = hold_of(reservation)
    line = ctx.cart.get(key)
    action = line.action if line else None
    left, waiting_left = places_left(occurrence)
    bookable = cancellable = False
    if not ((action == CANCEL and hold is not None) or (action == BOOK and hold is None)):
        started = ctx.now > deadlines.occurrence_start(occurrence.date, occurrence.arrival_time)
        book_rule, cancel_rule, opening = ctx.rules(occurrence.activity)
        if hold is not None:
            # A held day has a live reservation whose cancellation is not requested.
            if not started:
                cancellable = ctx.now <= deadline(ctx, occurrence, cancel_rule)
        elif not started and reservation is None:
            # book_block's checks, cheapest first; the deadline only for a day still open.
            activity = occurrence.activity
            opens_at = opening.opens_at(occurrence.date)
            bookable = (
                not occurrence.is_cancelled and not (ctx.closed and ctx.closed.reason(activity, occurrence.date))
                and ctx.is_enrolled(child_id, activity.id, occurrence.date)
                and (opens_at is None or ctx.now >= opens_at)
                and ctx.now <= deadline(ctx, occurrence, book_rule)
            )
    return states.activity_day_state(
        hold=hold, bookable=bookable, cancellable=cancellable, limited=left is not None,
        places_left=left or 0, waiting_left=waiting_left or 0, cart_action=action,
    )


def deadline(ctx: Context, occurrence: Occurrence, rule) -> datetime.datetime:
    """One rule's deadline for an occurrence, never after it starts (as in ``windows``)."""
    start = deadlines.occurrence_start(occurrence.date, occurrence.arrival_time)
    return min(rule.deadline_for(occurrence.date, **_rule_arguments(ctx, occurrence)), start)
