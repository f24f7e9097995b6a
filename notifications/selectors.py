"""Reads of the notifications app shared with the layers below (through signals) and the tasks."""
from __future__ import annotations

import datetime

from django.db.models import Count, Q

from .models import OutboxEmail

Status = OutboxEmail.Status


def outbox_due_ids(*, untried_before: datetime.datetime, retry_overdue_before: datetime.datetime,
                   structure_id: int | None = None, exclude_run_id: int | None = None, limit: int = 10_000) -> list[int]:
    """E-mails no task is going to send: pending and never tried, written before
    ``untried_before`` (their task was lost, or there was no broker); pending after a failure
    whose retry should have run before ``retry_overdue_before``; left "sending" (the send task
    sends again only a row whose sender is dead, see notifications.services)."""
    due = (Q(status=Status.PENDING, attempts=0, created_at__lt=untried_before)
           | Q(status=Status.PENDING, attempts__gt=0, claimed_at__lt=retry_overdue_before)
           # tried before attempts were dated (claimed_at): judged by their age
           | Q(status=Status.PENDING, attempts__gt=0, claimed_at__isnull=True, created_at__lt=retry_overdue_before)
           | Q(status=Status.SENDING))
    rows = OutboxEmail.objects.filter(due)
    if structure_id is not None:
        rows = rows.filter(family__structure_id=structure_id)
    if exclude_run_id is not None:
        rows = rows.exclude(run_id=exclude_run_id)
    return list(rows.order_by("pk").values_list("pk", flat=True)[:limit])


def outbox_run_figures(*, run_id: int) -> dict[str, int]:
    """A night's e-mail figures, counted from the outbox rows it wrote."""
    figures = OutboxEmail.objects.filter(run_id=run_id).aggregate(
        emails_queued=Count("pk", filter=~Q(status=Status.NO_ADDRESS)),
        emails_no_address=Count("pk", filter=Q(status=Status.NO_ADDRESS)))
    return {key: value or 0 for key, value in figures.items()}
