"""What a chunk of the night's reports reads and writes, a statement each (notifications.reports).

- ``chunk_families``: the families (read ahead of their chunk's transaction, to render their reports
  while the previous chunk is written: notifications.reports);
- ``families_to_tell``: the families that may have something to tell, from the events since
  the structure's last finished run (a BRIN index on the events' time finds the day's) — for
  other databases than PostgreSQL, where the night reads its window in one pass instead
  (notifications.report_stream);
- ``untold_sql`` and ``untold_events``: the rule of what a family has not been told, by its
  watermark (ReportWatermark), and the events it picks for some families in one SELECT;
- ``chunk_lock``: the chunk's families held, in the round trip that makes the chunk's commit
  asynchronous;
- ``watermarks_move``: the families told up to this run — one row per family, where marking
  each event told cost a row version and five index entries per event (issue 16);
- ``outbox_insert``: the outbox rows in one INSERT. bulk_create prepared every field of every
  row in Python (pre_save, get_db_prep_save: about a fifth of the writing time, issue 16);
  here the columns that differ between reports travel as arrays and the others once, with
  the model's own defaults, so a field added to OutboxEmail with a default needs nothing here.

Everything runs inside the caller's transaction (one per chunk): if the outbox rows are not
written, the watermarks stay where they were.
"""
from __future__ import annotations

import datetime
import time
from decimal import Decimal
from typing import NamedTuple

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from accounts.models import Child, Family
from portal.plain_sql import int_array
from reservations.models import Activity, Occurrence, Reservation, ReservationEvent, TransmissionRun

from .models import OutboxEmail, ReportWatermark

# pg_advisory_xact_lock(key1, key2): key1 names "a family's report being written", key2 the
# family id (the night's lock is 710_205, an outbox row being sent 710_206).
REPORT_LOCK_CLASS = 710_207


class EventRow(NamedTuple):
    """What a report needs of one event (read with values_list: no model instances)."""

    pk: int
    family_id: int
    reservation_id: int
    kind: str
    from_state: str
    to_state: str
    run_id: int | None
    actor_id: int | None
    note: str
    date: datetime.date
    child: str
    activity: str
    cost: Decimal


EVENT_FIELDS = ("pk", "reservation__family_id", "reservation_id", "kind", "from_state", "to_state", "run_id", "actor_id",
                "note", "reservation__occurrence__date", "reservation__child__first_name",
                "reservation__occurrence__activity__name", "reservation__cost")


class FamilyRow(NamedTuple):
    """What a report needs of a family (read with values_list: no model instances)."""

    pk: int
    civility: str
    payer_name: str
    email: str
    language: str


def chunk_families(family_ids: list[int]) -> dict[int, FamilyRow]:
    """The chunk's families (their names, address and language: read before the chunk's lock, as
    the events are — the lock guards what is told, not how a family is greeted)."""
    return {row[0]: FamilyRow(*row) for row in Family.objects.filter(pk__in=family_ids).values_list(*FamilyRow._fields)}


def previous_complete(run: TransmissionRun) -> tuple[int, datetime.datetime] | None:
    """(id, started_at) of the structure's last finished run before this one: it told every
    family everything up to its start (its own events included), so the events to tell now
    are later than that — or None before the structure's first finished night."""
    return (TransmissionRun.objects.filter(structure_id=run.structure_id, pk__lt=run.pk,
                                           status=TransmissionRun.Status.FINISHED)
            .order_by("-pk").values_list("pk", "started_at").first())


def _untold_window(run: TransmissionRun) -> Q:
    """The events that may not have been told: this run's and a dead run's since the last
    finished run, and the day's (no run) made after that run began and before this one."""
    previous = previous_complete(run)
    runs = Q(run_id__lte=run.pk) & (Q(run_id__gt=previous[0]) if previous else Q(run_id__isnull=False))
    day = Q(run_id__isnull=True, at__lte=run.started_at) & (Q(at__gt=previous[1]) if previous else Q())
    return runs | day


def untold_window_sql(run: TransmissionRun) -> tuple[str, dict]:
    """_untold_window as a condition on the events ``e`` of untold_sql, with its parameters (for
    the night's one-pass read, notifications.report_stream); ``TRUE`` before the structure's first
    finished night."""
    previous = previous_complete(run)
    if previous is None:
        return "TRUE", {}
    window = ("((e.run_id > %(previous)s AND e.run_id <= %(run)s)"
              " OR (e.run_id IS NULL AND e.at > %(previous_started)s AND e.at <= %(started)s))")
    return window, {"previous": previous[0], "previous_started": previous[1]}


