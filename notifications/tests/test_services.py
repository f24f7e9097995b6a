"""Sending the outbox: once, with attempts and errors recorded, failures visible to staff."""
import datetime

import pytest
from django.core import mail

from accounts.tests.factories import FamilyFactory
from notifications.models import OutboxEmail
from notifications.services import OutboxSendError, outbox_requeue, outbox_send
from notifications.tasks import backoff, outbox_flush, send_outbox_email

pytestmark = pytest.mark.django_db
REFUSING = "notifications.tests.failing_backend.RefusingBackend"


def outbox_row(**kwargs):
    family = FamilyFactory(email="famille@example.org")
    values = {"family": family, "kind": OutboxEmail.Kind.NIGHTLY_REPORT, "recipient": family.email,
              "subject": "Compte rendu", "body_text": "Bonjour", "body_html": "<p>Bonjour</p>", **kwargs}
    return OutboxEmail.objects.create(**values)


def test_sends_a_pending_email_once():
    email = outbox_row()

    assert outbox_send(email_id=email.pk) == OutboxEmail.Status.SENT
    assert outbox_send(email_id=email.pk) == OutboxEmail.Status.SENT

    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.SENT and email.attempts == 1 and email.sent_at is not None
    assert len(mail.outbox) == 1
    assert mail.outbox[0].body == "Bonjour" and mail.outbox[0].alternatives[0].content == "<p>Bonjour</p>"


def test_rows_without_address_are_never_sent():
    email = outbox_row(recipient="", status=OutboxEmail.Status.NO_ADDRESS)

    assert outbox_send(email_id=email.pk) == OutboxEmail.Status.NO_ADDRESS
    assert mail.outbox == []


def test_a_refused_message_records_the_attempt_and_raises_for_a_retry(settings):
    settings.EMAIL_BACKEND = REFUSING
    email = outbox_row()

    with pytest.raises(OutboxSendError):
        outbox_send(email_id=email.pk)

    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.PENDING and email.attempts == 1
    assert email.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"


def test_without_a_broker_a_failure_is_final_and_staff_can_send_it_again(settings):
    settings.EMAIL_BACKEND = REFUSING
    email = outbox_row()

    assert send_outbox_email.delay(email.pk).get() == OutboxEmail.Status.FAILED
    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.FAILED

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert outbox_requeue(email_ids=[email.pk]) == [email.pk]
    assert send_outbox_email.delay(email.pk).get() == OutboxEmail.Status.SENT
    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.SENT and email.attempts == 1 and email.last_error == ""


def test_backoff_doubles_up_to_an_hour():
    assert [backoff(n) for n in range(7)] == [60, 120, 240, 480, 960, 1920, 3600]


def test_flush_queues_old_untried_pending_rows_only():
    old = outbox_row()
    OutboxEmail.objects.filter(pk=old.pk).update(created_at=old.created_at - datetime.timedelta(hours=1))
    outbox_row()  # just written: its task is probably on its way

    assert outbox_flush() == 1
    assert [m.to for m in mail.outbox] == [["famille@example.org"]]
