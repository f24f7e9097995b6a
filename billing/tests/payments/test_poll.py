"""Beat re-asks attempts without an answer from 5 minutes to 3 hours old, then expires them."""
import datetime
from decimal import Decimal

import pytest
import time_machine

from billing.models import AttemptEvent, Payment, PaymentAttempt
from billing.payments import services
from billing.payments.tasks import online_payments_poll
from billing.tests.payments import systempay
from billing.tests.payments.conftest import request_fields
from billing.tests.payments.test_callbacks import notify

START = datetime.datetime(2026, 12, 1, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def test_an_attempt_younger_than_five_minutes_is_not_asked(clock, sent, standin):
    clock.shift(datetime.timedelta(minutes=4))
    assert services.payment_attempts_poll()["asked"] == 0
    assert standin.calls == ["creerPaiementSecurise"]


def test_payfip_is_asked_and_a_paid_attempt_is_recorded_by_the_poll(clock, sent, standin):
    clock.shift(datetime.timedelta(minutes=6))
    standin.settle(sent.attempt.transaction_id, "P")
    figures = online_payments_poll.delay().get()
    assert figures["asked"] == 1 and figures["settled"] == 1
    attempt = PaymentAttempt.objects.get(pk=sent.attempt.pk)
    assert attempt.state == "paid" and attempt.events.last().source == AttemptEvent.Source.POLL
    assert Payment.objects.count() == 1
    assert services.payment_attempts_poll()["asked"] == 0  # final: never asked again


def test_still_no_answer_after_three_hours_is_expired(clock, sent, standin):
    clock.shift(datetime.timedelta(minutes=30))
    assert services.payment_attempts_poll()["asked"] == 1   # P5: still waiting
    assert PaymentAttempt.objects.get(pk=sent.attempt.pk).state == "sent"
    clock.shift(datetime.timedelta(hours=3))
    services.payment_attempts_poll()
    attempt = PaymentAttempt.objects.get(pk=sent.attempt.pk)
    assert attempt.state == "expired" and attempt.events.last().source == AttemptEvent.Source.POLL
    assert Payment.objects.count() == 0


def test_a_systempay_attempt_without_a_notification_expires_after_three_hours(clock, family, wallet, provider):
    started = services.payment_attempt_start(family=family, wallet=wallet, purpose="topup", amount=Decimal("20.00"))
    clock.shift(datetime.timedelta(hours=2, minutes=59))
    assert services.payment_attempts_poll()["expired"] == 0
    clock.shift(datetime.timedelta(minutes=2))
    assert services.payment_attempts_poll()["expired"] == 1
    assert PaymentAttempt.objects.get(pk=started.attempt.pk).state == "expired"


def test_money_confirmed_after_the_expiry_is_recorded_and_flagged(clock, client, family, wallet, provider):
    started = services.payment_attempt_start(family=family, wallet=wallet, purpose="topup", amount=Decimal("20.00"))
    clock.shift(datetime.timedelta(hours=4))
    services.payment_attempts_poll()
    assert notify(client, provider, systempay.notification_fields(request_fields(started))).status_code == 200
    attempt = PaymentAttempt.objects.get(pk=started.attempt.pk)
    assert attempt.state == "paid" and attempt.flagged and Payment.objects.count() == 1
