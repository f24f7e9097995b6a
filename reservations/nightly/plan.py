"""What the night does to one occurrence (DESIGN §4 step 4): a pure plan, no database access.

In submission order, for the live reservations of one occurrence:

1. cancellation requests (accepted / waiting-listed / awaiting with
   ``cancel_requested_at``) become CANCELLED; their places free up;
2. requests not transmitted: activities needing a staff decision → AWAITING_DECISION;
   else first come first served with the waiting list already there (earlier
   waiting-listed requests are promoted into free places before a later request takes
   one); fits → ACCEPTED, else waiting room → WAITING_LIST, else REFUSED; on a closed
   day → REFUSED;
3. the waiting list is promoted, first come first served, into any place left free
   (also places freed during the day by staff raising a capacity or refusing);
4. staff lowered the places below what was held: accepted requests and those awaiting a
   decision keep their place (a promise made is not taken back by the machine); a request
   not transmitted yet goes to the waiting list if it has room, else is refused, with the
   reason REDUCED_PLACES; staff lowered the waiting places below the waiting list: the
   last ones to arrive are refused (REDUCED_WAITING) down to the new number.

Each reservation changes at most once per plan.
"""
from __future__ import annotations

import bisect
from typing import NamedTuple

from django.utils.translation import gettext_noop

from reservations.models import Occurrence, Reservation, ReservationEvent

State = Reservation.State
Kind = ReservationEvent.Kind


class Change(NamedTuple):
    """One reservation's change planned by the night (one UPDATE and one event each)."""

    reservation_id: int
    from_state: str
    to_state: str
    kind: str        # a ReservationEvent.Kind
    note: str


# Reasons stored untranslated on the events (French source text), translated when shown
# to the family, in its language (the follow-up page, the report).
REDUCED_PLACES = gettext_noop("Le nombre de places de ce jour a été réduit par la structure")
REDUCED_WAITING = gettext_noop("La liste d'attente de ce jour a été réduite par la structure")
CLOSED_DAY = gettext_noop("Journée fermée")
FAMILY_REASONS = (REDUCED_PLACES, REDUCED_WAITING, CLOSED_DAY)   # the notes told to the family


def plan_changes(*, occurrence: Occurrence, rows) -> list[Change]:
    """The changes for one occurrence, in the order they are decided.

    ``rows`` are the live reservations (id, state, waiting_mark, cancel_requested_at) in
    submission order. Pure: no database access, so every rule is testable on its own.
    """
    activity = occurrence.activity
    limited = activity.limited_places
    changes = []
    accepted = 0
    waiting: list[tuple[int, int]] = []   # (position in submission order, id), sorted
    pending: list[tuple[int, int]] = []
    for position, (reservation_id, state, _mark, cancel_requested_at) in enumerate(rows):
        if cancel_requested_at is not None and state != State.NOT_TRANSMITTED:
            changes.append(Change(reservation_id, state, State.CANCELLED, Kind.CANCELLATION_APPLIED, ""))
        elif state in (State.ACCEPTED, State.AWAITING_DECISION):
            # A request awaiting a staff decision holds its place, as in the calendar and
            # the admin (DESIGN §4): promoting into it would overbook once staff accept.
            accepted += 1
        elif state == State.WAITING_LIST:
            waiting.append((position, reservation_id))
        elif state == State.NOT_TRANSMITTED:
            pending.append((position, reservation_id))

    # Confirmation never gives more than the day has (rows locked, places counted): more
    # held than places at the start of the night means staff lowered the numbers since.
    pending_marked = sum(1 for _id, state, mark, _cancel in rows if state == State.NOT_TRANSMITTED and mark)
    places_reduced = limited and accepted + len(pending) - pending_marked > occurrence.places
    waiting_reduced = limited and len(waiting) + pending_marked > occurrence.waiting_places
    marked = {reservation_id for reservation_id, state, mark, _cancel in rows if state == State.NOT_TRANSMITTED and mark}

    def free() -> bool:
        return not limited or accepted < occurrence.places

    def promote(before: int | None) -> None:
        nonlocal accepted
        while waiting and free() and (before is None or waiting[0][0] < before):
            _position, reservation_id = waiting.pop(0)
            accepted += 1
            changes.append(Change(reservation_id, State.WAITING_LIST, State.ACCEPTED, Kind.PROMOTED, ""))

    for position, reservation_id in pending:
        if occurrence.is_closed:
            target, note = State.REFUSED, CLOSED_DAY
        elif activity.needs_staff_decision:
            target, note = State.AWAITING_DECISION, ""
        else:
            promote(before=position)   # earlier waiting-listed requests come first
            note = ""
            if free():
                target = State.ACCEPTED
                accepted += 1
            elif len(waiting) < (occurrence.waiting_places if limited else 0):
                target = State.WAITING_LIST
                bisect.insort(waiting, (position, reservation_id))
            else:
                target = State.REFUSED
            if target != State.ACCEPTED:
                # It was told a place (or a waiting place) was kept for it: say why it lost it.
                if reservation_id in marked and waiting_reduced:
                    note = REDUCED_WAITING
                elif reservation_id not in marked and places_reduced:
                    note = REDUCED_PLACES
        changes.append(Change(reservation_id, State.NOT_TRANSMITTED, target, ReservationEvent.ANSWER_KINDS[target], note))
    if not occurrence.is_closed:
        # Requests waiting-listed just now never find a free place here (they would have been accepted).
        promote(before=None)
        if waiting_reduced:
            changes.extend(_trim_waiting_list(waiting, keep=occurrence.waiting_places, changes=changes))
    return changes


def _trim_waiting_list(waiting: list[tuple[int, int]], *, keep: int, changes: list[Change]) -> list[Change]:
    """Refuse the last ones to arrive on a waiting list longer than its places, down to ``keep``:
    already waiting-listed ones from WAITING_LIST; ones put there tonight by changing their
    planned change (each reservation changes once per plan)."""
    planned = {change.reservation_id: index for index, change in enumerate(changes)}
    trimmed = []
    for _position, reservation_id in waiting[keep:]:
        if reservation_id in planned:
            index = planned[reservation_id]
            changes[index] = changes[index]._replace(to_state=State.REFUSED, kind=Kind.REFUSED, note=REDUCED_WAITING)
        else:
            trimmed.append(Change(reservation_id, State.WAITING_LIST, State.REFUSED, Kind.REFUSED, REDUCED_WAITING))
    del waiting[keep:]
    return trimmed
