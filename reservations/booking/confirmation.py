"""The cart's confirmation ("Valider réellement", DESIGN §4 step 3): one transaction.

Every line is re-checked against deadlines and places at that moment, then recorded: a
request "Non transmise", maybe with the waiting mark, or nothing ("Non traitée, activité
complète"); cancellations of accepted or waiting-listed requests become cancellation
requests.

Rush hour (issue 15): hundreds of parents confirm the same day within seconds, so the
day's lock is held for as little as possible. In the transaction, in this order:

1. the family's own cart lines are locked (no other family waits on them), its context
   loaded, every deadline checked, every price quoted and every row built (``_prepare``);
2. the days are locked and their counters read in one statement
   (reservations.counters.occurrences_claim) — the day's lock is taken only now;
3. what ``_prepare`` read about this family's requests on those days is checked to be still
   true (one query; if the night or staff changed one in between, step 1 is done again,
   under the lock this time), then places are given from the counters in Python;
4. the rows are written in a few set-based statements (the trigger adds them to the
   counters) and the transaction commits, releasing the lock.
"""
from __future__ import annotations

import dataclasses
import datetime
import time
import uuid
from dataclasses import dataclass

from django.utils.translation import gettext as _

from portal.plain_sql import insert_unless_present
from reservations.counters import Claim, occurrences_claim, requests_key
from reservations.locking import busy_after_timeout
from reservations.models import CartConfirmation, CartLine, Reservation, ReservationEvent
from reservations.rules import context_reads as reads
from reservations.rules.availability import CANCEL, book_refusal, cancel_refusal, price, reason, windows
from reservations.rules.context import Context, load_context
from reservations.rules.places import hold_of
from reservations.rules.refusals import Refusal

from .cart import BookingRefused
from .results import ConfirmationResult, LineResult, Outcome
from .summary import SummaryNotShown, changes_since_summary, summary_shown
from .writes import confirmation_write

State = Reservation.State
Kind = ReservationEvent.Kind

# What staff may set aside when booking for a family (OnBehalf.override_deadlines).
DEADLINE_REFUSALS = (Refusal.NOT_OPEN, Refusal.TOO_LATE_TO_BOOK, Refusal.TOO_LATE_TO_CANCEL)
# What a prepared line does once the days are locked.
REFUSE, CANCEL_NOW, CANCEL_REQUEST, BOOK = "refuse", "cancel_now", "cancel_request", "book"


def cart_confirm(*, family, token: str, summary_fingerprint: str, now: datetime.datetime, user=None) -> ConfirmationResult:
    """Confirm every cart line of ``family`` in one transaction ("Valider réellement").

    ``token`` and ``summary_fingerprint`` are the ``CartSummary.token`` and
    ``CartSummary.fingerprint`` of a summary shown to this family (``cart_summary``): both
    are required. ``now`` (aware) is the moment the deadlines are checked against;
    ``user`` is recorded as the actor of the events (the parent, or staff booking on the
    family's behalf). The same token replayed records nothing twice and returns the stored
    result (``replayed=True``). The result's ``lock_held`` is how long the days stayed
    locked (seconds, None when no day was locked).

    Raises SummaryNotShown (a BookingRefused: no summary shown, another family's, or more
    than an hour old), BookingRefused (a token of another family already used) or
    reservations.locking.CartBusy (the days stayed locked too long: nothing recorded).
    """
    shown = summary_shown(family=family, token=token, fingerprint=summary_fingerprint)
    try:
        shown.check_fresh()
    except SummaryNotShown:   # too old to confirm now, but one confirmed in time shows its result again
        existing = CartConfirmation.objects.filter(token=shown.confirmation_id).first()
        if existing is None:
            raise
        return _replayed(existing, family)
    clock = _LockClock()
    with busy_after_timeout():
        # A token confirmed already (a double click, the form sent again) meets its row: its result,
        # replayed. No read before: the insert is the question.
        confirmation = CartConfirmation(family=family, token=shown.confirmation_id)
        if not insert_unless_present(confirmation, unique=("token",)):
            return _replayed(CartConfirmation.objects.get(token=shown.confirmation_id), family)
        result = _confirm(family=family, confirmation=confirmation, seen=shown.seen, now=now, user=user, clock=clock)
    return dataclasses.replace(result, lock_held=clock.held())


