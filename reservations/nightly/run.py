"""The nightly transmission of one structure (DESIGN §4 step 4): the run and its phases.

One run per structure at a time (a PostgreSQL advisory lock held by the running
session: a killed process releases it, and the next run marks the dead one FAILED and
finishes its work). Occurrences with movements are visited in id order, in chunks
(keyset pagination: memory stays bounded whatever the number of days), and settled by
reservations.nightly.settle. Then the previous days' consumptions are posted
(reservations.nightly.posting) and ``signals.transmission_finished`` lets notifications
write the families' reports.

Two modes: serial (``transmission_run``: one worker does the whole structure, its days settled
on TRANSMISSION_SETTLE_CONNECTIONS connections at once) and
chunked (TRANSMISSION_FAN_OUT="chunks": ``transmission_chunks_plan`` cuts the night into
chunks that several workers settle, the last one done starts the finish, which the workers
share too: reservations.nightly.finish).

A run records its last sign of life (``progress_at``) and, when it ends or is taken over,
its figures counted from the rows it wrote (reservations.nightly.figures): nothing it
reports lives only in this process's memory.
"""
from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import dates
from reservations.locking import night_lock, rows_lock
from reservations.models import TransmissionRun

from .figures import run_figures
from .posting import consumptions_post
from .settle import PER_TRANSACTION, occurrences_settle, pending_occurrences
from .signals import transmission_finished

logger = logging.getLogger(__name__)

CHUNK_SIZE = 500           # occurrence ids read per query (keyset pagination)


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
    with night_lock(structure.pk) as held:
        if not held:
            raise TransmissionBusy(structure)
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


def _execute(*, structure, now, dry_run, user, progress, chunk_size, per_transaction) -> TransmissionRun:
    today = dates.today(now)
    run = TransmissionRun.objects.create(structure=structure, started_by=user, progress_at=timezone.now())
    _take_over(run)
    done: Counter = Counter()   # for the progress lines only: the run's figures come from its rows
    try:
        last_id = 0
        while True:
            ids = list(pending_occurrences(structure_id=structure.pk, today=today, after=last_id)
                       .order_by("pk").values_list("pk", flat=True)[:chunk_size])
            if not ids:
                break
            occurrences_settle(run=run, occurrence_ids=ids, user=user, per_transaction=per_transaction, counts=done,
                               connections=settings.TRANSMISSION_SETTLE_CONNECTIONS)
            last_id = ids[-1]
            _progressed(run)
            if progress:
                progress(done["occurrences"], dict(done))
        _post_and_report(run=run, today=today, now=now, dry_run=dry_run)
    except BaseException:
        if not dry_run:
            try:
                run_end(run, status=TransmissionRun.Status.FAILED)
            except Exception:  # the database itself failed: the next run takes this one over
                logger.exception("transmission %s: run %s could not be marked failed", structure.slug, run.pk)
        raise
    run_end(run, status=TransmissionRun.Status.FINISHED, today=today)
    return run


def _take_over(run: TransmissionRun) -> None:
    """Called holding the structure's lock: any other RUNNING run of the structure is one
    whose process died. This run finishes its work; it is marked failed with the figures of
    what it did commit."""
    for stale in TransmissionRun.objects.filter(structure_id=run.structure_id, status=TransmissionRun.Status.RUNNING
                                                ).exclude(pk=run.pk):
        stale.counts = run_figures(run=stale)
        stale.status = TransmissionRun.Status.FAILED
        stale.taken_over_by = run
        stale.save(update_fields=["counts", "status", "taken_over_by"])
        logger.warning("transmission %s: interrupted run %s marked failed (%s); run %s finishes its work",
                       run.structure.slug, stale.pk, stale.counts, run.pk)


def _progressed(run: TransmissionRun) -> None:
    run.progress_at = timezone.now()
    TransmissionRun.objects.filter(pk=run.pk).update(progress_at=run.progress_at)


