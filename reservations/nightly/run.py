"""The nightly transmission of one structure (DESIGN §4 step 4): the run and its phases.

One run per structure at a time (a PostgreSQL advisory lock held by the running
session: a killed process releases it, and the next run marks the dead one FAILED and
finishes its work). Occurrences with movements are visited in id order, in chunks
(keyset pagination: memory stays bounded whatever the number of days), and settled by
reservations.nightly.settle. Then the previous days' consumptions are posted
(reservations.nightly.posting) and ``signals.transmission_finished`` lets notifications
write the families' reports.

Two modes: serial (``transmission_run``: one worker does the whole structure) and
chunked (TRANSMISSION_FAN_OUT="chunks": ``transmission_chunks_plan`` cuts the night into
chunks that several workers settle, the last one done calls ``transmission_finish``).
"""
from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import dates
from reservations.locking import night_lock, rows_lock
from reservations.models import TransmissionRun

from .posting import consumptions_post
from .settle import PER_TRANSACTION, occurrences_settle, pending_occurrences
from .signals import transmission_finished

logger = logging.getLogger(__name__)

CHUNK_SIZE = 500           # occurrence ids read per query (keyset pagination)
COUNT_KEYS = ("occurrences", "cancelled", "accepted", "awaiting_decision", "waiting_list", "refused", "promoted")


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
    # We hold the lock: a RUNNING run of this structure is one whose process died.
    stale = TransmissionRun.objects.filter(structure=structure, status=TransmissionRun.Status.RUNNING).update(
        status=TransmissionRun.Status.FAILED)
    if stale:
        logger.warning("transmission %s: %s interrupted run(s) marked failed; this run finishes their work",
                       structure.slug, stale)
    run = TransmissionRun.objects.create(structure=structure, started_by=user)
    counts: Counter = Counter({key: 0 for key in COUNT_KEYS})
    try:
        last_id = 0
        while True:
            ids = list(pending_occurrences(structure_id=structure.pk, today=today)
                       .filter(pk__gt=last_id).order_by("pk").values_list("pk", flat=True)[:chunk_size])
            if not ids:
                break
            occurrences_settle(run=run, occurrence_ids=ids, user=user, per_transaction=per_transaction, counts=counts)
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


def _post_and_report(*, run: TransmissionRun, counts: Counter, today, now, dry_run: bool) -> None:
    """After the settling: post the previous days' consumptions, save the counts, let the
    receivers of ``transmission_finished`` write the reports (their counts are added)."""
    counts.update(consumptions_post(structure=run.structure, today=today, now=now))
    run.counts = dict(counts)
    run.save(update_fields=["counts"])
    for _receiver, response in transmission_finished.send(sender=TransmissionRun, run=run, now=now, dry_run=dry_run):
        if isinstance(response, dict):
            counts.update(response)


# --- Chunked mode (TRANSMISSION_FAN_OUT="chunks"): one structure's night shared by several workers.
# transmission_chunks_plan creates the run and cuts the pending occurrences into chunks; each
# chunk task calls chunk_settle (the same occurrences_settle as the serial run, row locks in
# id order); the chunk completing the set makes its task queue
# transmission_finish (consumptions, reports, FINISHED). A redelivered chunk re-settles
# harmlessly (a settled occurrence has nothing left to do) and is counted once.

def transmission_chunks_plan(*, structure, now, user=None, chunk_size: int) -> tuple[TransmissionRun, list[list[int]]]:
    """Create the RUNNING run of a chunked night and return it with its chunks of occurrence
    ids. Raises TransmissionBusy if a serial run holds the structure's lock."""
    with night_lock(structure.pk) as held:
        if not held:
            raise TransmissionBusy(structure)
        stale = TransmissionRun.objects.filter(structure=structure, status=TransmissionRun.Status.RUNNING).update(
            status=TransmissionRun.Status.FAILED)
        if stale:
            logger.warning("transmission %s: %s interrupted run(s) marked failed; this run finishes their work",
                           structure.slug, stale)
        ids = list(pending_occurrences(structure_id=structure.pk, today=dates.today(now))
                   .order_by("pk").values_list("pk", flat=True))
        chunks = [ids[start:start + chunk_size] for start in range(0, len(ids), chunk_size)]
        counts = {key: 0 for key in COUNT_KEYS}
        counts.update(chunks_total=len(chunks), chunks_done=0, chunks_done_ids=[])
        run = TransmissionRun.objects.create(structure=structure, started_by=user, counts=counts)
    return run, chunks


def chunk_settle(*, run_id: int, chunk_index: int, occurrence_ids: list[int],
                 on_last: Callable[[], None] | None = None) -> bool:
    """Settle one chunk of a chunked run and add its counts to the run (row-locked, once per
    chunk index). Returns True when this call completed the last chunk; ``on_last`` (which
    queues transmission_finish) then runs once the counts are committed."""
    run = TransmissionRun.objects.select_related("started_by").get(pk=run_id)
    counts = occurrences_settle(run=run, occurrence_ids=occurrence_ids, user=run.started_by)
    with transaction.atomic():
        run = rows_lock(TransmissionRun.objects.filter(pk=run_id))[0]
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
        run = next(iter(rows_lock(TransmissionRun.objects.select_related("structure").filter(pk=run_id))), None)
        if run is None or run.status != TransmissionRun.Status.RUNNING:
            return None
        counts: Counter = Counter(run.counts)
        _post_and_report(run=run, counts=counts, today=dates.today(now), now=now, dry_run=False)
        run.counts = dict(counts)
        run.status = TransmissionRun.Status.FINISHED
        run.finished_at = timezone.now()
        run.save(update_fields=["counts", "status", "finished_at"])
    return run
