"""What a chunk of the night's reports reads and writes, a statement each (notifications.reports).

- ``chunk_families``: the families, in the round trip that makes the chunk's commit asynchronous;
- ``claim_events``: the families' reportable events marked ``reported_in = run`` and read back
  in one UPDATE … RETURNING;
- ``outbox_insert``: the outbox rows in one INSERT. bulk_create prepared every field of every
  row in Python (pre_save, get_db_prep_save: about a fifth of the writing time, issue 16);
  here the columns that differ between reports travel as arrays and the others once, with
  the model's own defaults, so a field added to OutboxEmail with a default needs nothing here.

Everything runs inside the caller's transaction (one per chunk): if the outbox rows are not
written, the marks roll back with them.
"""
from __future__ import annotations

import datetime
from decimal import Decimal
from typing import NamedTuple

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from accounts.models import Child, Family
from reservations.models import Activity, Occurrence, Reservation, ReservationEvent, TransmissionRun

from .models import OutboxEmail


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
    """The chunk's families; on PostgreSQL, in the round trip that makes the chunk's commit
    asynchronous (see reservations.nightly.settle._fast_commit: a crash loses at most the
    last chunks, which the next run writes again — their events are not marked either)."""
    query = Family.objects.filter(pk__in=family_ids).values_list(*FamilyRow._fields)
    if connection.vendor != "postgresql":
        return {row[0]: FamilyRow(*row) for row in query}
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit TO OFF; " + sql, params)
        return {row[0]: FamilyRow(*row) for row in cursor.fetchall()}


def claim_events(*, run: TransmissionRun, family_ids: list[int]) -> list[EventRow]:
    """Mark the families' reportable events as reported in this run and return them, in
    order. On PostgreSQL one UPDATE … RETURNING does both (inside the caller's transaction:
    if the outbox rows are not written, the marks roll back with them)."""
    if connection.vendor != "postgresql":
        events = [EventRow(*values) for values in (
            ReservationEvent.objects.filter(reported_in__isnull=True, reservation__family_id__in=family_ids)
            .filter(Q(run=run) | Q(at__lte=run.started_at))
            .order_by("reservation__family_id", "at", "id").values_list(*EVENT_FIELDS))]
        ReservationEvent.objects.filter(pk__in=[event.pk for event in events]).update(reported_in=run)
        return events
    tables = {model.__name__: model._meta.db_table for model in (ReservationEvent, Reservation)}
    with connection.cursor() as cursor:
        cursor.execute(
            f"""WITH told AS (
                    UPDATE {tables["ReservationEvent"]} AS e SET reported_in_id = %(run)s
                    FROM {tables["Reservation"]} AS r
                    WHERE e.reservation_id = r.id AND e.reported_in_id IS NULL AND r.family_id = ANY(%(families)s)
                      AND (e.run_id = %(run)s OR e.at <= %(started)s)
                    RETURNING e.id, r.family_id, e.reservation_id, e.kind, e.from_state, e.to_state, e.run_id,
                              e.actor_id, e.note, e.at, r.occurrence_id, r.child_id, r.cost)
                SELECT told.id, told.family_id, told.reservation_id, told.kind, told.from_state, told.to_state,
                       told.run_id, told.actor_id, told.note, o.date, c.first_name, a.name, told.cost
                FROM told
                JOIN {Occurrence._meta.db_table} AS o ON o.id = told.occurrence_id
                JOIN {Activity._meta.db_table} AS a ON a.id = o.activity_id
                JOIN {Child._meta.db_table} AS c ON c.id = told.child_id
                ORDER BY told.family_id, told.at, told.id""",
            {"run": run.pk, "families": list(family_ids), "started": run.started_at},
        )
        return [EventRow(*values) for values in cursor.fetchall()]


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
    params: list = [*constants.values(), *(list(column) for column in zip(*rows, strict=True))]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {OutboxEmail._meta.db_table} ({", ".join(columns)})
                SELECT v.*, {", ".join(casts)}
                  FROM unnest({arrays}) AS v({", ".join(name for name, _type in VARYING)})
                RETURNING id, status""",
            params,
        )
        return cursor.fetchall()
