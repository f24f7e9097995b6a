"""Celery tasks of the notifications app: send the outbox, one task per e-mail."""
from __future__ import annotations

import datetime
import logging

from celery import shared_task
from django.utils import timezone

from .models import OutboxEmail
from .services import OutboxSendError, outbox_mark_failed, outbox_send

logger = logging.getLogger(__name__)
MAX_RETRIES = 5
BACKOFF_BASE_SECONDS = 60
BACKOFF_MAX_SECONDS = 3600


def backoff(retries: int) -> int:
    """1, 2, 4, 8, 16 minutes… at most an hour."""
    return min(BACKOFF_BASE_SECONDS * 2 ** retries, BACKOFF_MAX_SECONDS)


@shared_task(bind=True, max_retries=MAX_RETRIES, acks_late=True, name="notifications.tasks.send_outbox_email")
def send_outbox_email(self, email_id: int) -> str:
    """Send one outbox e-mail; on an SMTP/network error retry with exponential backoff,
    then mark it failed (shown to staff). Without a broker (eager) a failure is final."""
    try:
        return outbox_send(email_id=email_id)
    except OutboxSendError as exc:
        if self.request.is_eager or self.request.retries >= self.max_retries:
            logger.error("outbox e-mail %s failed for good: %s", email_id, exc)
            outbox_mark_failed(email_id=email_id)
            return OutboxEmail.Status.FAILED
        logger.warning("outbox e-mail %s failed (attempt %s), retrying: %s", email_id, self.request.retries + 1, exc)
        raise self.retry(exc=exc, countdown=backoff(self.request.retries)) from exc


@shared_task(name="notifications.tasks.outbox_flush")
def outbox_flush(*, older_than_minutes: int = 10) -> int:
    """Queue again pending e-mails never tried (their message was lost, e.g. broker restart)."""
    limit = timezone.now() - datetime.timedelta(minutes=older_than_minutes)
    ids = list(OutboxEmail.objects.filter(status=OutboxEmail.Status.PENDING, attempts=0, created_at__lt=limit)
               .values_list("pk", flat=True)[:10_000])
    for email_id in ids:
        send_outbox_email.delay(email_id)
    return len(ids)
