"""The nightly transmission (DESIGN §4 step 4): turn the day's requests into answers.

One run per structure at a time (a PostgreSQL advisory lock held by the running
session: a killed process releases it, and the next run marks the dead one FAILED and
finishes its work). Occurrences with movements are visited in id order, in chunks
(keyset pagination: memory stays bounded whatever the number of days), each one
settled in its own transaction under a row lock on the occurrence — the lock the cart
and the staff actions take first too:

1. cancellation requests (accepted / waiting-listed / awaiting with
   ``cancel_requested_at``) become CANCELLED; their places free up;
2. requests not transmitted, in submission order: activities needing a staff decision
   → AWAITING_DECISION; else first come first served with the waiting list already
   there (earlier waiting-listed requests are promoted into free places before a
   later request takes one); fits → ACCEPTED, else waiting room → WAITING_LIST, else
   REFUSED;
3. the waiting list is promoted, first come first served, into any place left free
   (also places freed during the day by staff raising a capacity or refusing).

Each reservation changes at most once per run; every change is a ReservationEvent
tied to the run. The writes are set-based (one UPDATE per target state, one
bulk INSERT of events per occurrence). Rerunning changes nothing: a settled occurrence
has no movement left. Then the previous days' consumptions are posted
(reservations.attendance) and ``signals.transmission_finished`` lets notifications
write the families' reports.
"""
from __future__ import annotations

import bisect
import logging
import os
from collections import Counter
from collections.abc import Callable

from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from .attendance import consumptions_post
from .models import Occurrence, Reservation, ReservationEvent, TransmissionRun
from .signals import transmission_finished

logger = logging.getLogger(__name__)

State = Reservation.State
CHUNK_SIZE = 500           # occurrence ids read per query (keyset pagination)
PER_TRANSACTION = 25       # occurrences settled per transaction: short locks, few round trips
# pg_advisory_lock(key1, key2): key1 names "the nightly transmission", key2 is the structure id.
ADVISORY_LOCK_CLASS = 710_205
# Test hook for the kill-and-rerun test: the process dies (os._exit) once this many
# occurrences are committed; "…:inside" makes it die inside the next transaction instead.
EXIT_HOOK_ENV = "TRANSMISSION_TEST_EXIT_AFTER"
COUNT_KEYS = ("occurrences", "cancelled", "accepted", "awaiting_decision", "waiting_list", "refused", "promoted")


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


class TransmissionBusy(Exception):
    """Another run of the same structure is in progress."""

    def __init__(self, structure):
        super().__init__(_("Une transmission est déjà en cours pour %(structure)s.") % {"structure": structure})


class _DryRunRollback(Exception):
    pass


def transmission_run(*, structure, now, dry_run: bool = False, user=None,
                     progress: Callable[[int, dict], None] | None = None, chunk_size: int = CHUNK_SIZE,
                     per_transaction: int = PER_TRANSACTION) -> TransmissionRun:
    """Run the nightly transmission of one structure and return its run record.

    ``now`` (aware) decides which days are past (consumptions are posted for days before
    its date). With ``dry_run`` everything is computed, counted, then rolled back: the
    returned run is not saved. Raises TransmissionBusy if a run of the structure is going on.
    ``per_transaction`` occurrences are settled per transaction (fewer = shorter row locks).
    """
    if not _try_lock(structure.pk):
        raise TransmissionBusy(structure)
    try:
        if not dry_run:
            return _execute(structure=structure, now=now, dry_run=False, user=user, progress=progress, chunk_size=chunk_size,
                            per_transaction=per_transaction)
        try:
            with transaction.atomic():
                run = _execute(structure=structure, now=now, dry_run=True, user=user, progress=progress, chunk_size=chunk_size,
                               per_transaction=per_transaction)
                raise _DryRunRollback(run)
        except _DryRunRollback as stop:
            run = stop.args[0]
            run.pk = None
            return run
    finally:
        _unlock(structure.pk)


def _execute(*, structure, now, dry_run, user, progress, chunk_size, per_transaction) -> TransmissionRun:
    today = timezone.localdate(now)
    # We hold the lock: a RUNNING run of this structure is one whose process died.
    stale = TransmissionRun.objects.filter(structure=structure, status=TransmissionRun.Status.RUNNING).update(
        status=TransmissionRun.Status.FAILED)
    if stale:
        logger.warning("transmission %s: %s interrupted run(s) marked failed; this run finishes their work",
                       structure.slug, stale)
    run = TransmissionRun.objects.create(structure=structure, started_by=user)
    counts: Counter = Counter({key: 0 for key in COUNT_KEYS})
    exit_after, exit_inside = _exit_hook()
    try:
        last_id = 0
        while True:
            ids = list(_pending_occurrences(structure_id=structure.pk, today=today)
                       .filter(pk__gt=last_id).order_by("pk").values_list("pk", flat=True)[:chunk_size])
            if not ids:
                break
            chunk_settle(run=run, occurrence_ids=ids, user=user, per_transaction=per_transaction, counts=counts,
                         exit_after=exit_after, exit_inside=exit_inside)
            last_id = ids[-1]
            if progress:
                progress(counts["occurrences"], dict(counts))
        _post_and_report(run=run, counts=counts, today=today, now=now, dry_run=dry_run)
    except BaseException:
        if not dry_run:
            TransmissionRun.objects.filter(pk=run.pk).update(status=TransmissionRun.Status.FAILED, counts=dict(counts))
        raise
    run.counts = dict(counts)
    run.status = TransmissionRun.Status.FINISHED
    run.finished_at = timezone.now()
    run.save(update_fields=["counts", "status", "finished_at"])
    return run