def run_end(run: TransmissionRun, *, status: str, today=None) -> None:
    """Record how the run ended, with its figures counted from its rows."""
    run.counts = run_figures(run=run, today=today)
    run.status = status
    if status == TransmissionRun.Status.FINISHED:
        run.finished_at = timezone.now()
    run.save(update_fields=["counts", "status", "finished_at"])


def _post_and_report(*, run: TransmissionRun, today, now, dry_run: bool) -> None:
    """After the settling: post the previous days' consumptions, then let the receivers of
    ``transmission_finished`` write the reports."""
    _progressed(run)
    consumptions_post(structure=run.structure, today=today, now=now, run=run)
    _progressed(run)
    transmission_finished.send(sender=TransmissionRun, run=run, now=now, dry_run=dry_run)


# --- Chunked mode (TRANSMISSION_FAN_OUT="chunks"): one structure's night shared by several workers.
# transmission_chunks_plan creates the run with its chunks (stored on the run); each chunk task
# calls chunk_settle (the same occurrences_settle as the serial run, row locks in id order); the
# chunk completing the set makes its task queue the finish (reservations.nightly.finish:
# consumptions and reports, shared by the workers too; FINISHED). A redelivered chunk re-settles
# harmlessly (a settled occurrence has nothing left to do) and is recorded once. A chunk whose
# worker died is settled by the watchdog (reservations.nightly.watchdog), which then finishes the run.

def transmission_chunks_plan(*, structure, now, user=None, chunk_size: int) -> tuple[TransmissionRun, list[list[int]]]:
    """Create the RUNNING run of a chunked night and return it with its chunks of occurrence
    ids. Raises TransmissionBusy if a serial run holds the structure's lock."""
    with night_lock(structure.pk) as held:
        if not held:
            raise TransmissionBusy(structure)
        ids = list(pending_occurrences(structure_id=structure.pk, today=dates.today(now))
                   .order_by("pk").values_list("pk", flat=True))
        chunks = [ids[start:start + chunk_size] for start in range(0, len(ids), chunk_size)]
        run = TransmissionRun.objects.create(structure=structure, started_by=user, chunked=True, chunks=chunks,
                                             progress_at=timezone.now())
        _take_over(run)
    return run, chunks


def chunk_settle(*, run_id: int, chunk_index: int, occurrence_ids: list[int],
                 on_last: Callable[[], object] | None = None) -> bool:
    """Settle one chunk of a chunked run and record it done (row-locked, once per chunk
    index). Returns True when this call completed the last chunk; ``on_last`` (which queues
    the finish) then runs once that is committed. A run taken over meanwhile (no
    longer RUNNING) is left to the run that took it over."""
    run = TransmissionRun.objects.select_related("started_by").defer("chunks").get(pk=run_id)
    if run.status != TransmissionRun.Status.RUNNING:
        return False
    occurrences_settle(run=run, occurrence_ids=occurrence_ids, user=run.started_by)
    with transaction.atomic():
        run = rows_lock(TransmissionRun.objects.filter(pk=run_id))[0]
        if run.status != TransmissionRun.Status.RUNNING:
            # Taken over while this chunk was being settled: its figures must include this chunk's changes.
            run.counts = run_figures(run=run)
            run.save(update_fields=["counts"])
            return False
        if chunk_index in run.chunks_done:
            return False   # a redelivery (or the watchdog got there first)
        run.chunks_done = [*run.chunks_done, chunk_index]
        run.progress_at = timezone.now()
        run.save(update_fields=["chunks_done", "progress_at"])
        last = len(run.chunks_done) >= len(run.chunks)
        if last and on_last is not None:
            transaction.on_commit(on_last)
        return last


def chunks_left(run: TransmissionRun) -> list[tuple[int, list[int]]]:
    """The chunks of a chunked run not recorded as settled: (index, occurrence ids)."""
    done = set(run.chunks_done)
    return [(index, ids) for index, ids in enumerate(run.chunks) if index not in done]
