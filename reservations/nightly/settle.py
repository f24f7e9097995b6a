"""Settling occurrences: apply the plan of reservations.nightly.plan under row locks.

Each batch of occurrences is settled in its own short transaction under a row lock on
the occurrences (taken in id order — the lock the cart and the staff actions take
first too). The writes are set-based: one UPDATE per target state feeding one INSERT
of events, tied to the run. Rerunning changes nothing: a settled occurrence has no
movement left.
"""
from __future__ import annotations

from collections import Counter

from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from reservations.locking import rows_lock
from reservations.models import Occurrence, Reservation, ReservationEvent, TransmissionRun

from .plan import plan_changes

State = Reservation.State

PER_TRANSACTION = 25       # occurrences settled per transaction: short locks, few round trips


def checkpoint(phase: str, *, occurrences: int) -> None:
    """Where a crash must leave a state the next run repairs; does nothing.

    Called with "batch_written" once a batch of ``occurrences`` is written but not yet
    committed, and "batch_committed" once it is. The kill test replaces this function
    to make the process die exactly there (reservations/tests/nightly/transmit_and_die.py).
    """


def occurrences_settle(*, run: TransmissionRun, occurrence_ids: list[int], user=None, per_transaction: int = PER_TRANSACTION,
                       counts: Counter | None = None) -> Counter:
    """Settle a list of occurrences, one batch of ``per_transaction`` per transaction
    (batch_settle), adding the changes to ``counts``; shared by the serial run and the
    chunks of a chunked run."""
    counts = Counter() if counts is None else counts
    for start in range(0, len(occurrence_ids), per_transaction):
        counts.update(batch_settle(run=run, occurrence_ids=occurrence_ids[start:start + per_transaction], user=user))
    return counts


def batch_settle(*, run: TransmissionRun, occurrence_ids: list[int], user=None) -> Counter:
    """Settle a few occurrences in one short transaction, under their row locks (taken in id
    order, as the cart does); returns the counts of changes. Set-based writes: one UPDATE
    per target state, one INSERT of all the events."""
    counts: Counter = Counter()
    with transaction.atomic():
        _fast_commit()
        occurrences = rows_lock(Occurrence.objects.select_related("activity").filter(pk__in=occurrence_ids))
        rows_of: dict[int, list] = {occurrence.pk: [] for occurrence in occurrences}
        for occurrence_id, *row in (Reservation.objects.filter(occurrence_id__in=list(rows_of),
                                                                state__in=Reservation.LIVE_STATES)
                                    .order_by("occurrence_id", "submitted_at", "id")
                                    .values_list("occurrence_id", "id", "state", "waiting_mark", "cancel_requested_at")):
            rows_of[occurrence_id].append(row)
        groups: dict[tuple, list[int]] = {}
        for occurrence in occurrences:
            for change in plan_changes(occurrence=occurrence, rows=rows_of[occurrence.pk]):
                groups.setdefault((change.from_state, change.to_state, change.kind, change.note), []).append(
                    change.reservation_id)
                counts["promoted" if change.kind == ReservationEvent.Kind.PROMOTED else change.to_state] += 1
        _apply(groups, run=run, user=user)
        checkpoint("batch_written", occurrences=len(occurrences))
    checkpoint("batch_committed", occurrences=len(occurrences))
    counts["occurrences"] = len(occurrences)
    return counts


def _apply(groups: dict[tuple, list[int]], *, run: TransmissionRun, user) -> None:
    """One statement per kind of change: update the states and insert their events
    together (UPDATE … RETURNING feeding an INSERT), no model instances in between."""
    if connection.vendor != "postgresql":  # SQLite in development: the same writes through the ORM
        for (from_state, to_state, kind, note), ids in groups.items():
            Reservation.objects.filter(pk__in=ids, state=from_state).update(state=to_state)
            ReservationEvent.objects.bulk_create([ReservationEvent(
                reservation_id=pk, kind=kind, from_state=from_state, to_state=to_state, run=run, actor=user, note=note)
                for pk in ids])
        return
    reservations = Reservation._meta.db_table
    events = ReservationEvent._meta.db_table
    at = timezone.now()
    with connection.cursor() as cursor:
        for (from_state, to_state, kind, note), ids in groups.items():
            cursor.execute(
                f"""WITH changed AS (
                        UPDATE {reservations} SET state = %s WHERE id = ANY(%s) AND state = %s RETURNING id)
                    INSERT INTO {events} (reservation_id, at, kind, from_state, to_state, actor_id, run_id, note, reported_in_id)
                    SELECT id, %s, %s, %s, %s, %s, %s, %s, NULL FROM changed""",
                [to_state, ids, from_state, at, kind, from_state, to_state, getattr(user, "pk", None), run.pk, note],
            )


def _count(states) -> Coalesce:
    return Coalesce(Subquery(
        Reservation.objects.filter(occurrence=OuterRef("pk"), state__in=states).order_by()
        .values("occurrence").annotate(n=Count("pk")).values("n")[:1]), 0)


def pending_occurrences(*, structure_id: int, today):
    """Occurrences of a structure with something to do: requests, cancellation requests,
    or (from today on) a waiting list with a free place, or longer than its places (staff
    lowered them)."""
    live = Reservation.objects.filter(occurrence=OuterRef("pk"))
    movement = live.filter(Q(state=State.NOT_TRANSMITTED) | Q(
        cancel_requested_at__isnull=False, state__in=[State.ACCEPTED, State.WAITING_LIST, State.AWAITING_DECISION]))
    accepted = _count([State.ACCEPTED, State.AWAITING_DECISION])
    return (Occurrence.objects.filter(activity__structure_id=structure_id)
            .alias(has_movement=Exists(movement), has_waiting=Exists(live.filter(state=State.WAITING_LIST)))
            .filter(Q(has_movement=True) | Q(has_waiting=True, date__gte=today, is_closed=False) & (
                Q(activity__limited_places=False) | Q(places__gt=accepted)
                | Q(activity__limited_places=True, waiting_places__lt=_count([State.WAITING_LIST])))))


def pending_count(*, structure, today) -> int:
    """How many occurrences the next run would visit (for the admin and the command)."""
    return pending_occurrences(structure_id=structure.pk, today=today).count()


def _fast_commit() -> None:
    """Don't wait for the WAL flush at commit: a crash may lose the last few commits, which
    is harmless here (the database stays consistent and a rerun redoes exactly that work)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
