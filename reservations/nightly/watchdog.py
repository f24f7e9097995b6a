"""The watchdog: a night whose work stopped is finished without waiting for anyone.

Beat runs it every TRANSMISSION_WATCHDOG_SECONDS. It looks at the RUNNING runs whose last
sign of life (``progress_at``) is older than TRANSMISSION_STALL_SECONDS, and takes the
structure's night lock (a live serial run holds it: that run is left alone, as is a run
another watchdog is finishing):

- a chunked run (a worker killed mid-chunk leaves its chunk unacknowledged in Redis until
  the visibility timeout, hours later): the chunks not recorded as settled are settled here,
  then the parts of its finish not recorded as done (reservations.nightly.finish: the
  consumptions, each range of families' reports) are done here, and the run is FINISHED. A
  worker writing a range holds the night's lock shared: while it lives, the run is left alone;
- a serial run (its process is dead, since nobody holds its lock): the structure's
  transmission is run again, which marks the dead run failed and finishes its work.

Everything it calls is idempotent: if the "dead" worker was only slow, both settle the same
days and the second finds nothing left to do.
"""
from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.db.models import Q

from reservations.locking import night_lock
from reservations.models import TransmissionRun

from .finish import finish_here
from .run import TransmissionBusy, chunk_settle, chunks_left, transmission_run

logger = logging.getLogger(__name__)


def stalled_runs(*, now: datetime.datetime):
    """RUNNING runs with no sign of life for TRANSMISSION_STALL_SECONDS."""
    before = now - datetime.timedelta(seconds=settings.TRANSMISSION_STALL_SECONDS)
    return (TransmissionRun.objects.filter(status=TransmissionRun.Status.RUNNING)
            .filter(Q(progress_at__lt=before) | Q(progress_at__isnull=True, started_at__lt=before))
            .select_related("structure").order_by("pk"))


def watchdog_sweep(*, now: datetime.datetime) -> list[int]:
    """Finish (or rerun) every stalled night; returns the ids of the runs it dealt with."""
    handled = []
    for run in stalled_runs(now=now):
        rerun = False
        with night_lock(run.structure_id) as held:
            if not held:
                continue
            run.refresh_from_db()
            if run.status != TransmissionRun.Status.RUNNING:
                continue
            if run.chunked:
                _finish_chunked(run, now=now)
            else:
                rerun = True
        if rerun:
            logger.warning("transmission watchdog: run %s of %s lost its process (no progress since %s); "
                           "running the structure's transmission again", run.pk, run.structure.slug, run.progress_at)
            try:
                transmission_run(structure=run.structure, now=now)
            except TransmissionBusy:
                continue   # a run started meanwhile: it takes the dead one over itself
        handled.append(run.pk)
    return handled


def _finish_chunked(run: TransmissionRun, *, now) -> None:
    left = chunks_left(run)
    ranges_left = len(run.report_ranges) - len(run.report_ranges_done) if run.report_ranges else "all"
    logger.warning("transmission watchdog: run %s of %s made no progress since %s; settling its %s chunk(s) left "
                   "of %s, then writing its %s range(s) of reports left and finishing it", run.pk, run.structure.slug,
                   run.progress_at, len(left), len(run.chunks), ranges_left)
    for index, occurrence_ids in left:
        chunk_settle(run_id=run.pk, chunk_index=index, occurrence_ids=occurrence_ids)
    finished = finish_here(run_id=run.pk, now=now)
    if finished is not None:
        logger.warning("transmission watchdog: run %s of %s finished: %s", run.pk, run.structure.slug, finished.counts)