def _replayed(confirmation: CartConfirmation, family) -> ConfirmationResult:
    if confirmation.family_id != family.id:
        raise BookingRefused(_("Jeton de validation invalide : affichez à nouveau le récapitulatif."))
    return ConfirmationResult.from_json(confirmation.result, replayed=True)


class _LockClock:
    """When the days were locked; ``held()`` after the commit is how long they stayed so."""

    def __init__(self) -> None:
        self.locked_at: float | None = None

    def start(self) -> None:
        self.locked_at = time.perf_counter()

    def held(self) -> float | None:
        return None if self.locked_at is None else time.perf_counter() - self.locked_at


@dataclass
class _Step:
    """One cart line worked out before the days are locked."""

    line: CartLine
    action: str                                   # REFUSE / CANCEL_NOW / CANCEL_REQUEST / BOOK
    result: LineResult | None = None              # REFUSE: the line's result, final
    reservation: Reservation | None = None        # the existing request (cancels) or the new one, unsaved (BOOK)
    limited: bool = False


@dataclass
class _Plan:
    ctx: Context
    steps: list[_Step]
    changes: list[str]

    @property
    def days(self) -> list[int]:
        return sorted({step.line.occurrence_id for step in self.steps if step.action != REFUSE})


@dataclass(frozen=True)
class OnBehalf:
    """Staff changing a family's days for it (the family at a glance): the events say so and
    why; with ``override_deadlines`` the booking window and the deadlines do not apply."""

    reason: str = ""
    override_deadlines: bool = False


def _confirm(*, family, confirmation, seen, now, user, clock: _LockClock) -> ConfirmationResult:
    lines = reads.family_cart(family=family, lock=True)
    if lines:
        CartLine.objects.filter(id__in=[line.id for line in lines]).delete()   # ours, locked: gone at commit
    # The context's cart is the family's as this transaction sees it now, its lines just deleted:
    # empty, not read again.
    return _confirm_lines(family=family, lines=lines, confirmation=confirmation, seen=seen, now=now, user=user, clock=clock,
                          cart_lines=())


def lines_confirm_on_behalf(*, family, lines: list[CartLine], now: datetime.datetime, user,
                            on_behalf: OnBehalf) -> ConfirmationResult:
    """Confirm ``lines`` (unsaved CartLines of ``family``: the family's own cart is left as it
    is) for the family, by staff ``user``, with the cart's rules, places and writes. One
    transaction; raises reservations.locking.CartBusy like ``cart_confirm``."""
    clock = _LockClock()
    with busy_after_timeout():
        confirmation = CartConfirmation.objects.create(family=family, token=uuid.uuid4())
        result = _confirm_lines(family=family, lines=lines, confirmation=confirmation, seen=None, now=now, user=user,
                                clock=clock, on_behalf=on_behalf)
    return dataclasses.replace(result, lock_held=clock.held())


def _confirm_lines(*, family, lines, confirmation, seen, now, user, clock: _LockClock,
                   on_behalf: OnBehalf | None = None, cart_lines=None) -> ConfirmationResult:
    token = str(confirmation.token)
    if not lines:
        result = ConfirmationResult(token=token)
        confirmation_write(confirmation=confirmation, result=result.to_json(), booked=[], cancel_now=[], cancel_request=[],
                           now=now, user=user, notes={})
        return result
    plan = _prepare(family=family, lines=lines, seen=seen, now=now, confirmation=confirmation, on_behalf=on_behalf,
                    cart_lines=cart_lines)
    claims: dict[int, Claim] = {}
    children = sorted({line.child_id for line in lines})
    if plan.days:
        claims = occurrences_claim(plan.days, family_id=family.pk, child_ids=children)
        clock.start()
        if _requests_changed(plan, claims) or _closing_changed(plan, claims):
            # The night or staff changed this family's requests (or closed a day) since they
            # were read: read everything again, under the lock this time.
            plan = _prepare(family=family, lines=lines, seen=seen, now=now, confirmation=confirmation, on_behalf=on_behalf,
                            cart_lines=cart_lines)
            claims.update(occurrences_claim(set(plan.days) - set(claims), family_id=family.pk, child_ids=children))
        elif seen is not None and _availability_changed(plan, claims):
            plan.changes = _changes_at(plan, claims, lines, seen)
    return _write(plan, claims, confirmation=confirmation, token=token, now=now, user=user, on_behalf=on_behalf)


