"""Refused messages posted to the payment callbacks are counted per sender address: a sender
that keeps forging is answered 429 without being read (no flag, no question to the provider),
while the provider's own address goes on being heard."""
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from billing.models import Payment, PaymentAttempt
from billing.tests.payments import systempay
from billing.tests.payments.conftest import request_fields

FORM = "application/x-www-form-urlencoded"
FORGER, PROVIDER = "203.0.113.66", "198.51.100.10"


def post(url, fields, address):
    return Client(REMOTE_ADDR=address).post(url, systempay.body(fields), content_type=FORM)


@pytest.fixture
def forged(started):
    fields = systempay.notification_fields(request_fields(started))
    fields["signature"] = systempay.sign(fields, key="NOTTHEKEY")
    return fields


@pytest.mark.django_db
def test_a_sender_of_forged_notifications_is_answered_429_unread_while_the_provider_is_heard(settings, started, provider,
                                                                                          forged):
    settings.THROTTLE_IP_MAX_FAILURES = 3
    url = reverse("billing:online_notification", args=[provider.pk])
    assert [post(url, forged, FORGER).status_code for _ in range(3)] == [400, 400, 400]
    flags = PaymentAttempt.objects.get(pk=started.attempt.pk).flag_reason.count("Signature invalide")
    assert flags == 3

    assert post(url, forged, FORGER).status_code == 429
    assert PaymentAttempt.objects.get(pk=started.attempt.pk).flag_reason.count("Signature invalide") == flags

    valid = systempay.notification_fields(request_fields(started))
    assert post(url, valid, FORGER).status_code == 429   # even a valid message: that address is not read
    assert Payment.objects.count() == 0
    assert post(url, valid, PROVIDER).status_code == 200
    assert Payment.objects.get().amount == Decimal("20.00")


@pytest.mark.django_db
def test_unknown_transactions_count_as_refused_messages(settings, started, provider):
    settings.THROTTLE_IP_MAX_FAILURES = 2
    url = reverse("billing:online_notification", args=[provider.pk])
    fields = systempay.notification_fields(request_fields(started))
    fields["vads_ext_info_eopayment_trans_id"] = "nope"
    fields["signature"] = systempay.sign(fields)
    assert [post(url, fields, FORGER).status_code for _ in range(3)] == [404, 404, 429]


@pytest.mark.django_db
def test_a_locked_sender_returning_from_the_bank_still_reaches_the_status_page_unread(settings, started, forged):
    settings.THROTTLE_IP_MAX_FAILURES = 2
    url = reverse("billing:online_return", args=[started.attempt.reference])
    assert [post(url, forged, FORGER).status_code for _ in range(2)] == [400, 400]
    response = post(url, systempay.notification_fields(request_fields(started)), FORGER)
    assert response.status_code == 302
    assert response["Location"] == reverse("billing:online_status", args=[started.attempt.reference])
    assert PaymentAttempt.objects.get(pk=started.attempt.pk).state == PaymentAttempt.State.SENT
    assert Payment.objects.count() == 0
