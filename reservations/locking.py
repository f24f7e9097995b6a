"""Locks, in one place: how the portal never overbooks a day nor does the night's work twice.

- Rows are locked FOR UPDATE in primary-key order (``rows_lock``, ``occurrences_lock``): two
  transactions locking overlapping rows take them in the same order, so they never wait on
  each other in a cycle. Every write on a day (the cart's confirmation, the night, a staff
  decision, attendance) locks the occurrence first, then its reservations. The cart's
  confirmation takes it last and briefly: reservations.counters.occurrences_claim locks the
  days and reads their place counters in one round trip, after every check is done.
- A parent's confirmation waits at most LOCK_TIMEOUT for its locks (``busy_after_timeout``):
  past that, or in a deadlock, it becomes CartBusy — a polite "try again in a moment",
  never a 500, never a half-recorded cart.
- One night per structure at a time: a PostgreSQL advisory lock held by the running
  session (``night_lock``); the database releases it when the process dies. The workers
  sharing the finish of a chunked night hold it shared.

On SQLite (development, one process) there is nothing to lock against: row locks are
ignored by SQLite itself and the advisory lock is always granted.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.db import OperationalError, connection, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy

from .models import Occurrence

LOCK_TIMEOUT = "3s"
# pg_advisory_lock(key1, key2): key1 names "the nightly transmission", key2 is the structure id.
ADVISORY_LOCK_CLASS = 710_205
# lock_not_available (lock_timeout) and deadlock_detected.
BUSY_PGCODES = ("55P03", "40P01")


class CartBusy(Exception):
    """The day stayed locked too long (another confirmation or the nightly run): retry."""

    message = gettext_lazy("Beaucoup de familles réservent en ce moment : vos demandes n'ont pas été enregistrées, "
                           "réessayez dans un instant.")


def rows_lock(queryset: QuerySet, *, skip_locked: bool = False, limit: int | None = None) -> list:
    """The rows of ``queryset`` locked FOR UPDATE, in primary-key order (only its own table's
    rows: related rows read with select_related stay unlocked). ``skip_locked``: rows another
    transaction holds are left out instead of waited for. Call inside a transaction."""
    locked = queryset.select_for_update(of=("self",), skip_locked=skip_locked).order_by("pk")
    return list(locked[:limit] if limit is not None else locked)


def occurrences_lock(occurrence_ids: Iterable[int]) -> None:
    """Lock these days, in id order: the first lock of every write on a day."""
    ids = sorted(set(occurrence_ids))
    if ids:
        list(Occurrence.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))


def is_lock_timeout(error: Exception) -> bool:
    code = getattr(getattr(error, "__cause__", None), "pgcode", None)
    return code in BUSY_PGCODES or "lock timeout" in str(error) or "deadlock" in str(error)


@contextmanager
def busy_after_timeout() -> Iterator[None]:
    """A transaction that waits at most LOCK_TIMEOUT for each lock; a lock timeout or a
    deadlock rolls it back and raises CartBusy."""
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = %s", [LOCK_TIMEOUT])
            yield
    except OperationalError as error:
        if is_lock_timeout(error):
            raise CartBusy() from error
        raise


@contextmanager
def night_lock(structure_id: int, *, shared: bool = False) -> Iterator[bool]:
    """Try to take the night's lock of a structure without waiting; yields whether it is held
    (False: another run of the structure is going on) and releases it on the way out.
    ``shared``: the workers sharing a chunked night's finish hold it together; a serial run,
    a new night or the watchdog (exclusive) cannot take it while one of them does."""
    held = _advisory_try_lock(structure_id, shared=shared)
    try:
        yield held
    finally:
        if held:
            _advisory_unlock(structure_id, shared=shared)


def _advisory_try_lock(structure_id: int, *, shared: bool) -> bool:
    if connection.vendor != "postgresql":
        return True
    function = "pg_try_advisory_lock_shared" if shared else "pg_try_advisory_lock"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s, %s)", [ADVISORY_LOCK_CLASS, structure_id])
        return cursor.fetchone()[0]


def _advisory_unlock(structure_id: int, *, shared: bool) -> None:
    if connection.vendor != "postgresql":
        return
    function = "pg_advisory_unlock_shared" if shared else "pg_advisory_unlock"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s, %s)", [ADVISORY_LOCK_CLASS, structure_id])
