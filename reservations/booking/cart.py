"""Writes of the cart (DESIGN §4 step 1): book / cancel lines kept server-side per family.

Nothing is booked here: a line is a click not yet confirmed. Every line is checked
against the rules when it is added (and again under lock at confirm time, see
reservations.booking.confirmation); nothing the browser sends about price or
availability is trusted.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

from django.utils.translation import gettext as _

from portal.dates import MAX_PERIOD_DAYS
from portal.plain_sql import insert_unless_present
from reservations.models import CartLine, Occurrence, Reservation
from reservations.rules.availability import BOOK, CANCEL, Slot, book_reason, cancel_reason, evaluate, windows
from reservations.rules.context import Context, load_context
from reservations.rules.places import hold_of

REMOVED = "removed"   # the toggle took the day's line back out of the cart


class BookingRefused(Exception):
    """A cart change the rules forbid; ``message`` is French, for the parent."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- arrival time ------------------------------------------------------------------------

def parse_arrival(value, *, occurrence: Occurrence) -> datetime.time | None:
    """The typed arrival time, checked against the activity's bounds (None: the default time)."""
    activity = occurrence.activity
    if not activity.arrival_typed or value in (None, ""):
        return None
    if isinstance(value, datetime.time):
        arrival = value
    else:
        try:
            # A time of day, no date: a time zone has no meaning here.
            arrival = datetime.datetime.strptime(str(value).strip(), "%H:%M").time()  # noqa: DTZ007
        except ValueError:
            raise BookingRefused(_("Heure d'arrivée illisible : écrivez-la sous la forme 07:45.")) from None
    earliest = activity.arrival_earliest or occurrence.arrival_time
    latest = activity.arrival_latest or occurrence.departure_time
    if not (earliest <= arrival <= latest) or arrival >= occurrence.departure_time:
        raise BookingRefused(_("Heure d'arrivée impossible : choisissez entre %(low)s et %(high)s.") % {
            "low": earliest.strftime("%H:%M"), "high": latest.strftime("%H:%M")})
    return arrival


# --- cart lines --------------------------------------------------------------------------

def _check_owner(*, family, child, occurrence) -> None:
    if child.family_id != family.id or occurrence.activity.structure_id != family.structure_id:
        raise BookingRefused(_("Cette journée ou cet enfant n'appartient pas à votre famille."))


class Toggled(NamedTuple):
    done: str                 # BOOK, CANCEL or REMOVED
    slot: Slot | None         # with ``day_after``: the day as it stands now
    cart_count: int | None    # with ``day_after``: the badge's count


def cart_toggle_line(*, family, child, occurrence: Occurrence, now: datetime.datetime, arrival_time=None,
                     day_after: bool = False) -> Toggled:
    """Add a book or cancel line for a day, or take it back out: the one toggle of the calendar,
    the day page and the follow-up.

    ``day_after`` (the htmx toggle, which answers the cell and the badge): the day's context is
    read before the change and the day and the cart's count are told from it as they stand after
    (no second read after the write). Without (the no-JS toggle redirects to a whole page): the
    context is read only to add a line, taking one back out needs none.
    """
    _check_owner(family=family, child=child, occurrence=occurrence)
    ctx = _day_context(family=family, child=child, occurrence=occurrence, now=now) if day_after else None
    key = (child.id, occurrence.id)
    deleted = 0
    # With the context read, a day it shows without a line has nothing to take out: no DELETE (a
    # line another tab adds meanwhile meets the insert's conflict, as a double click does).
    if ctx is None or key in ctx.cart:
        deleted, _detail = CartLine.objects.filter(family=family, child=child, occurrence=occurrence).delete()
    if ctx is not None and key in ctx.cart:   # read with the context: gone now, whoever took it out
        del ctx.cart[key]
        ctx.cart_count -= 1
    if deleted:
        done = REMOVED
    else:
        ctx = ctx or _day_context(family=family, child=child, occurrence=occurrence, now=now)
        done, line = _add_line(ctx, family=family, child=child, occurrence=occurrence, arrival_time=arrival_time)
        if day_after and line is not None:
            ctx.cart[key] = line
            ctx.cart_count += 1
    if not day_after:
        return Toggled(done, None, None)
    assert ctx is not None
    return Toggled(done, evaluate(ctx, ctx.occurrences[occurrence.id], child.id), ctx.cart_count)


def cart_toggle(*, family, child, occurrence: Occurrence, now: datetime.datetime, arrival_time=None) -> str:
    """``cart_toggle_line`` without the day after: BOOK, CANCEL or REMOVED."""
    return cart_toggle_line(family=family, child=child, occurrence=occurrence, now=now, arrival_time=arrival_time).done


def _day_context(*, family, child, occurrence: Occurrence, now: datetime.datetime) -> Context:
    return load_context(family=family, child_ids=[child.id], start=occurrence.date, end=occurrence.date, now=now,
                        occurrence_ids=[occurrence.id])


