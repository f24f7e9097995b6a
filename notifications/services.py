"""Writes of the notifications app: send one outbox e-mail, give a failed one another go."""
from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from .models import OutboxEmail

Status = OutboxEmail.Status
# Errors worth retrying later: the mail server refused or could not be reached.
TRANSIENT_ERRORS = (smtplib.SMTPException, OSError)


class OutboxSendError(Exception):
    """Sending failed for a reason that may pass (the attempt is recorded on the row)."""


def outbox_send(*, email_id: int) -> str:
    """Send one pending e-mail; returns its status afterwards.

    The row is locked while sending (a second worker holding the same id skips it) and
    only a PENDING row is sent, so an e-mail goes out once. A transient failure records
    the attempt and the error, then raises OutboxSendError for the task to retry.
    """
    error = None
    with transaction.atomic():
        email = OutboxEmail.objects.select_for_update(skip_locked=True).filter(pk=email_id).first()
        if email is None:
            return "locked"
        if email.status != Status.PENDING:
            return email.status
        email.attempts += 1
        message = EmailMultiAlternatives(email.subject, email.body_text, settings.DEFAULT_FROM_EMAIL, [email.recipient])
        if email.body_html:
            message.attach_alternative(email.body_html, "text/html")
        try:
            message.send()
        except TRANSIENT_ERRORS as exc:
            error = exc
            email.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        else:
            email.status = Status.SENT
            email.sent_at = timezone.now()
            email.last_error = ""
        email.save(update_fields=["attempts", "status", "sent_at", "last_error"])
    if error is not None:
        raise OutboxSendError(str(error)) from error
    return Status.SENT


def outbox_mark_failed(*, email_id: int) -> None:
    """No more retries: staff see it in the admin (filter "Échec") and may send it again."""
    OutboxEmail.objects.filter(pk=email_id, status=Status.PENDING).update(status=Status.FAILED)


def outbox_requeue(*, email_ids) -> list[int]:
    """Put failed e-mails back to pending (attempts reset); returns the ids to queue."""
    with transaction.atomic():
        ids = list(OutboxEmail.objects.select_for_update().filter(pk__in=list(email_ids), status=Status.FAILED)
                   .values_list("pk", flat=True))
        OutboxEmail.objects.filter(pk__in=ids).update(status=Status.PENDING, attempts=0, last_error="")
    return ids
