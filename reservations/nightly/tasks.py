"""Celery tasks of the nightly transmission.

Beat runs ``nightly_transmission`` at NIGHTLY_TRANSMISSION_TIME (Europe/Paris); it fans
out one ``transmit_structure`` task per structure so several workers share the night.
Within a structure, occurrences are settled in chunks by one worker holding the
structure's advisory lock (see reservations.nightly.run). With
TRANSMISSION_FAN_OUT="chunks" a structure's night is split further:
``transmit_structure_chunked`` queues one ``transmit_chunk`` per TRANSMISSION_CHUNK_SIZE
occurrences and the last chunk done queues ``finish_run`` (consumptions, reports).
Beat also runs ``transmission_watchdog``, which finishes a night whose work stopped (a
worker killed mid-chunk; see reservations.nightly.watchdog).

The Celery names (``name=``) are the ones beat (settings.CELERY_BEAT_SCHEDULE) and queued
messages use: they stay "reservations.tasks.<…>" wherever the functions live.
"""
from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from portal.models import Structure
from reservations.models import TransmissionRun

from .finish import finish_start, report_range_write
from .run import TransmissionBusy, chunk_settle, transmission_chunks_plan, transmission_run
from .watchdog import watchdog_sweep

logger = logging.getLogger(__name__)


@shared_task(name="reservations.tasks.nightly_transmission")
def nightly_transmission() -> list[int]:
    """Queue one transmission per structure; returns the structure ids queued."""
    ids = list(Structure.objects.order_by("pk").values_list("pk", flat=True))
    task = structure_task()
    for structure_id in ids:
        task.delay(structure_id)
    return ids


def structure_task(fan_out: str | None = None):
    """The task that runs one structure's night: the whole night in one task ("structure"), or
    cut into chunks shared by the workers ("chunks"); settings.TRANSMISSION_FAN_OUT by default.
    Beat, the admin's launch button and ``transmit --fan-out`` all go through here."""
    chunked = (fan_out or settings.TRANSMISSION_FAN_OUT) == "chunks"
    return transmit_structure_chunked if chunked else transmit_structure


def _user(user_id: int | None):
    """The staff member who launched a run by hand (None: beat, or a user deleted since)."""
    return None if user_id is None else get_user_model().objects.filter(pk=user_id).first()


@shared_task(name="reservations.tasks.transmit_structure", acks_late=True)
def transmit_structure(structure_id: int, user_id: int | None = None) -> dict:
    """Run the transmission of one structure; a run already going on makes this one a no-op."""
    structure = Structure.objects.get(pk=structure_id)
    try:
        run = transmission_run(structure=structure, now=timezone.now(), user=_user(user_id))
    except TransmissionBusy as exc:
        logger.warning("%s", exc)
        return {"structure": structure.slug, "skipped": str(exc)}
    logger.info("transmission %s finished: %s", structure.slug, run.counts)
    return {"structure": structure.slug, "run": run.pk, **run.counts}


@shared_task(name="reservations.tasks.transmit_structure_chunked", acks_late=True)
def transmit_structure_chunked(structure_id: int, user_id: int | None = None) -> dict:
    """Start a chunked run of one structure; a serial run going on makes this one a no-op."""
    structure = Structure.objects.get(pk=structure_id)
    try:
        run = chunked_night_queue(structure=structure, user=_user(user_id))
    except TransmissionBusy as exc:
        logger.warning("%s", exc)
        return {"structure": structure.slug, "skipped": str(exc)}
    return {"structure": structure.slug, "run": run.pk, "chunks": len(run.chunks)}


def chunked_night_queue(*, structure: Structure, user=None) -> TransmissionRun:
    """Create the chunked run of a structure and queue one ``transmit_chunk`` per chunk of
    pending occurrences (``finish_run`` at once when there is none). Raises TransmissionBusy."""
    run, chunks = transmission_chunks_plan(structure=structure, now=timezone.now(), user=user,
                                           chunk_size=settings.TRANSMISSION_CHUNK_SIZE)
    if not chunks:
        finish_run.delay(run.pk)
    for index, occurrence_ids in enumerate(chunks):
        transmit_chunk.delay(run.pk, index, occurrence_ids)
    logger.info("transmission %s: run %s split into %s chunk(s)", structure.slug, run.pk, len(chunks))
    return run


@shared_task(name="reservations.tasks.settle_chunk", acks_late=True)
def transmit_chunk(run_id: int, chunk_index: int, occurrence_ids: list[int]) -> bool:
    """Settle one chunk of a chunked run; the last chunk done queues ``finish_run``."""
    return chunk_settle(run_id=run_id, chunk_index=chunk_index, occurrence_ids=occurrence_ids,
                        on_last=lambda: finish_run.delay(run_id))


@shared_task(name="reservations.tasks.finish_run", acks_late=True)
def finish_run(run_id: int) -> dict:
    """Once every chunk is settled: queue one ``write_report_range`` per range of families, then
    post the consumptions (reservations.nightly.finish); the last part done marks the run finished."""
    run = finish_start(run_id=run_id, now=timezone.now(), queue=lambda run_id, index: write_report_range.delay(run_id, index))
    return _finish_result(run_id, run)


@shared_task(name="reservations.tasks.write_report_range", acks_late=True)
def write_report_range(run_id: int, index: int) -> dict:
    """Write the reports of one range of families of a chunked run (its ``report_ranges[index]``)."""
    return _finish_result(run_id, report_range_write(run_id=run_id, index=index, now=timezone.now()))


def _finish_result(run_id: int, run: TransmissionRun | None) -> dict:
    if run is None:   # other parts are left, or the run was done (or taken over) by someone else
        running = TransmissionRun.objects.filter(pk=run_id, status=TransmissionRun.Status.RUNNING).exists()
        return {"run": run_id, "finished": False} if running else {"run": run_id, "skipped": "not running"}
    logger.info("transmission %s finished: %s", run.structure.slug, run.counts)
    return {"run": run.pk, "finished": True, **run.counts}


@shared_task(name="reservations.tasks.transmission_watchdog")
def transmission_watchdog() -> list[int]:
    """Finish the nights whose work stopped; returns the ids of the runs dealt with."""
    return watchdog_sweep(now=timezone.now())
