"""The set-based floor of the night's settling, for bench.batch (issue 16): what the database alone
needs to settle the same requests, timed on a copy of the bench's data, and the ratio printed."""
from __future__ import annotations

import time
from urllib.parse import urlparse

# The set-based floor (issue 16): what the database alone needs to settle the same requests — every
# pending request ranked by submission within its day, its state set in one UPDATE feeding one INSERT
# of the events (the counters' trigger fires as in the real run). Not the rules of the night (no
# waiting list already there, no cancellations, no notes): the bench's data have none of those.
FLOOR_SQL = """
WITH ranked AS (
    SELECT r.id, o.places, o.waiting_places, o.is_closed, a.limited_places, a.needs_staff_decision,
           row_number() OVER (PARTITION BY r.occurrence_id ORDER BY r.submitted_at, r.id) AS rank
      FROM reservations_reservation r
      JOIN reservations_occurrence o ON o.id = r.occurrence_id
      JOIN reservations_activity a ON a.id = o.activity_id
     WHERE r.state = 'not_transmitted'
), changed AS (
    UPDATE reservations_reservation r
       SET state = CASE WHEN ranked.is_closed THEN 'refused'
                        WHEN ranked.needs_staff_decision THEN 'awaiting_decision'
                        WHEN NOT ranked.limited_places OR ranked.rank <= ranked.places THEN 'accepted'
                        WHEN ranked.rank <= ranked.places + ranked.waiting_places THEN 'waiting_list'
                        ELSE 'refused' END
      FROM ranked WHERE r.id = ranked.id
    RETURNING r.id, r.state
)
INSERT INTO reservations_reservationevent (reservation_id, at, kind, from_state, to_state, note, on_behalf)
SELECT id, now(), state, 'not_transmitted', state, '', false FROM changed
"""


def floor_seconds(database_url: str) -> tuple[float, int]:
    """Seconds (commit included) for the set-based floor on a copy of the data, and the rows it changed."""
    import psycopg2

    parsed = urlparse(database_url)
    connection = psycopg2.connect(dbname=parsed.path.lstrip("/"), user=parsed.username or "postgres",
                                  password=parsed.password or "", host=parsed.hostname or "127.0.0.1",
                                  port=parsed.port or 5432)
    try:
        with connection.cursor() as cursor:   # warm the cache as the real run finds it (it reads first)
            cursor.execute("CHECKPOINT")   # the night just timed wrote a lot: not the floor's to write out
            cursor.execute("SELECT count(*) FROM reservations_reservation WHERE state = 'not_transmitted'")
        connection.commit()
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(FLOOR_SQL)
            changed = cursor.rowcount
        connection.commit()
        return time.perf_counter() - started, changed
    finally:
        connection.close()


def floor_compare(*, settle_seconds: float, connections: int, server: str, copy: str) -> None:
    """The floor is one statement, on one connection: the night settling on more than one can go under it."""
    seconds, changed = floor_seconds(f"{server.rstrip('/')}/{copy}")
    print(f"settling {settle_seconds:.1f} s on {connections} connection(s), floor {seconds:.1f} s ({changed} requests: "
          f"one ranked UPDATE feeding one INSERT of events, one connection), ratio {settle_seconds / seconds:.1f}× "
          "(target ≤ 2×, issue 16)")
