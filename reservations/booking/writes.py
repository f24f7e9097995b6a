"""The confirmation's writes, done while the days are locked: one statement on PostgreSQL.

New requests and their events, requests withdrawn before transmission and cancellation
requests with theirs, and the confirmation's stored result go in one statement
(data-modifying WITH clauses: INSERT … RETURNING feeding the events' INSERT), so the day's
lock is held for one round trip of writes. The trigger of migration 0008 adds the new and
withdrawn requests to the days' counters at the end of that statement. SQLite (development)
gets the same writes through the ORM.
"""
from __future__ import annotations

import datetime
import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.utils import timezone

from reservations.models import CartConfirmation, Reservation, ReservationEvent

State = Reservation.State
Kind = ReservationEvent.Kind

_RESERVATION_COLUMNS = ("family_id", "child_id", "occurrence_id", "state", "waiting_mark", "cancel_requested_at",
                        "arrival_time", "departure_time", "unit_price", "quantity", "cost", "submitted_at",
                        "confirmation_id", "attendance", "consumption_posted_at", "posted_in_id")
_EVENT_COLUMNS = "(reservation_id, at, kind, from_state, to_state, actor_id, run_id, note, on_behalf)"


def confirmation_write(*, confirmation: CartConfirmation, result: dict, booked: list[Reservation],
                       cancel_now: list[Reservation], cancel_request: list[Reservation], now: datetime.datetime, user,
                       notes: dict[str, str], on_behalf: bool = False) -> None:
    """Write what a confirmation decided. ``notes``: the events' notes by kind ("booked",
    "waiting" for a request with the waiting mark, "cancelled", "cancel_requested"), in the
    language of the request; ``on_behalf``: staff did it for the family (the events say so)."""
    actor = getattr(user, "pk", None)
    if connection.vendor != "postgresql":
        _write_orm(confirmation=confirmation, result=result, booked=booked, cancel_now=cancel_now,
                   cancel_request=cancel_request, now=now, actor=actor, notes=notes, on_behalf=on_behalf)
        return
    reservations, events = Reservation._meta.db_table, ReservationEvent._meta.db_table
    at = timezone.now()
    parts: list[str] = []
    params: list = []
    if booked:
        values = ", ".join(["(" + ", ".join(["%s"] * len(_RESERVATION_COLUMNS)) + ")"] * len(booked))
        parts.append(f"booked AS (INSERT INTO {reservations} ({', '.join(_RESERVATION_COLUMNS)}) VALUES {values} "
                     f"RETURNING id, waiting_mark)")
        for r in booked:
            params += [r.family_id, r.child_id, r.occurrence_id, State.NOT_TRANSMITTED.value, r.waiting_mark, None,
                       r.arrival_time, r.departure_time, r.unit_price, r.quantity, r.cost, r.submitted_at, confirmation.pk,
                       "", None, None]
        parts.append(f"booked_events AS (INSERT INTO {events} {_EVENT_COLUMNS} SELECT id, %s, %s, '', %s, %s, NULL, "
                     f"CASE WHEN waiting_mark THEN %s ELSE %s END, %s FROM booked)")
        params += [at, Kind.REQUESTED.value, State.NOT_TRANSMITTED.value, actor, notes["waiting"], notes["booked"], on_behalf]
    if cancel_now:
        parts.append(f"withdrawn AS (UPDATE {reservations} SET state = %s WHERE id = ANY(%s) AND state = %s RETURNING id)")
        params += [State.CANCELLED.value, [r.pk for r in cancel_now], State.NOT_TRANSMITTED.value]
        parts.append(f"withdrawn_events AS (INSERT INTO {events} {_EVENT_COLUMNS} SELECT id, %s, %s, %s, %s, %s, NULL, %s, "
                     f"%s FROM withdrawn)")
        params += [at, Kind.CANCELLED_BEFORE_TRANSMISSION.value, State.NOT_TRANSMITTED.value, State.CANCELLED.value, actor,
                   notes["cancelled"], on_behalf]
    if cancel_request:
        parts.append(f"asked AS (UPDATE {reservations} SET cancel_requested_at = %s WHERE id = ANY(%s) RETURNING id, state)")
        params += [now, [r.pk for r in cancel_request]]
        parts.append(f"asked_events AS (INSERT INTO {events} {_EVENT_COLUMNS} SELECT id, %s, %s, state, state, %s, NULL, %s, "
                     f"%s FROM asked)")
        params += [at, Kind.CANCEL_REQUESTED.value, actor, notes["cancel_requested"], on_behalf]
    sql = (f"WITH {', '.join(parts)} " if parts else "") + \
        f"UPDATE {CartConfirmation._meta.db_table} SET result = %s::jsonb WHERE id = %s"
    params += [json.dumps(result, cls=DjangoJSONEncoder), confirmation.pk]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _write_orm(*, confirmation, result, booked, cancel_now, cancel_request, now, actor, notes, on_behalf) -> None:
    event_rows = []
    if cancel_now:
        Reservation.objects.filter(pk__in=[r.pk for r in cancel_now]).update(state=State.CANCELLED)
        event_rows += [ReservationEvent(reservation_id=r.pk, kind=Kind.CANCELLED_BEFORE_TRANSMISSION,
                                        from_state=State.NOT_TRANSMITTED, to_state=State.CANCELLED, actor_id=actor,
                                        note=notes["cancelled"], on_behalf=on_behalf) for r in cancel_now]
    if cancel_request:
        Reservation.objects.filter(pk__in=[r.pk for r in cancel_request]).update(cancel_requested_at=now)
        event_rows += [ReservationEvent(reservation_id=r.pk, kind=Kind.CANCEL_REQUESTED, from_state=r.state,
                                        to_state=r.state, actor_id=actor, note=notes["cancel_requested"],
                                        on_behalf=on_behalf) for r in cancel_request]
    if booked:
        Reservation.objects.bulk_create(booked)
        event_rows += [ReservationEvent(reservation_id=r.pk, kind=Kind.REQUESTED, from_state="",
                                        to_state=State.NOT_TRANSMITTED, actor_id=actor, on_behalf=on_behalf,
                                        note=notes["waiting"] if r.waiting_mark else notes["booked"]) for r in booked]
    if event_rows:
        ReservationEvent.objects.bulk_create(event_rows)
    CartConfirmation.objects.filter(pk=confirmation.pk).update(result=result)