def _prepare(*, family, lines, seen, now, confirmation, on_behalf: OnBehalf | None = None, cart_lines=None) -> _Plan:
    """Everything that needs no lock: the context, deadlines, prices, the rows to write.
    ``cart_lines``: the family's cart as load_context takes it (None: read)."""
    occurrence_ids = sorted({line.occurrence_id for line in lines})
    ctx = load_context(
        family=family, child_ids=sorted({line.child_id for line in lines}),
        start=min(line.occurrence.date for line in lines), end=max(line.occurrence.date for line in lines),
        now=now, occurrence_ids=occurrence_ids, cart_lines=cart_lines,
    )
    ordered = sorted(lines, key=lambda line: (line.occurrence.date, line.occurrence.activity.position, line.occurrence_id,
                                             line.child.first_name, line.id))
    override = on_behalf is not None and on_behalf.override_deadlines
    steps = [_step(ctx, line, confirmation=confirmation, now=now, override=override) for line in ordered]
    plan = _Plan(ctx=ctx, steps=steps, changes=changes_since_summary(ctx, lines, seen) if seen is not None else [])
    return plan


def _requests_changed(plan: _Plan, claims: dict[int, Claim]) -> bool:
    """Whether this family's live requests on a locked day differ from those ``_prepare`` read."""
    read: dict[int, list] = {pk: [] for pk in claims}
    for reservation in plan.ctx.reservations.values():
        if reservation.occurrence_id in read:
            read[reservation.occurrence_id].append((reservation.pk, reservation.state, reservation.waiting_mark,
                                                    reservation.cancel_requested_at))
    return any(requests_key(read[pk]) != claim.requests for pk, claim in claims.items())


def _closing_changed(plan: _Plan, claims: dict[int, Claim]) -> bool:
    return any(plan.ctx.occurrences[pk].is_closed != claim.is_closed for pk, claim in claims.items())


def _free(places: int, waiting_places: int, taken: int, waiting_taken: int) -> tuple[bool, bool]:
    return places - taken > 0, waiting_places - waiting_taken > 0


def _availability_changed(plan: _Plan, claims: dict[int, Claim]) -> bool:
    """Whether a locked day now has (or lacks) a free place or waiting place it did not
    when the summary's comparison was made (then the comparison is made again)."""
    for pk, claim in claims.items():
        occurrence = plan.ctx.occurrences[pk]
        if not occurrence.activity.limited_places:
            continue
        before = _free(occurrence.places, occurrence.waiting_places, occurrence.taken, occurrence.waiting_taken)
        if before != _free(claim.places, claim.waiting_places, claim.taken, claim.waiting_taken):
            return True
    return False


def _changes_at(plan: _Plan, claims: dict[int, Claim], lines, seen) -> list[str]:
    """What changed since the summary, with the days' numbers as locked."""
    for pk, claim in claims.items():
        occurrence = plan.ctx.occurrences[pk]
        occurrence.places, occurrence.waiting_places = claim.places, claim.waiting_places
        occurrence.taken, occurrence.waiting_taken = claim.taken, claim.waiting_taken
    return changes_since_summary(plan.ctx, lines, seen)


def _line_result(ctx: Context, line: CartLine, outcome: Outcome, *, cost=None, reason: str = "") -> LineResult:
    occurrence = ctx.occurrences[line.occurrence_id]
    arrival = line.arrival_time or occurrence.arrival_time
    return LineResult(date=occurrence.date, activity=occurrence.activity.name, child=line.child.first_name,
                      arrival=arrival.strftime("%H:%M"), departure=occurrence.departure_time.strftime("%H:%M"),
                      action=line.action, outcome=outcome, observation=outcome.observation(reason), cost=cost)