def chunk_settle(*, run: TransmissionRun, occurrence_ids: list[int], user=None, per_transaction: int = PER_TRANSACTION,
                 counts: Counter | None = None, exit_after: int | None = None, exit_inside: bool = False) -> Counter:
    """Settle a list of occurrences, ``per_transaction`` at a time (occurrences_settle), adding
    the changes to ``counts``; shared by the serial run and the chunk tasks. ``exit_after`` /
    ``exit_inside`` are the kill test's hook (see EXIT_HOOK_ENV)."""
    counts = Counter() if counts is None else counts
    for start in range(0, len(occurrence_ids), per_transaction):
        batch = occurrence_ids[start:start + per_transaction]
        dying = exit_after is not None and counts["occurrences"] >= exit_after
        counts.update(occurrences_settle(run=run, occurrence_ids=batch, user=user,
                                         _die_before_commit=dying and exit_inside))
        if exit_after is not None and counts["occurrences"] >= exit_after and not exit_inside:
            os._exit(3)
    return counts


def _post_and_report(*, run: TransmissionRun, counts: Counter, today, now, dry_run: bool) -> None:
    """After the settling: post the previous days' consumptions, save the counts, let the
    receivers of ``transmission_finished`` write the reports (their counts are added)."""
    counts.update(consumptions_post(structure=run.structure, today=today, now=now))
    run.counts = dict(counts)
    run.save(update_fields=["counts"])
    for _receiver, response in transmission_finished.send(sender=TransmissionRun, run=run, now=now, dry_run=dry_run):
        if isinstance(response, dict):
            counts.update(response)


def occurrences_settle(*, run: TransmissionRun, occurrence_ids: list[int], user=None,
                       _die_before_commit: bool = False) -> Counter:
    """Settle a few occurrences in one short transaction, under their row locks (taken in id
    order, as the cart does); returns the counts of changes. Set-based writes: one UPDATE
    per target state, one INSERT of all the events."""
    counts: Counter = Counter()
    with transaction.atomic():
        _fast_commit()
        occurrences = list(Occurrence.objects.select_for_update(of=("self",)).select_related("activity")
                           .filter(pk__in=occurrence_ids).order_by("pk"))
        rows_of: dict[int, list] = {occurrence.pk: [] for occurrence in occurrences}
        for occurrence_id, *row in (Reservation.objects.filter(occurrence_id__in=list(rows_of),
                                                                state__in=Reservation.LIVE_STATES)
                                    .order_by("occurrence_id", "submitted_at", "id")
                                    .values_list("occurrence_id", "id", "state", "waiting_mark", "cancel_requested_at")):
            rows_of[occurrence_id].append(row)
        groups: dict[tuple, list[int]] = {}
        for occurrence in occurrences:
            for reservation_id, from_state, to_state, kind, note in plan_changes(occurrence=occurrence,
                                                                                  rows=rows_of[occurrence.pk]):
                groups.setdefault((from_state, to_state, kind, note), []).append(reservation_id)
                counts["promoted" if kind == EventKind.PROMOTED else to_state] += 1
        _apply(groups, run=run, user=user)
        if _die_before_commit:
            os._exit(4)
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


def occurrence_settle(*, run: TransmissionRun, occurrence_id: int, user=None) -> Counter:
    """Settle one occurrence (see occurrences_settle)."""
    return occurrences_settle(run=run, occurrence_ids=[occurrence_id], user=user)


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


def _pending_occurrences(*, structure_id: int, today):
    """Occurrences of a structure with something to do: requests, cancellation requests,
    or (from today on) a waiting list and a free place."""
    live = Reservation.objects.filter(occurrence=OuterRef("pk"))
    movement = live.filter(Q(state=State.NOT_TRANSMITTED) | Q(
        cancel_requested_at__isnull=False, state__in=[State.ACCEPTED, State.WAITING_LIST, State.AWAITING_DECISION]))
    accepted = Coalesce(Subquery(
        Reservation.objects.filter(occurrence=OuterRef("pk"), state__in=[State.ACCEPTED, State.AWAITING_DECISION]).order_by()
        .values("occurrence").annotate(n=Count("pk")).values("n")[:1]), 0)
    return (Occurrence.objects.filter(activity__structure_id=structure_id)
            .alias(has_movement=Exists(movement), has_waiting=Exists(live.filter(state=State.WAITING_LIST)))
            .filter(Q(has_movement=True) | Q(has_waiting=True, date__gte=today, is_cancelled=False) & (
                Q(activity__limited_places=False) | Q(places__gt=accepted))))


