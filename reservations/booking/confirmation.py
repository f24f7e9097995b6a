"""The cart's confirmation ("Valider réellement", DESIGN §4 step 3): one transaction.

The occurrences are locked (sorted order), every line is re-checked against deadlines
and places at that moment, then recorded: a request "Non transmise", maybe with the
waiting mark, or nothing ("Non traitée, activité complète"); cancellations of accepted
or waiting-listed requests become cancellation requests.
"""
from __future__ import annotations

import datetime
import uuid

from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from reservations.models import CartConfirmation, CartLine, Occurrence, Reservation, ReservationEvent
from reservations.rules.availability import CANCEL, book_reason, cancel_reason, price, windows
from reservations.rules.context import Context, load_context
from reservations.rules.places import hold_of, places_left

from .cart import BookingRefused
from .summary import changes_since_summary

State = Reservation.State

LOCK_TIMEOUT = "3s"


class EventKind:
    """ReservationEvent.kind values written by the cart (the nightly batch adds its own)."""

    REQUESTED = "requested"                    # a new booking request (note says if waiting-marked)
    CANCEL_REQUESTED = "cancel_requested"      # cancellation of an accepted / waiting-listed request
    CANCELLED_BEFORE_TRANSMISSION = "cancelled"  # a not-yet-transmitted request withdrawn at once


class Outcome:
    """What happened to one cart line at confirm time (CartConfirmation.result[...]["outcome"])."""

    BOOKED = "booked"
    WAITING = "waiting"
    FULL = "full"
    CANCELLED = "cancelled"
    CANCEL_REQUESTED = "cancel_requested"
    REFUSED = "refused"


class CartBusy(Exception):
    """The occurrences stayed locked too long (another confirmation or the nightly run): retry."""

    message = gettext_lazy("Beaucoup de familles réservent en ce moment : vos demandes n'ont pas été enregistrées, réessayez dans un instant.")


# --- confirmation ("Valider réellement") -------------------------------------------------

def _is_lock_timeout(error: Exception) -> bool:
    code = getattr(getattr(error, "__cause__", None), "pgcode", None)
    return code in ("55P03", "40P01") or "lock timeout" in str(error) or "deadlock" in str(error)


def cart_confirm(*, family, token, summary_fingerprint: str = "", now: datetime.datetime, user=None,
                 _lock: bool = True, _after_check=None) -> dict:
    """Confirm every cart line in one transaction; the same token replayed records nothing twice.

    Returns the stored result: {"lines": [...], "changes": [...], "token": ...}. Raises
    BookingRefused (bad token) or CartBusy (lock timeout). ``_lock`` and ``_after_check``
    exist only for the concurrency test's control (the race without the lock).
    """
    try:
        token = uuid.UUID(str(token))
    except (TypeError, ValueError):
        raise BookingRefused(_("Jeton de validation invalide : affichez à nouveau le récapitulatif."))
    existing = CartConfirmation.objects.filter(token=token).first()
    if existing is not None:
        return _replayed(existing, family)
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
            try:
                with transaction.atomic():
                    confirmation = CartConfirmation.objects.create(family=family, token=token)
            except IntegrityError:
                confirmation = None
            if confirmation is None:
                return _replayed(CartConfirmation.objects.get(token=token), family)
            result = _confirm_locked(family=family, confirmation=confirmation, summary_fingerprint=summary_fingerprint,
                                     now=now, user=user, lock=_lock, after_check=_after_check)
            confirmation.result = result
            confirmation.save(update_fields=["result"])
            return result
    except OperationalError as error:
        if _is_lock_timeout(error):
            raise CartBusy() from error
        raise


def _replayed(confirmation: CartConfirmation, family) -> dict:
    if confirmation.family_id != family.id:
        raise BookingRefused(_("Jeton de validation invalide : affichez à nouveau le récapitulatif."))
    result = dict(confirmation.result or {})
    result["replayed"] = True
    return result


def _confirm_locked(*, family, confirmation, summary_fingerprint, now, user, lock, after_check) -> dict:
    lines = CartLine.objects.filter(family=family).select_related("child", "occurrence__activity").order_by("id")
    if lock:
        lines = lines.select_for_update(of=("self",))
    lines = list(lines)
    occurrence_ids = sorted({line.occurrence_id for line in lines})
    if lock and occurrence_ids:
        # Sorted order: two confirmations sharing days never wait on each other in a cycle.
        list(Occurrence.objects.select_for_update().filter(id__in=occurrence_ids).order_by("id").values_list("id", flat=True))
    result = {"token": str(confirmation.token), "lines": [], "changes": []}
    if not lines:
        return result
    ctx = load_context(
        family=family, child_ids=sorted({line.child_id for line in lines}),
        start=min(line.occurrence.date for line in lines), end=max(line.occurrence.date for line in lines),
        now=now, occurrence_ids=occurrence_ids,
    )
    result["changes"] = changes_since_summary(ctx, lines, summary_fingerprint)
    if after_check is not None:
        after_check()
    ordered = sorted(lines, key=lambda line: (line.occurrence.date, line.occurrence.activity.position, line.occurrence_id,
                                             line.child.first_name, line.id))
    for line in ordered:
        result["lines"].append(_apply_line(ctx, line, confirmation=confirmation, now=now, user=user))
    CartLine.objects.filter(id__in=[line.id for line in lines]).delete()
    return result


