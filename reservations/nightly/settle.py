"""Settling occurrences: apply the plan of reservations.nightly.plan under row locks.

Each batch of occurrences is settled in its own short transaction under a row lock on
the occurrences (taken in id order — the lock the cart and the staff actions take
first too). The writes are set-based: one UPDATE of the batch's planned rows feeding one
INSERT of their events, tied to the run. Rerunning changes nothing: a settled occurrence has no
movement left.
"""
from __future__ import annotations

import threading
from collections import Counter

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from portal.plain_sql import fetch, fields_of, instances, int_array, statement
from reservations.models import Activity, Occurrence, Reservation, ReservationEvent, TransmissionRun

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
                       counts: Counter | None = None, connections: int = 1) -> Counter:
    """Settle a list of occurrences, one batch of ``per_transaction`` per transaction
    (batch_settle), adding the changes to ``counts``; shared by the serial run and the
    chunks of a chunked run. With ``connections`` > 1 the batches are shared by as many
    threads, each on its own connection, where they can be (_batches_share)."""
    counts = Counter() if counts is None else counts
    batches = [occurrence_ids[start:start + per_transaction] for start in range(0, len(occurrence_ids), per_transaction)]
    if connections > 1 and len(batches) > 1 and _can_share():
        return _batches_share(run=run, batches=batches, user=user, threads=connections, counts=counts)
    for batch in batches:
        counts.update(batch_settle(run=run, occurrence_ids=batch, user=user))
    return counts


def _can_share() -> bool:
    """Whether other connections may settle batches beside this one: on PostgreSQL (row locks
    between connections), and outside a transaction — each batch commits on its own, and what
    this connection has not committed (a dry run, a test's data) the others would not see."""
    return connection.vendor == "postgresql" and not connection.in_atomic_block


def _batches_share(*, run: TransmissionRun, batches: list[list[int]], user, threads: int, counts: Counter) -> Counter:
    """Settle the batches on ``threads`` connections at once: this thread's and ``threads - 1``
    more, each taking the next batch when done. The database does most of a batch's work and
    psycopg2 lets go of the interpreter while it waits, so the night uses the server's cores
    (issue 16). Batches are disjoint days locked in id order, as a chunked night's workers settle
    them; the first error stops the sharing and is raised here once every thread has stopped."""
    guard = threading.Lock()
    queue = iter(batches)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            while True:
                with guard:
                    batch = None if errors else next(queue, None)
                if batch is None:
                    return
                changes = batch_settle(run=run, occurrence_ids=batch, user=user)
                with guard:
                    counts.update(changes)
        except BaseException as error:   # raised again by the calling thread
            with guard:
                errors.append(error)

    def work_on_own_connection() -> None:
        try:
            work()
        finally:
            connection.close()   # this thread's: Django opened it for the thread

    helpers = [threading.Thread(target=work_on_own_connection, name=f"settle-{number}", daemon=True)
               for number in range(1, threads)]
    for helper in helpers:
        helper.start()
    work()
    for helper in helpers:
        helper.join()
    if errors:
        raise errors[0]
    return counts


def batch_settle(*, run: TransmissionRun, occurrence_ids: list[int], user=None) -> Counter:
    """Settle a few occurrences in one short transaction, under their row locks (taken in id
    order, as the cart does); returns the counts of changes. Set-based writes: one statement
    updates the states and inserts the events (_apply)."""
    counts: Counter = Counter()
    with transaction.atomic():
        _fast_commit()
        occurrences, rows_of = _batch_read(occurrence_ids)
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


def _batch_read(occurrence_ids: list[int]) -> tuple[list[Occurrence], dict[int, list]]:
    """The batch's days locked FOR UPDATE in id order (their own rows: as rows_lock takes them),
    with their activities, and each day's live requests (id, state, waiting mark, cancellation
    asked) in submission order. Plain SQL (portal.plain_sql), on PostgreSQL and SQLite alike (which
    has no row locks): the two querysets cost 10 ms of Python per batch to build and read, a second
    of a night of 100,000 requests (issue 16)."""
    ids = sorted(occurrence_ids)
    if not ids:
        return [], {}
    tables = {"o": Occurrence, "a": Activity, "r": Reservation}
    locking = " FOR UPDATE OF " + connection.ops.quote_name("o") if connection.features.has_select_for_update else ""
    days_sql = statement(connection, "SELECT {o:*}, {a:*} FROM {o} INNER JOIN {a} ON {a.id} = {o.activity_id} "
                                     "WHERE {o.id} IN ({ids}) ORDER BY {o.id}" + locking, tables, ids=len(ids))
    occurrences = []
    for row in fetch(connection, days_sql, ids, fields_of(Occurrence) + fields_of(Activity)):
        occurrence, activity = instances((Occurrence, Activity), row, connection.alias)
        occurrence._state.fields_cache = {"activity": activity}   # what select_related leaves
        occurrences.append(occurrence)
    rows_of: dict[int, list] = {occurrence.pk: [] for occurrence in occurrences}
    if not rows_of:
        return occurrences, rows_of
    live = Reservation.LIVE_STATES
    requests_sql = statement(connection, "SELECT {r.occurrence_id}, {r.id}, {r.state}, {r.waiting_mark}, "
                                         "{r.cancel_requested_at} FROM {r} "
                                         "WHERE {r.occurrence_id} IN ({ids}) AND {r.state} IN ({states}) "
                                         "ORDER BY {r.occurrence_id}, {r.submitted_at}, {r.id}", tables,
                             ids=len(rows_of), states=len(live))
    for occurrence_id, *row in fetch(connection, requests_sql, [*rows_of, *live], fields_of(
            Reservation, ("occurrence_id", "id", "state", "waiting_mark", "cancel_requested_at"))):
        rows_of[occurrence_id].append(row)
    return occurrences, rows_of


