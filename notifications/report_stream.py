"""The night's untold events read in one pass, family after family, cut into chunks (issue 16).

Read per chunk of families, the events of 500 families meant all their bookings' events, a
whole year of them on a town's database, to keep the few of the night: with 50 old bookings
per family the reports took twice as long as on a new database. Here one statement reads the
night's window — the events since the structure's last finished run began, found by the
events' run index and their time's BRIN index, the window of families_to_tell (untold_window_sql) — with the rule
of report_store.untold_sql, ordered by family, through a server-side cursor: memory holds one
chunk.

The pass is read before the chunks' locks. Under its lock (chunk_reread, chunk_events), a chunk
compares its families' watermarks with those the pass saw: a family another writer told in
between (a watchdog taking over a range) is read again by the per-family rule, as before.

Other databases (SQLite for `make run`): the chunks come from families_to_tell and are read
under their lock.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from django.db import connection

from accounts.models import Family
from portal.plain_sql import int_array
from reservations.models import TransmissionRun

from .models import ReportWatermark
from .report_store import EventRow, families_to_tell, untold_events, untold_sql, untold_window_sql

FETCH = 2_000   # rows per fetch from the server-side cursor


class UntoldChunk(NamedTuple):
    family_ids: list[int]
    events: dict[int, list[EventRow]]    # by family, as the pass read them (empty: read under the lock)
    told_runs: dict[int, int] | None     # each family's watermark run as the pass saw it (0: none)


def untold_chunks(*, run: TransmissionRun, family_range: tuple[int, int] | None, size: int) -> Iterator[UntoldChunk]:
    """The families with something to tell, ``size`` at a time, in id order (in ``family_range``,
    both ends included, if given)."""
    if connection.vendor != "postgresql":
        family_ids = families_to_tell(run=run, family_range=family_range)
        for start in range(0, len(family_ids), size):
            yield UntoldChunk(family_ids[start:start + size], {}, None)
        return
    window, params = untold_window_sql(run)
    params.update(run=run.pk, started=run.started_at, structure=run.structure_id)
    where = ["f.structure_id = %(structure)s", window]
    if family_range is not None:
        where.append("r.family_id BETWEEN %(first)s AND %(last)s")
        params.update(first=family_range[0], last=family_range[1])
    sql = untold_sql(where=" AND ".join(where), columns=", coalesce(w.run_id, 0)",
                     joins=f"\n                 JOIN {Family._meta.db_table} AS f ON f.id = r.family_id")
    events: dict[int, list[EventRow]] = {}
    told_runs: dict[int, int] = {}
    with connection.chunked_cursor() as cursor:
        # A cursor is planned for its first tenth of rows by default: here an index walk through
        # every booking in family order, the whole history again. Every row is read: plan for all.
        with connection.cursor() as setting:
            setting.execute("SET cursor_tuple_fraction = 1.0")
        try:
            cursor.execute(sql, params)
        finally:
            with connection.cursor() as setting:
                setting.execute("RESET cursor_tuple_fraction")
        while rows := cursor.fetchmany(FETCH):
            for row in rows:
                family_id = row[1]
                if family_id not in events:
                    if len(events) == size:
                        yield UntoldChunk(list(events), events, told_runs)
                        events, told_runs = {}, {}
                    events[family_id] = []
                    told_runs[family_id] = row[-1]
                events[family_id].append(EventRow._make(row[:-1]))
    if events:
        yield UntoldChunk(list(events), events, told_runs)


def chunk_reread(*, run: TransmissionRun, chunk: UntoldChunk) -> tuple[set[int], dict[int, list[EventRow]]]:
    """Under the chunk's lock: the families whose watermark moved since the pass (every family
    when nothing was read before the lock) and their events to tell now, by family (only
    families with some)."""
    if chunk.told_runs is None:
        moved = set(chunk.family_ids)
    else:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT family_id, run_id FROM {ReportWatermark._meta.db_table} "
                           "WHERE family_id = ANY(%s::bigint[])", [int_array(chunk.family_ids)])
            now = dict(cursor.fetchall())
        moved = {family_id for family_id in chunk.family_ids if now.get(family_id, 0) != chunk.told_runs[family_id]}
    found: dict[int, list[EventRow]] = {}
    if moved:
        for event in untold_events(run=run, family_ids=sorted(moved)):
            found.setdefault(event.family_id, []).append(event)
    return moved, found


def chunk_events(*, run: TransmissionRun, chunk: UntoldChunk) -> dict[int, list[EventRow]]:
    """The chunk's events to tell, by family (only families with some), read under the chunk's
    lock: those of the pass, except for families whose watermark moved since, read again."""
    moved, found = chunk_reread(run=run, chunk=chunk)
    if not moved:
        return chunk.events
    return {**{family_id: events for family_id, events in chunk.events.items() if family_id not in moved}, **found}
