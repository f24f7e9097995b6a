"""Writes of the notifications app: send one outbox e-mail, give a failed one another go.

What is guaranteed (README, "Safe to rerun"): an e-mail is never lost, and a family gets a
second copy only when a process dies between handing the message to the mail server and
recording that it did — at most one extra copy per such crash, and that copy carries the
same Message-ID as the first, so the recipient's mail service can recognise it.

How. The sender holds a PostgreSQL advisory lock on the row for the whole attempt, and

1. claims the row in its own committed transaction: pending → sending, one more attempt,
   ``claimed_at``, a Message-ID chosen at the first attempt and kept;
2. hands the message to the mail server, with no transaction open and no row lock held;
3. commits "sent" right after (or "pending" again with the error, for a retry).

PostgreSQL releases a dead session's advisory locks, so a row found "sending" whose lock is
free was left by a process that died between 1 and 3: the message may or may not have gone,
and it is sent again. A row whose lock is held is being sent at this very moment: left alone.
"""
from __future__ import annotations

import logging
import smtplib
from email.utils import make_msgid, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.utils import timezone

from .models import OutboxEmail

logger = logging.getLogger(__name__)
Status = OutboxEmail.Status
# Errors worth retrying later: the mail server refused or could not be reached.
TRANSIENT_ERRORS = (smtplib.SMTPException, OSError)
# pg_try_advisory_lock(key1, key2): key1 names "an outbox row being sent", key2 is the row id
# (the night's lock is 710_205). Two-key locks take 32-bit keys: ids beyond wrap harmlessly.
SENDING_LOCK_CLASS = 710_206
LOCKED = "locked"
MISSING = "missing"   # deleted with its family before it could be sent


class OutboxSendError(Exception):
    """Sending failed for a reason that may pass (the attempt is recorded on the row)."""

    def __init__(self, message: str, *, attempts: int):
        super().__init__(message)
        self.attempts = attempts


def outbox_send(*, email_id: int) -> str:
    """Send one e-mail that is pending (or left "sending" by a dead process); returns its
    status afterwards, "locked" when another process is sending it right now, or "missing".

    A transient failure puts the row back to pending with the error and raises
    OutboxSendError for the task to retry; any other failure marks it failed (staff see it).
    """
    if not _lock(email_id):
        return LOCKED
    try:
        email = _claim(email_id)
        if email is None:
            return MISSING
        if email.status != Status.SENDING:
            return email.status
        message = EmailMultiAlternatives(email.subject, email.body_text, settings.DEFAULT_FROM_EMAIL, [email.recipient],
                                         headers={"Message-ID": email.message_id})
        if email.body_html:
            message.attach_alternative(email.body_html, "text/html")
        try:
            message.send()
        except TRANSIENT_ERRORS as exc:
            error = f"{type(exc).__name__}: {exc}"[:2000]
            _finish(email_id, status=Status.PENDING, last_error=error)
            raise OutboxSendError(error, attempts=email.attempts) from exc
        except Exception as exc:
            logger.exception("outbox e-mail %s cannot be sent", email_id)
            _finish(email_id, status=Status.FAILED, last_error=f"{type(exc).__name__}: {exc}"[:2000])
            return Status.FAILED
        _finish(email_id, status=Status.SENT, sent_at=timezone.now(), last_error="")
        return Status.SENT
    finally:
        _unlock(email_id)


def _claim(email_id: int) -> OutboxEmail | None:
    """Step 1, committed on its own: the row as it is, switched to "sending" if it is to be sent."""
    with transaction.atomic():
        email = OutboxEmail.objects.select_for_update().filter(pk=email_id).first()
        if email is None:
            return None
        if email.status == Status.SENDING:
            # We hold its lock, so whoever claimed it is gone (see the module docstring).
            logger.warning("outbox e-mail %s was left sending by a process that died (attempt %s at %s); "
                           "sending it again with the same Message-ID", email_id, email.attempts, email.claimed_at)
        elif email.status != Status.PENDING:
            return email
        email.status = Status.SENDING
        email.attempts += 1
        email.claimed_at = timezone.now()
        if not email.message_id:
            email.message_id = make_msgid(idstring=f"outbox.{email.pk}", domain=_sender_domain())
        email.save(update_fields=["status", "attempts", "claimed_at", "message_id"])
    return email


def _finish(email_id: int, **fields) -> None:
    """Step 3: record the outcome of the attempt (autocommit: one statement)."""
    OutboxEmail.objects.filter(pk=email_id, status=Status.SENDING).update(**fields)


def _sender_domain() -> str:
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "portail-famille.localhost"


def _lock(email_id: int) -> bool:
    if connection.vendor != "postgresql":
        return True  # SQLite (development, one process): a row left "sending" is simply sent again
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [SENDING_LOCK_CLASS, _key(email_id)])
        return bool(cursor.fetchone()[0])


def _unlock(email_id: int) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [SENDING_LOCK_CLASS, _key(email_id)])


def _key(email_id: int) -> int:
    return email_id % 2**31


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
