"""Writes of the booking flow: the server-side cart and its two-step confirmation (DESIGN §4).

Nothing the browser sends about price or availability is trusted: every line is priced
and re-checked here, and again under lock at confirm time.
"""
from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from django.core import signing
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .availability import (
    BOOK, CANCEL, Context, book_reason, cancel_reason, euros, evaluate, hold_of, load_context, places_left,
    price, windows,
)
from .models import CartConfirmation, CartLine, Occurrence, Reservation, ReservationEvent

State = Reservation.State
LOCK_TIMEOUT = "3s"
FINGERPRINT_SALT = "reservations.cart.summary"
MAX_PATTERN_DAYS = 400


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


class BookingRefused(Exception):
    """A cart change the rules forbid; ``message`` is French, for the parent."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class CartBusy(Exception):
    """The occurrences stayed locked too long (another confirmation or the nightly run): retry."""

    message = gettext_lazy("Beaucoup de familles réservent en ce moment : vos demandes n'ont pas été enregistrées, réessayez dans un instant.")


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
            arrival = datetime.datetime.strptime(str(value).strip(), "%H:%M").time()
        except ValueError:
            raise BookingRefused(_("Heure d'arrivée illisible : écrivez-la sous la forme 07:45."))
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


def cart_toggle(*, family, child, occurrence: Occurrence, now: datetime.datetime, arrival_time=None) -> str:
    """Add a book or cancel line for a day, or take it back out. Returns "book", "cancel" or "removed"."""
    _check_owner(family=family, child=child, occurrence=occurrence)
    deleted, _detail = CartLine.objects.filter(family=family, child=child, occurrence=occurrence).delete()
    if deleted:
        return "removed"
    ctx = load_context(family=family, child_ids=[child.id], start=occurrence.date, end=occurrence.date, now=now,
                       occurrence_ids=[occurrence.id])
    loaded = ctx.occurrences.get(occurrence.id)
    if loaded is None:
        raise BookingRefused(_("Journée introuvable."))
    action = _line_action(ctx, loaded, child.id)
    arrival = parse_arrival(arrival_time, occurrence=loaded) if action == BOOK else None
    try:
        with transaction.atomic():
            CartLine.objects.create(family=family, child=child, occurrence=loaded, action=action, arrival_time=arrival)
    except IntegrityError:
        pass  # a double click already added it
    return action


def _line_action(ctx: Context, occurrence: Occurrence, child_id: int) -> str:
    """BOOK or CANCEL for a click on this day, or BookingRefused with the reason."""
    opens_at, book_deadline, cancel_deadline = windows(ctx, occurrence)
    reservation = ctx.reservations.get((child_id, occurrence.id))
    if reservation is not None and reservation.cancel_requested_at is None:
        reason = cancel_reason(ctx, occurrence, child_id, cancel_deadline=cancel_deadline)
        if reason:
            raise BookingRefused(reason)
        return CANCEL
    reason = book_reason(ctx, occurrence, child_id, hold=hold_of(reservation), opens_at=opens_at, book_deadline=book_deadline)
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
    if (end - start).days > MAX_PATTERN_DAYS:
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
                result.skipped.append((occurrence.date, activity.name, _("une autre demande est déjà dans le panier pour ce jour")))
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


def cart_clear(*, family) -> int:
    """"Tout abandonner": drop every cart line of the family."""
    deleted, _detail = CartLine.objects.filter(family=family).delete()
    return deleted


# --- summary ("Valider") -----------------------------------------------------------------

@dataclass
class SummaryLine:
    line_id: int
    date: datetime.date
    activity: str
    child: str
    arrival: datetime.time
    departure: datetime.time
    cost: Decimal | None
    cost_text: str
    status: str          # "ok", "waiting", or the French reason it would not go through now
    note: str


@dataclass
class CartSummary:
    bookings: list
    cancellations: list
    total_bookings: Decimal
    total_cancellations: Decimal
    token: str
    fingerprint: str

    @property
    def is_empty(self) -> bool:
        return not self.bookings and not self.cancellations

    @property
    def total_text(self) -> str:
        return euros(self.total_bookings)

    @property
    def cancellations_text(self) -> str:
        return euros(self.total_cancellations)


def _cart_context(*, family, now, lock_lines: bool = False) -> tuple[list[CartLine], Context | None]:
    lines = CartLine.objects.filter(family=family).select_related("child", "occurrence__activity").order_by(
        "occurrence__date", "occurrence__activity__position", "child__first_name", "id")
    if lock_lines:
        lines = lines.select_for_update(of=("self",))
    lines = list(lines)
    if not lines:
        return [], None
    ctx = load_context(
        family=family, child_ids=sorted({line.child_id for line in lines}),
        start=min(line.occurrence.date for line in lines), end=max(line.occurrence.date for line in lines),
        now=now, occurrence_ids=sorted({line.occurrence_id for line in lines}),
    )
    return lines, ctx


def _line_status(ctx: Context, line: CartLine) -> tuple[str, str, Decimal | None]:
    """(status, note, cost) of a cart line now: status "ok" / "waiting" or the reason it fails."""
    occurrence = ctx.occurrences.get(line.occurrence_id)
    if occurrence is None:
        return _("Journée introuvable."), "", None
    slot = evaluate(ctx, occurrence, line.child_id)
    if line.action == CANCEL:
        reservation = slot.reservation
        return (slot.cancel_reason or "ok"), "", (reservation.cost if reservation else None)
    quoted = price(ctx, occurrence, arrival=line.arrival_time)
    cost = quoted.total if quoted else None
    if slot.book_reason:
        return slot.book_reason, "", cost
    left, _waiting = places_left(occurrence)
    if left is not None and left <= 0:
        return "waiting", _("Sera mise en liste d'attente (plus de place)."), cost
    return "ok", "", cost


def cart_summary(*, family, now: datetime.datetime) -> CartSummary:
    """The two tables of "Valider", a fresh confirmation token and a signed fingerprint."""
    lines, ctx = _cart_context(family=family, now=now)
    bookings, cancellations, seen = [], [], []
    for line in lines:
        status, note, cost = _line_status(ctx, line)
        if status not in ("ok", "waiting") and not note:
            note = status
        occurrence = line.occurrence
        entry = SummaryLine(
            line_id=line.id, date=occurrence.date, activity=occurrence.activity.name, child=line.child.first_name,
            arrival=line.arrival_time or occurrence.arrival_time, departure=occurrence.departure_time,
            cost=cost, cost_text=euros(cost) if cost is not None else _("tarif non défini"), status=status, note=note,
        )
        (bookings if line.action == BOOK else cancellations).append(entry)
        seen.append([line.id, line.action, str(cost) if cost is not None else None, status])
    total_b = sum((entry.cost or Decimal("0") for entry in bookings), Decimal("0.00"))
    total_c = sum((entry.cost or Decimal("0") for entry in cancellations), Decimal("0.00"))
    return CartSummary(
        bookings=bookings, cancellations=cancellations, total_bookings=total_b, total_cancellations=total_c,
        token=str(uuid.uuid4()), fingerprint=signing.dumps(seen, salt=FINGERPRINT_SALT, compress=True),
    )


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
    result["changes"] = _changes_since_summary(ctx, lines, summary_fingerprint)
    if after_check is not None:
        after_check()
    ordered = sorted(lines, key=lambda line: (line.occurrence.date, line.occurrence.activity.position, line.occurrence_id,
                                             line.child.first_name, line.id))
    for line in ordered:
        result["lines"].append(_apply_line(ctx, line, confirmation=confirmation, now=now, user=user))
    CartLine.objects.filter(id__in=[line.id for line in lines]).delete()
    return result


def _changes_since_summary(ctx: Context, lines, summary_fingerprint: str) -> list[str]:
    if not summary_fingerprint:
        return []
    try:
        seen = {row[0]: row for row in signing.loads(summary_fingerprint, salt=FINGERPRINT_SALT)}
    except (signing.BadSignature, TypeError, ValueError, IndexError):
        return [_("Le récapitulatif affiché n'a pas pu être comparé ; lisez attentivement le résultat ci-dessous.")]
    changes = []
    for line in lines:
        status, _note, cost = _line_status(ctx, line)
        label = f"{line.occurrence.date:%d/%m/%Y} {line.occurrence.activity.name} ({line.child.first_name})"
        before = seen.get(line.id)
        if before is None:
            changes.append(_("%(line)s : ajouté au panier après le récapitulatif.") % {"line": label})
            continue
        cost_text = str(cost) if cost is not None else None
        if before[2] != cost_text:
            changes.append(_("%(line)s : le prix est passé de %(old)s à %(new)s.") % {
                "line": label, "old": euros(Decimal(before[2])) if before[2] else "—", "new": euros(cost) if cost is not None else "—"})
        if before[3] != status:
            changes.append(_("%(line)s : la disponibilité a changé depuis le récapitulatif.") % {"line": label})
    gone = set(seen) - {line.id for line in lines}
    if gone:
        changes.append(_("%(count)s ligne(s) du récapitulatif ne sont plus dans le panier.") % {"count": len(gone)})
    return changes


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