def _apply(groups: dict[tuple, list[int]], *, run: TransmissionRun, user) -> None:
    """All the batch's changes in one statement: the planned rows (unnested from arrays, in the
    order of the groups) update the states and feed the INSERT of their events (UPDATE …
    RETURNING), no model instances in between. A row whose state is no longer the planned
    ``from_state`` is neither changed nor given an event. The ids are given again as ``id =
    ANY``: joined to the unnested rows alone, the planner would scan the whole table."""
    if not groups:
        return
    if connection.vendor != "postgresql":  # SQLite in development: the same writes through the ORM
        for (from_state, to_state, kind, note), ids in groups.items():
            Reservation.objects.filter(pk__in=ids, state=from_state).update(state=to_state)
            ReservationEvent.objects.bulk_create([ReservationEvent(
                reservation_id=pk, kind=kind, from_state=from_state, to_state=to_state, run=run, actor=user, note=note)
                for pk in ids])
        return
    # Each planned row is its id and the number of its group; the groups' four values are sent once
    # each (arrays as literals: plain_sql.int_array says why).
    planned_ids: list[int] = []
    planned_groups: list[int] = []
    for number, ids in enumerate(groups.values(), start=1):
        planned_ids += ids
        planned_groups += [number] * len(ids)
    from_states, to_states, kinds, notes = (list(column) for column in zip(*groups, strict=True))
    ids_literal = int_array(planned_ids)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""WITH planned AS (
                    SELECT p.id, g.from_state, g.to_state, g.kind, g.note, p.position
                      FROM unnest(%s::bigint[], %s::int[]) WITH ORDINALITY AS p (id, number, position)
                      JOIN unnest(%s::text[], %s::text[], %s::text[], %s::text[]) WITH ORDINALITY
                           AS g (from_state, to_state, kind, note, number) USING (number)),
                changed AS (
                    UPDATE {Reservation._meta.db_table} AS r SET state = planned.to_state
                      FROM planned WHERE r.id = ANY(%s::bigint[]) AND r.id = planned.id AND r.state = planned.from_state
                    RETURNING planned.*)
                INSERT INTO {ReservationEvent._meta.db_table}
                       (reservation_id, at, kind, from_state, to_state, actor_id, run_id, note)
                SELECT id, %s, kind, from_state, to_state, %s, %s, note FROM changed ORDER BY position""",
            [ids_literal, int_array(planned_groups), from_states, to_states, kinds, notes, ids_literal, timezone.now(),
             getattr(user, "pk", None), run.pk],
        )


def pending_occurrences(*, structure_id: int, today, after: int = 0):
    """Occurrences of a structure with something to do: requests, cancellation requests,
    or (from today on) a waiting list with a free place, or longer than its places (staff
    lowered them). ``after``: only the ids above it (the serial run's keyset pages).

    Two sets of day ids, united: the days with a movement, read from the partial index of the
    movements (Reservation.MOVEMENT: the pending rows only, never the whole table of a year's
    bookings), and the days whose waiting list can move. The waiting-list test reads the day's
    counters (reservations.counters): with no request left to transmit — the only case where it
    matters — ``places_taken`` is exactly the accepted and awaiting ones, and
    ``waiting_places_taken`` the waiting-listed ones."""
    days = Occurrence.objects.filter(activity__structure_id=structure_id, pk__gt=after)
    moving = Reservation.objects.filter(Reservation.MOVEMENT, occurrence_id__gt=after).order_by().values("occurrence_id")
    waiting = (days.filter(waiting_places_taken__gt=0, date__gte=today, is_closed=False)
               .filter(Q(activity__limited_places=False) | Q(places__gt=F("places_taken"))
                       | Q(activity__limited_places=True, waiting_places__lt=F("waiting_places_taken")))
               .order_by().values("pk"))
    return days.filter(pk__in=moving.union(waiting))


def pending_count(*, structure, today) -> int:
    """How many occurrences the next run would visit (for the admin and the command)."""
    return pending_occurrences(structure_id=structure.pk, today=today).count()


def _fast_commit() -> None:
    """Don't wait for the WAL flush at commit: a crash may lose the last few commits, which
    is harmless here (the database stays consistent and a rerun redoes exactly that work)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
