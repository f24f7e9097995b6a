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
   (also places freed during the day by staff raising a capacity or refusing).

Each reservation changes at most once per plan.
"""
from __future__ import annotations

import bisect

from django.utils.translation import gettext as _

from reservations.models import Occurrence, Reservation

State = Reservation.State


class EventKind:
    """ReservationEvent.kind values written by the nightly run."""

    CANCELLED = "cancellation_applied"       # a cancellation request carried out
    ACCEPTED = "accepted"
    AWAITING_DECISION = "awaiting_decision"
    WAITING_LIST = "waiting_list"
    REFUSED = "refused"
    PROMOTED = "promoted"                    # waiting list → accepted ("votre place … vous a été attribuée")

_KIND_OF_STATE = {
    State.ACCEPTED: EventKind.ACCEPTED, State.AWAITING_DECISION: EventKind.AWAITING_DECISION,
    State.WAITING_LIST: EventKind.WAITING_LIST, State.REFUSED: EventKind.REFUSED,
}


def plan_changes(*, occurrence: Occurrence, rows) -> list[tuple[int, str, str, str, str]]:
    """The changes for one occurrence: [(reservation id, from, to, event kind, note)].

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
            changes.append((reservation_id, state, State.CANCELLED, EventKind.CANCELLED, ""))
        elif state in (State.ACCEPTED, State.AWAITING_DECISION):
            # A request awaiting a staff decision holds its place, as in the calendar and
            # the admin (DESIGN §4): promoting into it would overbook once staff accept.
            accepted += 1
        elif state == State.WAITING_LIST:
            waiting.append((position, reservation_id))
        elif state == State.NOT_TRANSMITTED:
            pending.append((position, reservation_id))

    def free() -> bool:
        return not limited or accepted < occurrence.places

    def promote(before: int | None) -> None:
        nonlocal accepted
        while waiting and free() and (before is None or waiting[0][0] < before):
            _position, reservation_id = waiting.pop(0)
            accepted += 1
            changes.append((reservation_id, State.WAITING_LIST, State.ACCEPTED, EventKind.PROMOTED, ""))

    for position, reservation_id in pending:
        if occurrence.is_cancelled:
            target, note = State.REFUSED, _("Journée fermée")
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
        changes.append((reservation_id, State.NOT_TRANSMITTED, target, _KIND_OF_STATE[target], note))
    if not occurrence.is_cancelled:
        # Requests waiting-listed just now never find a free place here (they would have been accepted).
        promote(before=None)
    return changes
