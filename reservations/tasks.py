"""Celery tasks of the nightly transmission.

Beat runs ``nightly_transmission`` at NIGHTLY_TRANSMISSION_TIME (Europe/Paris); it fans
out one ``transmit_structure`` task per structure so several workers share the night.
Within a structure, occurrences are settled in chunks by one worker holding the
structure's advisory lock (see reservations.transmission).
"""
from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from portal.models import Structure

from .transmission import TransmissionBusy, transmission_run

logger = logging.getLogger(__name__)


@shared_task(name="reservations.tasks.nightly_transmission")
def nightly_transmission() -> list[int]:
    """Queue one transmission per structure; returns the structure ids queued."""
    ids = list(Structure.objects.order_by("pk").values_list("pk", flat=True))
    for structure_id in ids:
        transmit_structure.delay(structure_id)
    return ids


@shared_task(name="reservations.tasks.transmit_structure", acks_late=True)
def transmit_structure(structure_id: int, user_id: int | None = None) -> dict:
    """Run the transmission of one structure; a run already going on makes this one a no-op."""
    structure = Structure.objects.get(pk=structure_id)
    user = None
    if user_id is not None:
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.filter(pk=user_id).first()
    try:
        run = transmission_run(structure=structure, now=timezone.now(), user=user)
    except TransmissionBusy as exc:
        logger.warning("%s", exc)
        return {"structure": structure.slug, "skipped": str(exc)}
    logger.info("transmission %s finished: %s", structure.slug, run.counts)
    return {"structure": structure.slug, "run": run.pk, **run.counts}