def families_to_tell(*, run: TransmissionRun, family_range: tuple[int, int] | None = None) -> list[int]:
    """The ids of the structure's families (in ``family_range`` if given) that may have events
    to be told, in order: a superset — untold_events decides per family, by its watermark."""
    events = ReservationEvent.objects.filter(_untold_window(run), reservation__family__structure_id=run.structure_id)
    if family_range is not None:
        events = events.filter(reservation__family_id__gte=family_range[0],
                               reservation__family_id__lte=family_range[1])
    return sorted(set(events.order_by().values_list("reservation__family_id", flat=True).distinct()
                      .iterator(chunk_size=10_000)))


def older_writers_wait(*, started_at: datetime.datetime, timeout: float = 30.0) -> bool:
    """Wait until no transaction that began before the run and has written something is still
    open (PostgreSQL). A day's event made before the run began but committed after its family
    was told would be behind the family's watermark: never told. Cart confirmations and staff
    decisions last milliseconds, so this returns at once unless something hangs; after
    ``timeout`` seconds it gives up (False) and the reports go on. The run's age is measured
    by this process's clock and compared on the database's, so that the two clocks need not agree."""
    if connection.vendor != "postgresql":
        return True
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while True:
            age = max((timezone.now() - started_at).total_seconds(), 0.0)
            # Inside a transaction the statistics views are read once and kept: cleared each time.
            cursor.execute("""SELECT pg_stat_clear_snapshot(); SELECT count(*) FROM pg_stat_activity
                               WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL
                                 AND xact_start < statement_timestamp() - make_interval(secs => %s)""", [age])
            if not cursor.fetchone()[0]:
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.2)


def chunk_lock(family_ids: list[int]) -> None:
    """Hold the chunk's families until the transaction ends (PostgreSQL): a second writer of
    the same families (a watchdog taking over a range a slow worker is still writing) waits,
    then finds their watermarks moved and nothing left to tell. In the same round trip, the
    chunk's commit is made asynchronous (see reservations.nightly.settle._fast_commit: a crash
    loses at most the last chunks, which the next run writes again — their watermarks did not
    move either)."""
    if connection.vendor != "postgresql" or not family_ids:
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit TO OFF; "
                       "SELECT count(pg_advisory_xact_lock(%s, (id %% 2147483647)::int)) FROM unnest(%s::bigint[]) AS id",
                       [REPORT_LOCK_CLASS, int_array(sorted(family_ids))])


def untold_sql(*, where: str, columns: str = "", joins: str = "") -> str:
    """The SELECT of the events a family has not been told, by its watermark (ReportWatermark: the
    last run that told it): those of a later run up to this one (``%(run)s``), and the day's made
    after that run began and before this one began (``%(started)s``); ordered by family, then time.
    ``where`` picks the families (untold_events) or the night's window (report_stream), ``columns``
    and ``joins`` add to them: one rule, written once."""
    tables = {model.__name__: model._meta.db_table
              for model in (ReservationEvent, Reservation, ReportWatermark, TransmissionRun, Occurrence, Activity, Child)}
    return f"""SELECT e.id, r.family_id, e.reservation_id, e.kind, e.from_state, e.to_state, e.run_id, e.actor_id,
                      e.note, o.date, c.first_name, a.name, r.cost{columns}
                 FROM {tables["Reservation"]} AS r
                 JOIN {tables["ReservationEvent"]} AS e ON e.reservation_id = r.id
                 LEFT JOIN {tables["ReportWatermark"]} AS w ON w.family_id = r.family_id
                 LEFT JOIN {tables["TransmissionRun"]} AS told ON told.id = w.run_id
                 JOIN {tables["Occurrence"]} AS o ON o.id = r.occurrence_id
                 JOIN {tables["Activity"]} AS a ON a.id = o.activity_id
                 JOIN {tables["Child"]} AS c ON c.id = r.child_id{joins}
                WHERE {where}
                  AND ((e.run_id <= %(run)s AND e.run_id > coalesce(w.run_id, 0))
                       OR (e.run_id IS NULL AND e.at <= %(started)s
                           AND (told.started_at IS NULL OR e.at > told.started_at)))
                ORDER BY r.family_id, e.at, e.id"""


def untold_events(*, run: TransmissionRun, family_ids: list[int]) -> list[EventRow]:
    """The families' events not told yet, in order (family, time), whatever their age (untold_sql).
    A read: nothing is marked on the events (watermarks_move moves the families' watermarks in the
    same transaction). The night reads its window in one pass instead (report_stream); this is
    for families whose watermark moved since that pass, and for other databases."""
    if connection.vendor != "postgresql":
        return _untold_events_orm(run=run, family_ids=family_ids)
    with connection.cursor() as cursor:
        cursor.execute(untold_sql(where="r.family_id = ANY(%(families)s::bigint[])"),
                       {"run": run.pk, "families": int_array(family_ids), "started": run.started_at})
        return list(map(EventRow._make, cursor.fetchall()))   # _make: no Python frame per row