def _step(ctx: Context, line: CartLine, *, confirmation, now, override: bool = False) -> _Step:
    """Decide one line as far as possible without the places: refused now, or what to write.
    ``override``: staff set the booking window and the deadlines aside."""
    occurrence = ctx.occurrences[line.occurrence_id]
    window = windows(ctx, occurrence)
    key = (line.child_id, occurrence.id)
    if line.action == CANCEL:
        refusal = cancel_refusal(ctx, occurrence, line.child_id, window=window)
        if override and refusal in DEADLINE_REFUSALS:
            refusal = None
        if refusal:
            return _Step(line, REFUSE, result=_line_result(ctx, line, Outcome.REFUSED,
                                                           reason=reason(ctx, occurrence, refusal, window=window) or ""))
        reservation = ctx.reservations[key]
        return _Step(line, CANCEL_NOW if reservation.state == State.NOT_TRANSMITTED else CANCEL_REQUEST,
                     reservation=reservation)
    refusal = book_refusal(ctx, occurrence, line.child_id, hold=hold_of(ctx.reservations.get(key)), window=window,
                           check_places=False)
    if override and refusal in DEADLINE_REFUSALS:
        refusal = None
    if refusal:
        return _Step(line, REFUSE, result=_line_result(ctx, line, Outcome.REFUSED,
                                                       reason=reason(ctx, occurrence, refusal, window=window) or ""))
    quoted = price(ctx, occurrence, arrival=line.arrival_time)
    if quoted is None:
        return _Step(line, REFUSE, result=_line_result(ctx, line, Outcome.REFUSED,
                                                       reason=_("aucun tarif ne s'applique ce jour-là.")))
    reservation = Reservation(
        family=confirmation.family, child=line.child, occurrence_id=occurrence.id, state=State.NOT_TRANSMITTED,
        arrival_time=line.arrival_time or occurrence.arrival_time, departure_time=occurrence.departure_time,
        unit_price=quoted.unit_price, quantity=quoted.quantity, cost=quoted.total, submitted_at=now,
        confirmation=confirmation,
    )
    return _Step(line, BOOK, reservation=reservation, limited=occurrence.activity.limited_places)


def _write(plan: _Plan, claims: dict[int, Claim], *, confirmation, token: str, now, user,
           on_behalf: OnBehalf | None = None) -> ConfirmationResult:
    """Give the places from the locked counters, in the lines' order, and write everything
    in one statement (reservations.booking.writes). Runs under the days' lock: no query but
    the writes."""
    ctx = plan.ctx
    taken = {pk: [claim.taken, claim.waiting_taken] for pk, claim in claims.items()}
    results: list[LineResult] = []
    cancel_now: list[Reservation] = []
    cancel_request: list[Reservation] = []
    booked: list[Reservation] = []
    for step in plan.steps:
        line, reservation = step.line, step.reservation
        if step.action == REFUSE:
            assert step.result is not None
            results.append(step.result)
            continue
        assert reservation is not None
        counts = taken[line.occurrence_id]
        if step.action == CANCEL_NOW:
            counts[1 if reservation.waiting_mark else 0] -= 1     # its place is free for the next lines
            cancel_now.append(reservation)
            results.append(_line_result(ctx, line, Outcome.CANCELLED, cost=reservation.cost))
            continue
        if step.action == CANCEL_REQUEST:
            cancel_request.append(reservation)
            results.append(_line_result(ctx, line, Outcome.CANCEL_REQUESTED, cost=reservation.cost))
            continue
        claim = claims[line.occurrence_id]
        outcome = Outcome.BOOKED
        if step.limited and claim.places - counts[0] <= 0:
            if claim.waiting_places - counts[1] <= 0:
                results.append(_line_result(ctx, line, Outcome.FULL))
                continue
            outcome = Outcome.WAITING
        reservation.waiting_mark = outcome == Outcome.WAITING
        counts[1 if reservation.waiting_mark else 0] += 1
        booked.append(reservation)
        results.append(_line_result(ctx, line, outcome, cost=reservation.cost))
    result = ConfirmationResult(token=token, lines=results, changes=plan.changes)
    confirmation_write(confirmation=confirmation, result=result.to_json(), booked=booked, cancel_now=cancel_now,
                       cancel_request=cancel_request, now=now, user=user, notes=_notes(on_behalf),
                       on_behalf=on_behalf is not None)
    return result


NOTE_LENGTH = 200   # ReservationEvent.note


def _notes(on_behalf: OnBehalf | None) -> dict[str, str]:
    """The events' notes, in the language of the request; staff's say so, and why."""
    notes = {"booked": "", "waiting": _("Mise en liste d'attente"), "cancelled": _("Annulée avant transmission"),
             "cancel_requested": _("Demande d'annulation")}
    if on_behalf is None:
        return notes
    if on_behalf.override_deadlines:
        tail = _("par la structure, hors délai : %(reason)s") % {"reason": on_behalf.reason}
    elif on_behalf.reason:
        tail = _("par la structure : %(reason)s") % {"reason": on_behalf.reason}
    else:
        tail = _("par la structure")
    notes = {kind: (f"{note} — {tail}" if note else tail[:1].upper() + tail[1:]) for kind, note in notes.items()}
    return {kind: note[:NOTE_LENGTH] for kind, note in notes.items()}
