"""Celery tasks of the notifications app: send the outbox, one task per e-mail (per chunk of reports at night)."""
from __future__ import annotations

import datetime
import logging
from functools import partial

from celery import current_app, shared_task
from django.db import transaction
from django.utils import timezone

from .models import OutboxEmail
from .selectors import outbox_due_ids
from .services import OutboxSendError, outbox_mark_failed, outbox_send

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 6
BACKOFF_BASE_SECONDS = 60
BACKOFF_MAX_SECONDS = 3600
# A failed e-mail whose retry has not run after this long lost its retry (broker emptied).
RETRY_OVERDUE = datetime.timedelta(seconds=2 * BACKOFF_MAX_SECONDS)


def backoff(retries: int) -> int:
    """1, 2, 4, 8, 16 minutes… at most an hour."""
    return min(BACKOFF_BASE_SECONDS * 2 ** retries, BACKOFF_MAX_SECONDS)


@shared_task(bind=True, acks_late=True, name="notifications.tasks.send_outbox_email")
def send_outbox_email(self, email_id: int) -> str:
    """Send one outbox e-mail; on an SMTP/network error retry with exponential backoff, up
    to MAX_ATTEMPTS attempts of the row (across flushes), then mark it failed (shown to
    staff). Without a broker (eager) a failure is final."""
    try:
        return outbox_send(email_id=email_id)
    except OutboxSendError as exc:
        if _failed_for_good(email_id, exc, eager=self.request.is_eager):
            return OutboxEmail.Status.FAILED
        logger.warning("outbox e-mail %s failed (attempt %s), retrying: %s", email_id, exc.attempts, exc)
        raise self.retry(exc=exc, countdown=backoff(exc.attempts - 1), max_retries=None) from exc


def _failed_for_good(email_id: int, exc: OutboxSendError, *, eager: bool) -> bool:
    """Mark the e-mail failed (shown to staff) when it will not be tried again: its attempts are
    used up, or there is no broker to retry it (eager). Whether it was (logged either way)."""
    if not eager and exc.attempts < MAX_ATTEMPTS:
        return False
    logger.error("outbox e-mail %s failed for good after %s attempt(s): %s", email_id, exc.attempts, exc)
    outbox_mark_failed(email_id=email_id)
    return True


@shared_task(acks_late=True, name="notifications.tasks.send_outbox_batch")
def send_outbox_batch(email_ids: list[int]) -> dict:
    """Send a night's chunk of reports in one task: publishing one task per e-mail cost the
    night about a millisecond per family on the broker (issue 16). Each e-mail is sent as
    ``send_outbox_email`` would; one that fails for a reason that may pass is handed to its own
    ``send_outbox_email`` with the same backoff, so it does not hold back the others. A
    redelivered batch sends nothing twice: outbox_send leaves a sent row as it is."""
    statuses: dict[str, int] = {}
    for email_id in email_ids:
        try:
            status = outbox_send(email_id=email_id)
        except OutboxSendError as exc:
            if _failed_for_good(email_id, exc, eager=current_app.conf.task_always_eager):
                status = OutboxEmail.Status.FAILED
            else:
                logger.warning("outbox e-mail %s failed (attempt %s), retrying alone: %s", email_id, exc.attempts, exc)
                send_outbox_email.apply_async((email_id,), countdown=backoff(exc.attempts - 1))
                status = "retrying"
        statuses[status] = statuses.get(status, 0) + 1
    return statuses


def outbox_queue_due(*, structure_id: int | None = None, exclude_run_id: int | None = None,
                     untried_for: datetime.timedelta = datetime.timedelta(0)) -> int:
    """Queue a send task for every e-mail no task is going to send (selectors.outbox_due_ids);
    returns how many. Without a broker the tasks run here and now."""
    now = timezone.now()
    # Without a broker no retry is scheduled anywhere: a pending row after a failure is due now.
    overdue = now if current_app.conf.task_always_eager else now - RETRY_OVERDUE
    ids = outbox_due_ids(untried_before=now - untried_for, retry_overdue_before=overdue,
                         structure_id=structure_id, exclude_run_id=exclude_run_id)
    for email_id in ids:
        send_outbox_email.delay(email_id)
    if ids:
        logger.info("outbox: %s e-mail(s) left unsent by earlier attempts queued again", len(ids))
    return len(ids)


def outbox_queue_due_on_commit(*, structure_id: int, exclude_run_id: int) -> None:
    """The same, once the caller's transaction has committed (the rows' states are final then)."""
    transaction.on_commit(partial(outbox_queue_due, structure_id=structure_id, exclude_run_id=exclude_run_id))


@shared_task(name="notifications.tasks.outbox_flush")
def outbox_flush(*, older_than_minutes: int = 10) -> int:
    """Beat, every 15 minutes: queue again what no task will send (a pending e-mail never
    tried for ``older_than_minutes`` — its message was lost —, an overdue retry, a row left
    "sending" by a dead worker)."""
    return outbox_queue_due(untried_for=datetime.timedelta(minutes=older_than_minutes))

