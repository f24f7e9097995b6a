"""Demo data of the notifications (seed_demo runs it after reservations.demo): the demo
families have been told what the demo's past run answered, so the first real night tells
them only what is new (their fresh requests and cancellation requests)."""
from __future__ import annotations

from reservations.models import ReservationEvent, TransmissionRun

from .report_store import watermarks_move


def seed(*, stdout) -> None:
    for run in TransmissionRun.objects.filter(counts__demo=True):
        families = sorted(set(ReservationEvent.objects.filter(run=run).values_list("reservation__family_id", flat=True)))
        watermarks_move(run=run, family_ids=families)