def _untold_events_orm(*, run: TransmissionRun, family_ids: list[int]) -> list[EventRow]:
    """untold_events on other databases (SQLite for `make run`): the same rule, applied in Python."""
    marks = {family: (told_run, told_at) for family, told_run, told_at in ReportWatermark.objects.filter(
        family_id__in=family_ids).values_list("family_id", "run_id", "run__started_at")}
    events = []
    for values in (ReservationEvent.objects.filter(reservation__family_id__in=family_ids)
                   .filter(Q(run_id__lte=run.pk) | Q(run_id__isnull=True, at__lte=run.started_at))
                   .order_by("reservation__family_id", "at", "id").values_list(*EVENT_FIELDS, "at")):
        event, at = EventRow(*values[:-1]), values[-1]
        told_run, told_at = marks.get(event.family_id, (0, None))
        if (event.run_id > told_run) if event.run_id is not None else (told_at is None or at > told_at):
            events.append(event)
    return events


def watermarks_move(*, run: TransmissionRun, family_ids: list[int]) -> None:
    """The families have been told everything up to this run (in the caller's transaction,
    with their reports' outbox rows)."""
    if not family_ids:
        return
    if connection.vendor != "postgresql":
        ReportWatermark.objects.bulk_create([ReportWatermark(family_id=family, run=run) for family in family_ids],
                                            update_conflicts=True, unique_fields=["family"], update_fields=["run"])
        return
    with connection.cursor() as cursor:   # bulk_create prepared each row's fields in Python: a third of a chunk's
        cursor.execute(                   # Python beside the reports themselves
            f"""INSERT INTO {ReportWatermark._meta.db_table} (family_id, run_id) SELECT family, %s FROM unnest(%s::bigint[])
                AS family ON CONFLICT (family_id) DO UPDATE SET run_id = EXCLUDED.run_id""", [run.pk, int_array(family_ids)])


# What differs from one report to the next, in this order in each row.
VARYING = (("family_id", "bigint"), ("recipient", "text"), ("subject", "text"), ("body_text", "text"),
           ("body_html", "text"), ("status", "text"))


def outbox_insert(*, run, rows: list[tuple]) -> list[tuple[int, str]]:
    """Insert the chunk's report rows (family_id, recipient, subject, body_text, body_html,
    status) for ``run``; returns each row's (id, status)."""
    if not rows:
        return []
    if connection.vendor != "postgresql":
        created = OutboxEmail.objects.bulk_create([
            OutboxEmail(run=run, kind=OutboxEmail.Kind.NIGHTLY_REPORT, **dict(zip([name for name, _type in VARYING], row,
                                                                                  strict=True)))
            for row in rows])
        return [(email.pk, email.status) for email in created]
    now = timezone.now()
    varying = {name for name, _type in VARYING}
    constants: dict[str, object] = {}
    casts: list[str] = []   # a NULL or a bare value in the SELECT list needs its column's type
    for model_field in OutboxEmail._meta.concrete_fields:
        if model_field.primary_key or model_field.column in varying:
            continue
        casts.append(f"%s::{model_field.db_type(connection)}")
        if model_field.column == "run_id":
            constants["run_id"] = run.pk
        elif model_field.name == "kind":
            constants["kind"] = OutboxEmail.Kind.NIGHTLY_REPORT
        elif getattr(model_field, "auto_now_add", False) or getattr(model_field, "auto_now", False):
            constants[model_field.column] = now
        else:
            constants[model_field.column] = model_field.get_db_prep_save(model_field.get_default(), connection)
    columns = [name for name, _type in VARYING] + list(constants)
    arrays = ", ".join(f"%s::{sql_type}[]" for _name, sql_type in VARYING)
    # The ids as one array literal (plain_sql.int_array says why); the texts as psycopg2 quotes a list,
    # in C: quoting the bodies in Python to make them a literal cost more than the server saved.
    params: list = [*constants.values(), *((int_array(column) if sql_type == "bigint" else list(column))
                                           for column, (_name, sql_type) in zip(zip(*rows, strict=True), VARYING, strict=True))]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {OutboxEmail._meta.db_table} ({", ".join(columns)})
                SELECT v.*, {", ".join(casts)}
                  FROM unnest({arrays}) AS v({", ".join(name for name, _type in VARYING)})
                RETURNING id, status""",
            params,
        )
        return cursor.fetchall()