def _add_line(ctx: Context, *, family, child, occurrence: Occurrence, arrival_time) -> tuple[str, CartLine | None]:
    """The book or cancel line a click on this day adds (None: a double click added it already)."""
    loaded = ctx.occurrences.get(occurrence.id)
    if loaded is None:
        raise BookingRefused(_("Journée introuvable."))
    action = _line_action(ctx, loaded, child.id)
    arrival = parse_arrival(arrival_time, occurrence=loaded) if action == BOOK else None
    line = CartLine(family=family, child=child, occurrence=loaded, action=action, arrival_time=arrival)
    if not insert_unless_present(line, unique=("family_id", "child_id", "occurrence_id")):
        return action, None   # a double click already added it
    return action, line


def _line_action(ctx: Context, occurrence: Occurrence, child_id: int) -> str:
    """BOOK or CANCEL for a click on this day, or BookingRefused with the reason."""
    window = windows(ctx, occurrence)
    reservation = ctx.reservations.get((child_id, occurrence.id))
    if reservation is not None and reservation.cancel_requested_at is None:
        reason = cancel_reason(ctx, occurrence, child_id, window=window)
        if reason:
            raise BookingRefused(reason)
        return CANCEL
    reason = book_reason(ctx, occurrence, child_id, hold=hold_of(reservation), window=window)
    if reason:
        raise BookingRefused(reason)
    return BOOK


@dataclass
class PatternResult:
    added: list = field(default_factory=list)      # occurrences put in the cart
    skipped: list = field(default_factory=list)    # (date, activity name, reason)


def cart_week_pattern(*, family, child, activity, weekdays, start: datetime.date, end: datetime.date, action: str,
                      now: datetime.datetime) -> PatternResult:
    """Put every eligible <weekdays> day of an activity between two dates in the cart at once."""
    if child.family_id != family.id or activity.structure_id != family.structure_id:
        raise BookingRefused(_("Cette activité ou cet enfant n'appartient pas à votre famille."))
    if end < start:
        raise BookingRefused(_("La date de fin est avant la date de début."))
    if (end - start).days > MAX_PERIOD_DAYS:
        raise BookingRefused(_("Choisissez une période de moins d'un an."))
    if action not in (BOOK, CANCEL):
        raise BookingRefused(_("Choisissez « réserver » ou « annuler »."))
    weekdays = {int(day) for day in weekdays}
    if not weekdays or not weekdays <= set(range(7)):
        raise BookingRefused(_("Cochez au moins un jour de la semaine."))
    ctx = load_context(family=family, child_ids=[child.id], start=start, end=end, now=now, activity_ids=[activity.id])
    result = PatternResult()
    new_lines = []
    for occurrence in ctx.occurrences.values():
        if occurrence.date.weekday() not in weekdays:
            continue
        slot = evaluate(ctx, occurrence, child.id)
        line = slot.cart_line
        if line is not None:
            if line.action == action:
                result.skipped.append((occurrence.date, activity.name, _("déjà dans le panier")))
            else:
                result.skipped.append((occurrence.date, activity.name,
                                       _("une autre demande est déjà dans le panier pour ce jour")))
            continue
        if action == BOOK:
            reason = slot.book_reason
        else:
            reason = slot.cancel_reason
        if reason:
            result.skipped.append((occurrence.date, activity.name, reason))
            continue
        new_lines.append(CartLine(family=family, child=child, occurrence=occurrence, action=action))
        result.added.append(occurrence)
    CartLine.objects.bulk_create(new_lines, ignore_conflicts=True)
    return result


class CancellationToCart(StrEnum):
    """What the follow-up's "Annuler" did to the cart."""

    ADDED = "added"
    ALREADY_IN_CART = "already_in_cart"
    NOTHING_TO_CANCEL = "nothing_to_cancel"
    LINE_REMOVED = "line_removed"     # the day had another line in the cart: taken back out instead


def cart_cancellation_add(*, family, reservation: Reservation, now: datetime.datetime) -> CancellationToCart:
    """Put a cancel line for one of the family's requests in the cart (recorded only when the
    cart is confirmed). Raises BookingRefused when the rules refuse the cancellation now."""
    child, occurrence = reservation.child, reservation.occurrence
    lines = CartLine.objects.filter(family=family, child=child, occurrence=occurrence)
    if lines.filter(action=CANCEL).exists():
        return CancellationToCart.ALREADY_IN_CART
    if reservation.state not in Reservation.LIVE_STATES or reservation.cancel_requested_at is not None:
        return CancellationToCart.NOTHING_TO_CANCEL
    action = cart_toggle(family=family, child=child, occurrence=occurrence, now=now)
    if action == CANCEL:
        return CancellationToCart.ADDED
    if action == REMOVED:
        return CancellationToCart.LINE_REMOVED
    lines.delete()   # a booking line was added: this day had nothing to cancel after all
    return CancellationToCart.NOTHING_TO_CANCEL


def cart_clear(*, family) -> int:
    """"Tout abandonner": drop every cart line of the family."""
    deleted, _detail = CartLine.objects.filter(family=family).delete()
    return deleted
