"""The per-day counters of places taken: claimed under the day's lock, checked against the rows.

``Occurrence.places_taken`` and ``Occurrence.waiting_places_taken`` count what
reservations.rules.places counts from the rows (DESIGN §4: taken = accepted + awaiting a
decision + not transmitted without the waiting mark; waiting = waiting-listed + not
transmitted with the mark). A database trigger (migration 0008) keeps them: every insert,
delete or change of state / waiting mark of a reservation adds its difference to its day's
row in the same statement, whoever writes (the cart, the night's set-based UPDATEs, staff,
the admin, the demo). One writer, so nothing can forget to.

The cart's confirmation reads them with the day's lock (``occurrences_claim``): the lock is
held only from that read to the commit, a handful of statements, because every rule,
price and row is worked out before it (reservations.booking.confirmation).

``counters_recount`` recomputes them from the rows and reports (or repairs) any drift:
``manage.py places_recount``.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from django.db import connection, transaction

from .locking import rows_lock
from .models import Occurrence, Reservation
from .rules.places import place_counts


class Claim(NamedTuple):
    """A day's numbers read under its lock, and the requests of one family's children on it."""

    places: int
    waiting_places: int
    taken: int
    waiting_taken: int
    is_closed: bool
    requests: str = ""     # requests_key() of the family's children's live requests on the day

    @property
    def left(self) -> int:
        return max(self.places - self.taken, 0)

    @property
    def waiting_left(self) -> int:
        return max(self.waiting_places - self.waiting_taken, 0)


def requests_key(rows: Iterable[tuple]) -> str:
    """(id, state, waiting mark, cancellation asked) of some live requests, as one string:
    what the claim compares with what was read before the lock."""
    return ",".join(f"{pk}:{state}:{int(bool(mark))}:{int(bool(cancel))}" for pk, state, mark, cancel in sorted(rows))


_NUMBERS = ("places", "waiting_places", "places_taken", "waiting_places_taken", "is_closed")
# Two statements in one round trip (psycopg2 sends them as one simple query): the first
# locks the days in id order; the second, with a snapshot taken once the locks are held,
# reads their numbers and the family's requests — so it sees whatever the transaction we
# waited for (the night, staff) committed. FOR NO KEY UPDATE: it waits for the other
# confirmations, the night and staff (FOR UPDATE), but not for the key checks of parents
# adding the day to their cart meanwhile.
_CLAIM_SQL = """
SELECT 1 FROM {days} WHERE id = ANY(%s) ORDER BY id FOR NO KEY UPDATE;
SELECT o.id, {numbers},
       (SELECT string_agg(r.id || ':' || r.state || ':' || r.waiting_mark::int || ':'
                          || (r.cancel_requested_at IS NOT NULL)::int, ',' ORDER BY r.id)
          FROM {requests} r
         WHERE r.occurrence_id = o.id AND r.family_id = %s AND r.child_id = ANY(%s) AND r.state = ANY(%s))
  FROM {days} o WHERE o.id = ANY(%s)
"""


def occurrences_claim(occurrence_ids: Iterable[int], *, family_id: int, child_ids: Iterable[int]) -> dict[int, Claim]:
    """Lock these days (FOR UPDATE, id order, as every write on a day does) and read their
    numbers, counters and the live requests of ``family_id``'s ``child_ids`` on them, in one
    round trip on PostgreSQL. Call inside a transaction: the locks are held until it ends."""
    ids = sorted(set(occurrence_ids))
    if not ids:
        return {}
    children = sorted(set(child_ids))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_CLAIM_SQL.format(days=Occurrence._meta.db_table, requests=Reservation._meta.db_table,
                                             numbers=", ".join(f"o.{name}" for name in _NUMBERS)),
                           [ids, family_id, children, list(Reservation.LIVE_STATES), ids])
            rows = cursor.fetchall()
        return {pk: Claim(places, waiting, taken, waiting_taken, closed, requests or "")
                for pk, places, waiting, taken, waiting_taken, closed, requests in rows}
    # SQLite (development, one writer at a time): the same reads, one after the other.
    numbers = rows_lock(Occurrence.objects.filter(pk__in=ids).only(*_NUMBERS))
    found: dict[int, list] = {pk: [] for pk in ids}
    for occurrence_id, *request in Reservation.objects.filter(
            occurrence_id__in=ids, family_id=family_id, child_id__in=children, state__in=Reservation.LIVE_STATES
    ).values_list("occurrence_id", "pk", "state", "waiting_mark", "cancel_requested_at"):
        found[occurrence_id].append(tuple(request))
    return {day.pk: Claim(day.places, day.waiting_places, day.places_taken, day.waiting_places_taken, day.is_closed,
                          requests_key(found[day.pk])) for day in numbers}


class Drift(NamedTuple):
    occurrence_id: int
    counted: tuple[int, int]      # (places_taken, waiting_places_taken) as stored
    recounted: tuple[int, int]    # the same, counted from the rows


def counters_recount(*, occurrence_ids: Iterable[int] | None = None, fix: bool = False,
                     per_transaction: int = 500) -> list[Drift]:
    """Count every day's places again from its reservations and compare with its counters;
    with ``fix``, set the counters to the rows' numbers. Each batch of days is locked (id
    order) while it is counted, so a confirmation cannot slip in between."""
    if occurrence_ids is None:
        ids = list(Occurrence.objects.order_by("pk").values_list("pk", flat=True))
    else:
        ids = sorted(set(occurrence_ids))
    drifts: list[Drift] = []
    for start in range(0, len(ids), per_transaction):
        with transaction.atomic():
            days = rows_lock(Occurrence.objects.filter(pk__in=ids[start:start + per_transaction]).only(
                "pk", "places_taken", "waiting_places_taken"))
            counted = {row["occurrence_id"]: (row["taken"], row["waiting_taken"])
                       for row in place_counts([day.pk for day in days])}
            for day in days:
                recounted = counted.get(day.pk, (0, 0))
                if (day.places_taken, day.waiting_places_taken) != recounted:
                    drifts.append(Drift(day.pk, (day.places_taken, day.waiting_places_taken), recounted))
                    if fix:
                        Occurrence.objects.filter(pk=day.pk).update(places_taken=recounted[0],
                                                                    waiting_places_taken=recounted[1])
    return drifts