def _apply_line(ctx: Context, line: CartLine, *, confirmation, now, user) -> dict:
    occurrence = ctx.occurrences[line.occurrence_id]
    activity = occurrence.activity
    arrival = line.arrival_time or occurrence.arrival_time
    row = {
        "date": occurrence.date.isoformat(), "activity": activity.name, "child": line.child.first_name,
        "arrival": arrival.strftime("%H:%M"), "departure": occurrence.departure_time.strftime("%H:%M"),
        "action": line.action, "cost": None, "outcome": None, "observation": "",
    }
    opens_at, book_deadline, cancel_deadline = windows(ctx, occurrence)
    key = (line.child_id, occurrence.id)
    if line.action == CANCEL:
        reason = cancel_reason(ctx, occurrence, line.child_id, cancel_deadline=cancel_deadline)
        if reason:
            row.update(outcome=Outcome.REFUSED, observation=_("Non traitée : %(reason)s") % {"reason": reason})
            return row
        reservation = ctx.reservations[key]
        row["cost"] = str(reservation.cost)
        if reservation.state == State.NOT_TRANSMITTED:
            _release(occurrence, reservation)
            reservation.state = State.CANCELLED
            reservation.save(update_fields=["state"])
            ReservationEvent.objects.create(reservation=reservation, kind=EventKind.CANCELLED_BEFORE_TRANSMISSION,
                                            from_state=State.NOT_TRANSMITTED, to_state=State.CANCELLED, actor=user,
                                            note=_("Annulée avant transmission"))
            del ctx.reservations[key]
            row.update(outcome=Outcome.CANCELLED, observation=_("Annulée"))
        else:
            reservation.cancel_requested_at = now
            reservation.save(update_fields=["cancel_requested_at"])
            ReservationEvent.objects.create(reservation=reservation, kind=EventKind.CANCEL_REQUESTED,
                                            from_state=reservation.state, to_state=reservation.state, actor=user,
                                            note=_("Demande d'annulation"))
            row.update(outcome=Outcome.CANCEL_REQUESTED, observation=_("Demande d'annulation enregistrée"))
        return row

    hold = hold_of(ctx.reservations.get(key))
    reason = book_reason(ctx, occurrence, line.child_id, hold=hold, opens_at=opens_at, book_deadline=book_deadline,
                         check_places=False)
    if reason:
        row.update(outcome=Outcome.REFUSED, observation=_("Non traitée : %(reason)s") % {"reason": reason})
        return row
    quoted = price(ctx, occurrence, arrival=line.arrival_time)
    if quoted is None:
        row.update(outcome=Outcome.REFUSED, observation=_("Non traitée : aucun tarif ne s'applique ce jour-là."))
        return row
    left, waiting_left = places_left(occurrence)
    waiting_mark = False
    if left is not None and left <= 0:
        if waiting_left <= 0:
            row.update(outcome=Outcome.FULL, observation=_("Non traitée, activité complète"))
            return row
        waiting_mark = True
    reservation = Reservation.objects.create(
        family=ctx.family, child=line.child, occurrence=occurrence, state=State.NOT_TRANSMITTED, waiting_mark=waiting_mark,
        arrival_time=arrival, departure_time=occurrence.departure_time, unit_price=quoted.unit_price,
        quantity=quoted.quantity, cost=quoted.total, submitted_at=now, confirmation=confirmation,
    )
    ReservationEvent.objects.create(reservation=reservation, kind=EventKind.REQUESTED, from_state="",
                                    to_state=State.NOT_TRANSMITTED, actor=user,
                                    note=_("Mise en liste d'attente") if waiting_mark else "")
    ctx.reservations[key] = reservation
    if waiting_mark:
        occurrence.waiting_taken += 1
        row.update(outcome=Outcome.WAITING, observation=_("Mise en liste d'attente"))
    else:
        occurrence.taken += 1
        row.update(outcome=Outcome.BOOKED, observation=_("Demande enregistrée (non transmise)"))
    row["cost"] = str(quoted.total)
    return row


def _release(occurrence: Occurrence, reservation: Reservation) -> None:
    """Keep the in-memory counts right when a not-transmitted request is withdrawn."""
    if reservation.waiting_mark:
        occurrence.waiting_taken = max(occurrence.waiting_taken - 1, 0)
    else:
        occurrence.taken = max(occurrence.taken - 1, 0)
