"""The provider's notification and the browser's return (DESIGN §7, issue 13 "safe callbacks"):
a verified result becomes exactly one ledger Payment; anything else writes no line."""
import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from billing.models import AttemptEvent, Payment, PaymentAttempt
from billing.payments import services
from billing.tests.payments import systempay
from billing.tests.payments.conftest import request_fields
from notifications.models import OutboxEmail

FORM = "application/x-www-form-urlencoded"


def notify(client, provider, fields):
    return client.post(reverse("billing:online_notification", args=[provider.pk]), systempay.body(fields),
                       content_type=FORM)


def browser_return(client, attempt, fields):
    return client.post(reverse("billing:online_return", args=[attempt.reference]), systempay.body(fields),
                       content_type=FORM)


def test_the_form_sent_to_systempay_is_signed_with_the_test_key_and_asks_for_the_servers_amount(started):
    fields = request_fields(started)
    assert started.redirect.url == "http://127.0.0.1:9/vads-payment/"
    assert fields["vads_amount"] == "2000" and fields["vads_currency"] == "978" and fields["vads_ctx_mode"] == "TEST"
    assert fields["vads_ext_info_eopayment_trans_id"] == started.attempt.reference
    assert fields["vads_return_mode"] == "POST"
    assert fields["signature"] == systempay.sign(fields)
    assert started.attempt.state == PaymentAttempt.State.SENT
    assert list(started.attempt.events.values_list("from_state", "to_state")) == [("", "created"), ("created", "sent")]


def test_a_valid_notification_records_one_internet_payment_with_the_authorisation_number(client, started, provider,
                                                                                      family, wallet):
    response = notify(client, provider, systempay.notification_fields(request_fields(started), auth_number="445401"))
    assert response.status_code == 200
    attempt = PaymentAttempt.objects.get(pk=started.attempt.pk)
    assert attempt.state == PaymentAttempt.State.PAID
    payment = attempt.payment
    assert (payment.family, payment.mode, payment.amount, payment.piece_number) == (family, "internet", Decimal("20.00"),
                                                                                    "445401")
    assert [(a.wallet, a.amount) for a in payment.allocations.all()] == [(wallet, Decimal("20.00"))]
    event = attempt.events.last()
    assert (event.from_state, event.to_state, event.source) == ("sent", "paid", AttemptEvent.Source.NOTIFICATION)
    receipt = OutboxEmail.objects.get(family=family, kind=OutboxEmail.Kind.PAYMENT_RECEIPT)
    assert "20,00" in receipt.subject and "445401" in receipt.body_text


def test_the_same_valid_notification_posted_five_times_records_one_payment(client, started, provider):
    fields = systempay.notification_fields(request_fields(started))
    statuses = [notify(client, provider, fields).status_code for _ in range(5)]
    assert statuses == [200] * 5
    assert Payment.objects.count() == 1
    assert OutboxEmail.objects.filter(kind=OutboxEmail.Kind.PAYMENT_RECEIPT).count() == 1
    assert PaymentAttempt.objects.get(pk=started.attempt.pk).events.filter(to_state="paid").count() == 1


def test_a_bad_signature_is_a_400_writes_no_line_and_flags_the_attempt(client, started, provider):
    fields = systempay.notification_fields(request_fields(started))
    fields["signature"] = systempay.sign(fields, key="NOTTHEKEY")
    response = notify(client, provider, fields)
    assert response.status_code == 400
    attempt = PaymentAttempt.objects.get(pk=started.attempt.pk)
    assert Payment.objects.count() == 0
    assert attempt.state == PaymentAttempt.State.SENT and attempt.flagged
    assert "Signature invalide" in attempt.flag_reason


def test_a_field_changed_after_signing_is_a_bad_signature(client, started, provider):
    fields = systempay.notification_fields(request_fields(started))
    fields["vads_auth_number"] = "999999"
    assert notify(client, provider, fields).status_code == 400
    assert Payment.objects.count() == 0


@pytest.mark.parametrize("change", [{"amount": "200"}, {"amount": "2001"}, {"currency": "840"}],
                         ids=["2,00 instead of 20,00", "20,01", "dollars"])
def test_a_notified_amount_or_currency_different_from_the_attempts_writes_no_line_and_flags(client, started, provider,
                                                                                           change):
    fields = systempay.notification_fields(request_fields(started), **change)  # correctly signed
    response = notify(client, provider, fields)
    assert response.status_code == 400
    attempt = PaymentAttempt.objects.get(pk=started.attempt.pk)
    assert Payment.objects.count() == 0
    assert attempt.flagged and attempt.state == PaymentAttempt.State.SENT


def test_a_production_result_for_a_test_attempt_is_refused(client, started, provider):
    request = {**request_fields(started), "vads_ctx_mode": "PRODUCTION"}
    fields = systempay.notification_fields(request, key=provider.secret_production)
    assert notify(client, provider, fields).status_code == 400
    assert Payment.objects.count() == 0
    assert PaymentAttempt.objects.get(pk=started.attempt.pk).flagged


@pytest.mark.parametrize("outcome,state", [("refused", "refused"), ("cancelled", "cancelled")])
def test_a_refused_or_abandoned_payment_changes_nothing_in_the_ledger(client, started, provider, outcome, state):
    assert notify(client, provider, systempay.notification_fields(request_fields(started), outcome=outcome)).status_code == 200
    attempt = PaymentAttempt.objects.get(pk=started.attempt.pk)
    assert attempt.state == state and attempt.payment is None
    assert Payment.objects.count() == 0
    assert not OutboxEmail.objects.filter(kind=OutboxEmail.Kind.PAYMENT_RECEIPT).exists()