def pending_count(*, structure, today) -> int:
    """How many occurrences the next run would visit (for the admin and the command)."""
    return _pending_occurrences(structure_id=structure.pk, today=today).count()


def _fast_commit() -> None:
    """Don't wait for the WAL flush at commit: a crash may lose the last few commits, which
    is harmless here (the database stays consistent and a rerun redoes exactly that work)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _try_lock(structure_id: int) -> bool:
    if connection.vendor != "postgresql":
        return True  # SQLite (development, one process): nothing to lock against
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [ADVISORY_LOCK_CLASS, structure_id])
        return cursor.fetchone()[0]


def _unlock(structure_id: int) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [ADVISORY_LOCK_CLASS, structure_id])


def _exit_hook() -> tuple[int | None, bool]:
    value = os.environ.get(EXIT_HOOK_ENV, "").strip()
    if not value:
        return None, False
    number, _sep, where = value.partition(":")
    return int(number), where == "inside"


# --- Chunked mode (TRANSMISSION_FAN_OUT="chunks"): one structure's night shared by several workers.
# transmission_chunks_plan creates the run and cuts the pending occurrences into chunks; each
# chunk task calls transmission_chunk_settle (the same per-occurrence settling as the serial
# run, row locks in id order); the chunk completing the set makes its task queue
# transmission_finish (consumptions, reports, FINISHED). A redelivered chunk re-settles
# harmlessly (a settled occurrence has nothing left to do) and is counted once.

def transmission_chunks_plan(*, structure, now, user=None, chunk_size: int) -> tuple[TransmissionRun, list[list[int]]]:
    """Create the RUNNING run of a chunked night and return it with its chunks of occurrence
    ids. Raises TransmissionBusy if a serial run holds the structure's lock."""
    if not _try_lock(structure.pk):
        raise TransmissionBusy(structure)
    try:
        stale = TransmissionRun.objects.filter(structure=structure, status=TransmissionRun.Status.RUNNING).update(
            status=TransmissionRun.Status.FAILED)
        if stale:
            logger.warning("transmission %s: %s interrupted run(s) marked failed; this run finishes their work",
                           structure.slug, stale)
        ids = list(_pending_occurrences(structure_id=structure.pk, today=timezone.localdate(now))
                   .order_by("pk").values_list("pk", flat=True))
        chunks = [ids[start:start + chunk_size] for start in range(0, len(ids), chunk_size)]
        counts = {key: 0 for key in COUNT_KEYS}
        counts.update(chunks_total=len(chunks), chunks_done=0, chunks_done_ids=[])
        run = TransmissionRun.objects.create(structure=structure, started_by=user, counts=counts)
    finally:
        _unlock(structure.pk)
    return run, chunks


def transmission_chunk_settle(*, run_id: int, chunk_index: int, occurrence_ids: list[int],
                              on_last: Callable[[], None] | None = None) -> bool:
    """Settle one chunk of a chunked run and add its counts to the run (row-locked, once per
    chunk index). Returns True when this call completed the last chunk; ``on_last`` (which
    queues transmission_finish) then runs once the counts are committed."""
    run = TransmissionRun.objects.select_related("started_by").get(pk=run_id)
    counts = chunk_settle(run=run, occurrence_ids=occurrence_ids, user=run.started_by)
    with transaction.atomic():
        run = TransmissionRun.objects.select_for_update().get(pk=run_id)
        done_ids = run.counts.setdefault("chunks_done_ids", [])
        if chunk_index in done_ids:
            return False   # a redelivery: its changes were counted the first time
        done_ids.append(chunk_index)
        for key, value in counts.items():
            run.counts[key] = run.counts.get(key, 0) + value
        run.counts["chunks_done"] = len(done_ids)
        run.save(update_fields=["counts"])
        last = run.counts["chunks_done"] >= run.counts.get("chunks_total", 0)
        if last and on_last is not None:
            transaction.on_commit(on_last)
        return last


def transmission_finish(*, run_id: int, now) -> TransmissionRun | None:
    """Post the consumptions, write the reports and mark a chunked run FINISHED. Idempotent:
    a run no longer RUNNING (finished, or failed and taken over) is left alone (None)."""
    with transaction.atomic():
        run = TransmissionRun.objects.select_for_update().select_related("structure").filter(pk=run_id).first()
        if run is None or run.status != TransmissionRun.Status.RUNNING:
            return None
        counts: Counter = Counter(run.counts)
        _post_and_report(run=run, counts=counts, today=timezone.localdate(now), now=now, dry_run=False)
        run.counts = dict(counts)
        run.status = TransmissionRun.Status.FINISHED
        run.finished_at = timezone.now()
        run.save(update_fields=["counts", "status", "finished_at"])
    return run
