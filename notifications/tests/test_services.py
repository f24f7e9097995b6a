"""Sending the outbox: once, with attempts and errors recorded, failures visible to staff; a
row left "sending" by a dead process is sent again with its Message-ID, one a live process
is sending is left alone."""
import datetime
import threading

import pytest
from django.core import mail
from django.db import connections
from django.utils import timezone

from accounts.tests.factories import FamilyFactory
from notifications.models import OutboxEmail
from notifications.selectors import outbox_due_ids
from notifications.services import SENDING_LOCK_CLASS, OutboxSendError, outbox_requeue, outbox_send
from notifications.tasks import backoff, outbox_flush, send_outbox_batch, send_outbox_email

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
    assert mail.outbox[0].message()["Message-ID"] == email.message_id
    assert email.message_id.startswith("<") and email.message_id.endswith("@portail-famille.localhost>")


def test_a_row_left_sending_by_a_dead_process_is_sent_again_with_the_same_message_id():
    email = outbox_row(status=OutboxEmail.Status.SENDING, attempts=1, claimed_at=timezone.now(),
                       message_id="<outbox.1.first@portail-famille.localhost>")

    assert outbox_send(email_id=email.pk) == OutboxEmail.Status.SENT

    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.SENT and email.attempts == 2
    assert [m.message()["Message-ID"] for m in mail.outbox] == ["<outbox.1.first@portail-famille.localhost>"]


def test_a_row_another_process_is_sending_right_now_is_left_alone():
    email = outbox_row(status=OutboxEmail.Status.SENDING, attempts=1, claimed_at=timezone.now())
    holding, release = threading.Event(), threading.Event()

    def live_sender():  # another session holding the row's sending lock, as outbox_send does
        try:
            with connections["default"].cursor() as cursor:
                cursor.execute("SELECT pg_advisory_lock(%s, %s)", [SENDING_LOCK_CLASS, email.pk])
                holding.set()
                release.wait(timeout=10)
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [SENDING_LOCK_CLASS, email.pk])
        finally:
            connections["default"].close()

    thread = threading.Thread(target=live_sender)
    thread.start()
    try:
        assert holding.wait(timeout=10)
        assert outbox_send(email_id=email.pk) == "locked"
        email.refresh_from_db()
        assert email.status == OutboxEmail.Status.SENDING and email.attempts == 1 and mail.outbox == []
    finally:
        release.set()
        thread.join()
    # Once the other session lets go without recording anything (it died), the row is sent.
    assert outbox_send(email_id=email.pk) == OutboxEmail.Status.SENT and len(mail.outbox) == 1


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


def test_a_message_the_backend_cannot_handle_at_all_is_marked_failed_not_left_sending(settings):
    settings.EMAIL_BACKEND = "notifications.tests.failing_backend.BrokenBackend"
    email = outbox_row()

    assert outbox_send(email_id=email.pk) == OutboxEmail.Status.FAILED

    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.FAILED and email.last_error.startswith("ValueError:")


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


def test_a_nights_batch_sends_each_email_once_and_a_refused_one_does_not_hold_back_the_others(settings):
    settings.EMAIL_BACKEND = "notifications.tests.failing_backend.RefusingSomeBackend"
    mail.outbox = []
    first, refused, last = (outbox_row(recipient=address) for address in
                            ("a@example.org", "refuse@example.org", "b@example.org"))

    # Without a broker (eager) the refused one's failure is final, as for send_outbox_email.
    assert send_outbox_batch.delay([first.pk, refused.pk, last.pk]).get() == {"sent": 2, "failed": 1}
    assert [message.to for message in mail.outbox] == [["a@example.org"], ["b@example.org"]]
    statuses = dict(OutboxEmail.objects.values_list("pk", "status"))
    assert statuses == {first.pk: OutboxEmail.Status.SENT, refused.pk: OutboxEmail.Status.FAILED,
                        last.pk: OutboxEmail.Status.SENT}
    # The batch delivered again (a worker died before acknowledging it) sends nothing twice.
    send_outbox_batch.delay([first.pk, refused.pk, last.pk]).get()
    assert len(mail.outbox) == 2


def test_backoff_doubles_up_to_an_hour():
    assert [backoff(n) for n in range(7)] == [60, 120, 240, 480, 960, 1920, 3600]


def test_flush_queues_old_untried_pending_rows_and_rows_left_sending():
    old = outbox_row(recipient="ancien@example.org")
    OutboxEmail.objects.filter(pk=old.pk).update(created_at=old.created_at - datetime.timedelta(hours=1))
    outbox_row()  # just written: its task is probably on its way
    outbox_row(recipient="interrompu@example.org", status=OutboxEmail.Status.SENDING, attempts=1,
               claimed_at=timezone.now())

    assert outbox_flush() == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["ancien@example.org", "interrompu@example.org"]


def test_due_rows_are_those_no_task_will_send():
    now = timezone.now()
    hour = datetime.timedelta(hours=1)

    def row(**kwargs):
        email = outbox_row(**{key: value for key, value in kwargs.items() if key != "created_at"})
        OutboxEmail.objects.filter(pk=email.pk).update(created_at=kwargs.get("created_at", now))
        return email.pk

    untried_old = row(created_at=now - hour)
    row()                                                                          # untried, fresh
    retry_overdue = row(attempts=2, claimed_at=now - 3 * hour)
    undated_retry_overdue = row(attempts=1, created_at=now - 3 * hour)                 # tried by the old code
    row(attempts=1, created_at=now - datetime.timedelta(minutes=30))
    row(attempts=2, claimed_at=now - datetime.timedelta(minutes=5))                # its retry is scheduled
    left_sending = row(status=OutboxEmail.Status.SENDING, attempts=1, claimed_at=now)
    for status in (OutboxEmail.Status.SENT, OutboxEmail.Status.FAILED, OutboxEmail.Status.NO_ADDRESS):
        row(status=status, created_at=now - hour)

    due = outbox_due_ids(untried_before=now - datetime.timedelta(minutes=10), retry_overdue_before=now - 2 * hour)

    assert due == [untried_old, retry_overdue, undated_retry_overdue, left_sending]