def test_a_paid_notification_after_a_refusal_changes_nothing_and_is_flagged(client, started, provider):
    notify(client, provider, systempay.notification_fields(request_fields(started), outcome="refused"))
    notify(client, provider, systempay.notification_fields(request_fields(started)))
    attempt = PaymentAttempt.objects.get(pk=started.attempt.pk)
    assert attempt.state == "refused" and attempt.flagged and Payment.objects.count() == 0


def test_a_notification_about_an_unknown_transaction_is_a_404(client, started, provider):
    fields = {**request_fields(started), "vads_ext_info_eopayment_trans_id": "inconnu", "vads_order_id": "inconnu"}
    assert notify(client, provider, systempay.notification_fields(fields)).status_code == 404
    assert Payment.objects.count() == 0


def test_the_same_bank_reference_cannot_pay_two_attempts(client, family, wallet, provider):
    first = services.payment_attempt_start(family=family, wallet=wallet, purpose="topup", amount=Decimal("20.00"))
    second = services.payment_attempt_start(family=family, wallet=wallet, purpose="topup", amount=Decimal("20.00"))
    notify(client, provider, systempay.notification_fields(request_fields(first), trans_uuid="a" * 32))
    response = notify(client, provider, systempay.notification_fields(request_fields(second), trans_uuid="a" * 32))
    assert response.status_code == 400
    assert Payment.objects.count() == 1
    second_attempt = PaymentAttempt.objects.get(pk=second.attempt.pk)
    assert second_attempt.flagged and second_attempt.state == "sent"


def test_get_never_changes_a_state(client, started, provider):
    fields = systempay.notification_fields(request_fields(started))
    assert client.get(reverse("billing:online_notification", args=[provider.pk]), fields).status_code == 405
    response = client.get(reverse("billing:online_return", args=[started.attempt.reference]), fields)
    assert response.status_code == 302
    assert PaymentAttempt.objects.get(pk=started.attempt.pk).state == "sent"
    assert Payment.objects.count() == 0


def test_the_browsers_signed_return_records_the_payment_and_goes_to_the_status_page(client, started):
    response = browser_return(client, started.attempt, systempay.notification_fields(request_fields(started)))
    assert response.status_code == 302
    assert response["Location"] == reverse("billing:online_status", args=[started.attempt.reference])
    attempt = PaymentAttempt.objects.get(pk=started.attempt.pk)
    assert attempt.state == "paid" and attempt.events.last().source == AttemptEvent.Source.RETURN


def test_a_forged_browser_return_is_a_400_and_records_nothing(client, started):
    fields = systempay.notification_fields(request_fields(started), key="FORGED")
    response = browser_return(client, started.attempt, fields)
    assert response.status_code == 400
    assert Payment.objects.count() == 0 and PaymentAttempt.objects.get(pk=started.attempt.pk).flagged


# --- Races: real threads, each with its own PostgreSQL connection --------------------------

def _race(*calls):
    barrier = threading.Barrier(len(calls))
    results, errors = [None] * len(calls), []

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as error:  # reported below: a thread's failure must fail the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    return results


@pytest.mark.django_db(transaction=True)
def test_the_browsers_return_racing_the_notification_records_one_payment(family, wallet, provider):
    for _round in range(3):
        started = services.payment_attempt_start(family=family, wallet=wallet, purpose="topup", amount=Decimal("20.00"))
        fields = systempay.notification_fields(request_fields(started))
        statuses = _race(lambda fields=fields: notify(Client(), provider, fields).status_code,
                         lambda started=started, fields=fields: browser_return(Client(), started.attempt,
                                                                               fields).status_code)
        assert statuses == [200, 302]
        assert Payment.objects.filter(online_attempt=started.attempt).count() == 1
    assert Payment.objects.count() == 3
    assert OutboxEmail.objects.filter(kind=OutboxEmail.Kind.PAYMENT_RECEIPT).count() == 3


@pytest.mark.django_db(transaction=True)
def test_five_notifications_at_once_record_one_payment(family, wallet, provider):
    started = services.payment_attempt_start(family=family, wallet=wallet, purpose="topup", amount=Decimal("20.00"))
    fields = systempay.notification_fields(request_fields(started))
    statuses = _race(*[lambda: notify(Client(), provider, fields).status_code] * 5)
    assert statuses == [200] * 5
    assert Payment.objects.count() == 1
    assert PaymentAttempt.objects.get(pk=started.attempt.pk).events.filter(to_state="paid").count() == 1


@pytest.mark.django_db(transaction=True)
def test_control_without_the_row_lock_both_threads_find_the_attempt_unpaid(family, wallet, provider):
    """The race the lock closes: read without select_for_update, two deliveries at once both see
    the attempt 'sent' and would both record it. With the lock the second one waits, then sees 'paid'."""
    started = services.payment_attempt_start(family=family, wallet=wallet, purpose="topup", amount=Decimal("20.00"))
    both_read = threading.Barrier(2)

    def read(lock: bool):
        def run():
            with transaction.atomic():
                attempts = PaymentAttempt.objects.select_for_update() if lock else PaymentAttempt.objects
                seen = attempts.get(pk=started.attempt.pk).state
                if lock and seen == "sent":
                    PaymentAttempt.objects.filter(pk=started.attempt.pk).update(state="paid")
                if not lock:
                    both_read.wait(timeout=10)
                return seen
        return run

    assert _race(read(False), read(False)) == ["sent", "sent"]
    assert sorted(_race(read(True), read(True))) == ["paid", "sent"]
