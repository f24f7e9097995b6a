"""The cart's confirmation ("Valider réellement", DESIGN §4 step 3): one transaction.

The occurrences are locked (sorted order), every line is re-checked against deadlines
and places at that moment, then recorded: a request "Non transmise", maybe with the
waiting mark, or nothing ("Non traitée, activité complète"); cancellations of accepted
or waiting-listed requests become cancellation requests.
"""
from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from reservations.locking import busy_after_timeout, occurrences_lock, rows_lock
from reservations.models import CartConfirmation, CartLine, Occurrence, Reservation, ReservationEvent
from reservations.rules.availability import CANCEL, book_reason, cancel_reason, price, windows
from reservations.rules.context import Context, load_context
from reservations.rules.places import hold_of, places_left

from .cart import BookingRefused
from .results import ConfirmationResult, LineResult, Outcome
from .summary import changes_since_summary, summary_shown

State = Reservation.State
Kind = ReservationEvent.Kind


def cart_confirm(*, family, token: str, summary_fingerprint: str, now: datetime.datetime, user=None) -> ConfirmationResult:
    """Confirm every cart line of ``family`` in one transaction ("Valider réellement").

    ``token`` and ``summary_fingerprint`` are the ``CartSummary.token`` and
    ``CartSummary.fingerprint`` of a summary shown to this family (``cart_summary``): both
    are required. ``now`` (aware) is the moment the deadlines are checked against;
    ``user`` is recorded as the actor of the events (the parent, or staff booking on the
    family's behalf). The same token replayed records nothing twice and returns the stored
    result (``replayed=True``).

    Raises SummaryNotShown (a BookingRefused: no summary shown, another family's, or more
    than an hour old), BookingRefused (a token of another family already used) or
    reservations.locking.CartBusy (the days stayed locked too long: nothing recorded).
    """
    shown = summary_shown(family=family, token=token, fingerprint=summary_fingerprint)
    existing = CartConfirmation.objects.filter(token=shown.confirmation_id).first()
    if existing is not None:
        return _replayed(existing, family)
    shown.check_fresh()
    with busy_after_timeout():
        try:
            with transaction.atomic():
                confirmation = CartConfirmation.objects.create(family=family, token=shown.confirmation_id)
        except IntegrityError:   # the same token confirmed at the same moment (a double click)
            return _replayed(CartConfirmation.objects.get(token=shown.confirmation_id), family)
        result = _confirm_locked(family=family, confirmation=confirmation, seen=shown.seen, now=now, user=user)
        confirmation.result = result.to_json()
        confirmation.save(update_fields=["result"])
        return result


def _replayed(confirmation: CartConfirmation, family) -> ConfirmationResult:
    if confirmation.family_id != family.id:
        raise BookingRefused(_("Jeton de validation invalide : affichez à nouveau le récapitulatif."))
    return ConfirmationResult.from_json(confirmation.result, replayed=True)


def _confirm_locked(*, family, confirmation, seen, now, user) -> ConfirmationResult:
    """Lock (the family's cart lines, then their days in id order), re-check, write."""
    lines = rows_lock(CartLine.objects.filter(family=family).select_related("child", "occurrence__activity"))
    token = str(confirmation.token)
    if not lines:
        return ConfirmationResult(token=token)
    occurrence_ids = sorted({line.occurrence_id for line in lines})
    occurrences_lock(occurrence_ids)
    ctx = load_context(
        family=family, child_ids=sorted({line.child_id for line in lines}),
        start=min(line.occurrence.date for line in lines), end=max(line.occurrence.date for line in lines),
        now=now, occurrence_ids=occurrence_ids,
    )
    changes = changes_since_summary(ctx, lines, seen)
    ordered = sorted(lines, key=lambda line: (line.occurrence.date, line.occurrence.activity.position, line.occurrence_id,
                                             line.child.first_name, line.id))
    results = [_apply_line(ctx, line, confirmation=confirmation, now=now, user=user) for line in ordered]
    CartLine.objects.filter(id__in=[line.id for line in lines]).delete()
    return ConfirmationResult(token=token, lines=results, changes=changes)


