"""The finish of a chunked night, shared by the workers like its settling (TRANSMISSION_FAN_OUT="chunks").

Once every chunk is settled, ``finish_start`` cuts the structure's families into ranges of ids
(TRANSMISSION_REPORT_FAMILIES families each, together every id, so that no family is left out)
recorded on the run, queues one report task per range, then posts the past days' consumptions
while the other workers write the reports. ``report_range_write`` hands one range to whoever
writes the reports (``signals.reports_range_due``: notifications) and records it written. The
last part done — a range or the posting — marks the run FINISHED with its figures.

Every part runs holding the structure's night lock *shared*: the parts go on side by side, but
a serial run, a new night or the watchdog (which take it exclusively) cannot start in the middle
of one — and the watchdog tells a slow worker (its session still holds its share) from a dead one
(the share died with the session): it finishes the parts a dead worker left (``finish_here``).
Everything is idempotent: a range written twice tells no family twice (its events are marked
reported in the transaction that writes its e-mail), posting twice posts nothing more, and each
part is recorded once under the run's row lock.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Family
from portal import dates
from reservations.locking import night_lock, rows_lock
from reservations.models import TransmissionRun

from .posting import consumptions_post
from .run import run_end
from .signals import reports_range_due

logger = logging.getLogger(__name__)
FAMILY_ID_MAX = 2**63 - 1      # the last range reaches the end of the id line: a family created tonight is in it
Queue = Callable[[int, int], object]   # (run id, range index) → queue that range's report task


def family_ranges(*, structure_id: int, size: int) -> list[list[int]]:
    """The structure's family ids cut into ranges of ``size`` families, as [first, last] (both
    included) covering every id from 0 on. The families without news cost the writer next to
    nothing, so ranges of equal numbers of families are about equal work."""
    ids = list(Family.objects.filter(structure_id=structure_id).order_by("pk").values_list("pk", flat=True))
    starts = [0, *ids[size::size]]
    ends = [start - 1 for start in starts[1:]] + [FAMILY_ID_MAX]
    return [[first, last] for first, last in zip(starts, ends, strict=True)]


@contextmanager
def _night_share(run_id: int) -> Iterator[bool]:
    """The run's structure's night lock, held shared for one part of the finish; False when the
    run is gone or the lock is held exclusively elsewhere (every part then does nothing)."""
    structure_id = TransmissionRun.objects.filter(pk=run_id).values_list("structure_id", flat=True).first()
    if structure_id is None:
        yield False
        return
    with night_lock(structure_id, shared=True) as held:
        yield held


def finish_start(*, run_id: int, now, queue: Queue | None) -> TransmissionRun | None:
    """The first part of the finish, once every chunk is settled: record the report ranges and
    queue their tasks (``queue``; None: write them here, after the posting), then post the
    consumptions. Returns the run if this call finished it; None when it did not (the ranges
    finish it), or the run is no longer running, or the lock is held exclusively elsewhere (a
    serial run or a new night taking it over, the watchdog finishing it)."""
    with _night_share(run_id) as held:
        if not held:
            return None
        run = _ranges_plan(run_id=run_id, queue=queue)
        if run is None:
            return None
        finished = None
        if not run.posting_done:
            _progressed(run_id)
            consumptions_post(structure=run.structure, today=dates.today(now), now=now, run=run)
            finished = _part_done(run_id=run_id, now=now, posting=True)
        if queue is None:   # the watchdog: whoever had the ranges is dead
            for index in range(len(run.report_ranges)):
                finished = _range_write(run_id=run_id, index=index, now=now, redo=True) or finished
    return finished


def report_range_write(*, run_id: int, index: int, now) -> TransmissionRun | None:
    """Write the reports of one range of a chunked run and record it; returns the run if this
    range was its last part. A range already written, a run no longer running, or the lock held
    exclusively elsewhere: nothing is done (None)."""
    with _night_share(run_id) as held:
        if not held:
            return None
        return _range_write(run_id=run_id, index=index, now=now)


def finish_here(*, run_id: int, now) -> TransmissionRun | None:
    """Every part of the finish left undone, in this process (the watchdog, holding the night's
    lock: whoever else was on them is dead). Returns the run once finished."""
    return finish_start(run_id=run_id, now=now, queue=None) or _finished(run_id)


def _ranges_plan(*, run_id: int, queue: Queue | None) -> TransmissionRun | None:
    """The running run, its ranges recorded (by this call, the first; its tasks queued once that
    commits) or None when it is no longer running."""
    with transaction.atomic():
        run = rows_lock(TransmissionRun.objects.select_related("structure").filter(pk=run_id))[0]
        if run.status != TransmissionRun.Status.RUNNING:
            return None
        if not run.report_ranges:
            run.report_ranges = family_ranges(structure_id=run.structure_id, size=settings.TRANSMISSION_REPORT_FAMILIES)
            run.progress_at = timezone.now()
            run.save(update_fields=["report_ranges", "progress_at"])
            logger.info("transmission %s: run %s writes its reports in %s range(s) of families",
                        run.structure.slug, run.pk, len(run.report_ranges))
            if queue is not None:
                for index in range(len(run.report_ranges)):
                    transaction.on_commit(partial(queue, run_id, index))
    return run


def _range_write(*, run_id: int, index: int, now, redo: bool = False) -> TransmissionRun | None:
    run = TransmissionRun.objects.select_related("structure").get(pk=run_id)
    if run.status != TransmissionRun.Status.RUNNING or index in run.report_ranges_done:
        return None   # finished, taken over, or a redelivery
    first, last = run.report_ranges[index]
    reports_range_due.send(sender=TransmissionRun, run=run, family_range=(first, last), first=index == 0, redo=redo)
    return _part_done(run_id=run_id, now=now, index=index)


def _part_done(*, run_id: int, now, index: int | None = None, posting: bool = False) -> TransmissionRun | None:
    """Record one part of the finish done, under the run's row lock (parts ending at the same
    moment are all recorded); the part completing the set marks the run FINISHED."""
    with transaction.atomic():
        run = rows_lock(TransmissionRun.objects.select_related("structure").filter(pk=run_id))[0]
        if run.status != TransmissionRun.Status.RUNNING:
            return None
        if posting:
            if run.posting_done:
                return None
            run.posting_done = True
        else:
            if index in run.report_ranges_done:
                return None
            run.report_ranges_done = [*run.report_ranges_done, index]
        run.progress_at = timezone.now()
        run.save(update_fields=["posting_done", "report_ranges_done", "progress_at"])
        if not (run.posting_done and len(run.report_ranges_done) >= len(run.report_ranges)):
            return None
        run_end(run, status=TransmissionRun.Status.FINISHED, today=dates.today(now))
    return run


def _progressed(run_id: int) -> None:
    TransmissionRun.objects.filter(pk=run_id).update(progress_at=timezone.now())


def _finished(run_id: int) -> TransmissionRun | None:
    return TransmissionRun.objects.filter(pk=run_id, status=TransmissionRun.Status.FINISHED).first()
