"""Places taken on an occurrence, counted in SQL, and what a reservation holds.

Counting rules (DESIGN §4): places taken = accepted + not transmitted without the
waiting mark + awaiting a staff decision (such a request was made for a place; the
calendar never offers a place staff may still give to it); waiting places taken =
waiting-listed + not transmitted with the waiting mark.
"""
from __future__ import annotations

from django.db.models import Count, F, Q

from reservations.models import Occurrence, Reservation

from . import states

State = Reservation.State
TAKEN_STATES = (State.ACCEPTED, State.AWAITING_DECISION)


def taken_filter(prefix: str = "reservations__") -> Q:
    return Q(**{f"{prefix}state__in": TAKEN_STATES}) | Q(**{f"{prefix}state": State.NOT_TRANSMITTED,
                                                            f"{prefix}waiting_mark": False})


def waiting_filter(prefix: str = "reservations__") -> Q:
    return Q(**{f"{prefix}state": State.WAITING_LIST}) | Q(**{f"{prefix}state": State.NOT_TRANSMITTED,
                                                              f"{prefix}waiting_mark": True})


def with_place_counts(queryset):
    """Annotate occurrences with ``taken`` and ``waiting_taken``: the day's own counters, kept
    by the trigger of reservations.migrations.0008 (no join, no GROUP BY over reservations)."""
    return queryset.annotate(taken=F("places_taken"), waiting_taken=F("waiting_places_taken"))


def place_counts(occurrence_ids):
    """[{occurrence_id, taken, waiting_taken}] for the given occurrences, one query."""
    return (
        Reservation.objects.filter(occurrence_id__in=list(occurrence_ids), state__in=Reservation.LIVE_STATES)
        .values("occurrence_id")
        .annotate(taken=Count("occurrence_id", filter=taken_filter("")),
                  waiting_taken=Count("occurrence_id", filter=waiting_filter("")))
        .order_by()
    )


def hold_of(reservation: Reservation | None) -> str | None:
    """What a live reservation holds, as the calendar sees it (a pending cancellation holds nothing)."""
    if reservation is None or reservation.cancel_requested_at is not None:
        return states.HOLD_NONE
    if reservation.state == State.WAITING_LIST or (reservation.state == State.NOT_TRANSMITTED and reservation.waiting_mark):
        return states.HOLD_WAITING
    if reservation.state in (State.ACCEPTED, State.AWAITING_DECISION, State.NOT_TRANSMITTED):
        return states.HOLD_BOOKED
    return states.HOLD_NONE


def places_left(occurrence: Occurrence) -> tuple[int | None, int | None]:
    if not occurrence.activity.limited_places:
        return None, None
    return max(occurrence.places - occurrence.taken, 0), max(occurrence.waiting_places - occurrence.waiting_taken, 0)


def is_full(occurrence: Occurrence) -> bool:
    left, waiting_left = places_left(occurrence)
    return left is not None and left <= 0 and not waiting_left