def _apply_line(ctx: Context, line: CartLine, *, confirmation, now, user) -> LineResult:
    occurrence = ctx.occurrences[line.occurrence_id]
    arrival = line.arrival_time or occurrence.arrival_time

    def result(outcome: Outcome, *, cost=None, reason: str = "") -> LineResult:
        return LineResult(date=occurrence.date, activity=occurrence.activity.name, child=line.child.first_name,
                          arrival=arrival.strftime("%H:%M"), departure=occurrence.departure_time.strftime("%H:%M"),
                          action=line.action, outcome=outcome, observation=outcome.observation(reason), cost=cost)

    window = windows(ctx, occurrence)
    key = (line.child_id, occurrence.id)
    if line.action == CANCEL:
        reason = cancel_reason(ctx, occurrence, line.child_id, window=window)
        if reason:
            return result(Outcome.REFUSED, reason=reason)
        reservation = ctx.reservations[key]
        if reservation.state == State.NOT_TRANSMITTED:
            _release(occurrence, reservation)
            reservation.state = State.CANCELLED
            reservation.save(update_fields=["state"])
            ReservationEvent.objects.create(reservation=reservation, kind=Kind.CANCELLED_BEFORE_TRANSMISSION,
                                            from_state=State.NOT_TRANSMITTED, to_state=State.CANCELLED, actor=user,
                                            note=_("Annulée avant transmission"))
            del ctx.reservations[key]
            return result(Outcome.CANCELLED, cost=reservation.cost)
        reservation.cancel_requested_at = now
        reservation.save(update_fields=["cancel_requested_at"])
        ReservationEvent.objects.create(reservation=reservation, kind=Kind.CANCEL_REQUESTED, from_state=reservation.state,
                                        to_state=reservation.state, actor=user, note=_("Demande d'annulation"))
        return result(Outcome.CANCEL_REQUESTED, cost=reservation.cost)

    reason = book_reason(ctx, occurrence, line.child_id, hold=hold_of(ctx.reservations.get(key)), window=window,
                         check_places=False)
    if reason:
        return result(Outcome.REFUSED, reason=reason)
    quoted = price(ctx, occurrence, arrival=line.arrival_time)
    if quoted is None:
        return result(Outcome.REFUSED, reason=_("aucun tarif ne s'applique ce jour-là."))
    left, waiting_left = places_left(occurrence)
    waiting_mark = False
    if left is not None and left <= 0:
        if not waiting_left:
            return result(Outcome.FULL)
        waiting_mark = True
    reservation = Reservation.objects.create(
        family=confirmation.family, child=line.child, occurrence=occurrence, state=State.NOT_TRANSMITTED,
        waiting_mark=waiting_mark,
        arrival_time=arrival, departure_time=occurrence.departure_time, unit_price=quoted.unit_price,
        quantity=quoted.quantity, cost=quoted.total, submitted_at=now, confirmation=confirmation,
    )
    ReservationEvent.objects.create(reservation=reservation, kind=Kind.REQUESTED, from_state="",
                                    to_state=State.NOT_TRANSMITTED, actor=user,
                                    note=_("Mise en liste d'attente") if waiting_mark else "")
    ctx.reservations[key] = reservation
    if waiting_mark:
        occurrence.waiting_taken += 1
        return result(Outcome.WAITING, cost=quoted.total)
    occurrence.taken += 1
    return result(Outcome.BOOKED, cost=quoted.total)


def _release(occurrence: Occurrence, reservation: Reservation) -> None:
    """Keep the in-memory counts right when a not-transmitted request is withdrawn."""
    if reservation.waiting_mark:
        occurrence.waiting_taken = max(occurrence.waiting_taken - 1, 0)
    else:
        occurrence.taken = max(occurrence.taken - 1, 0)
