"""PayFiP through eopayment's payfip_ws, against the stand-in: the result always comes from
recupererDetailPaiementSecurise, never from the notification's fields."""
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from billing.models import Payment, PaymentAttempt
from billing.payments import services

FORM = "application/x-www-form-urlencoded"


def notify(client, payfip, **fields):
    return client.post(reverse("billing:online_notification", args=[payfip.pk]), urlencode(fields), content_type=FORM)


def test_starting_asks_payfip_for_an_idop_and_sends_the_browser_to_its_page(sent, standin, settings, payfip):
    attempt = sent.attempt
    assert standin.calls == ["creerPaiementSecurise"]
    operation = standin.operations[attempt.transaction_id]
    assert operation.request["montant"] == "2000" and operation.request["numcli"] == "123456"
    assert operation.request["saisie"] == "T" and operation.request["refdet"] == attempt.reference
    assert operation.request["urlnotif"] == settings.SITE_URL + reverse("billing:online_notification", args=[payfip.pk])
    assert sent.redirect.url == f"{standin.url}paiementws.web?idop={attempt.transaction_id}"
    assert attempt.state == "sent"


def test_a_notification_makes_us_ask_payfip_and_record_what_it_says(client, sent, standin, payfip, family, wallet):
    standin.settle(sent.attempt.transaction_id, "P", numauto="445401")
    assert notify(client, payfip, idOp=sent.attempt.transaction_id).status_code == 200
    assert standin.calls[-1] == "recupererDetailPaiementSecurise"
    attempt = PaymentAttempt.objects.get(pk=sent.attempt.pk)
    assert attempt.state == "paid" and attempt.bank_reference == attempt.transaction_id
    payment = attempt.payment
    assert (payment.amount, payment.mode, payment.piece_number) == (Decimal("20.00"), "internet", "445401")
    assert notify(client, payfip, idOp=sent.attempt.transaction_id).status_code == 200  # resent
    assert Payment.objects.count() == 1


def test_the_notifications_own_fields_are_never_trusted(client, sent, standin, payfip):
    """The parent has not paid (PayFiP answers P5): a notification claiming otherwise records nothing."""
    response = notify(client, payfip, idOp=sent.attempt.transaction_id, resultrans="P", montant="2000", numauto="999999")
    assert response.status_code == 200
    assert standin.calls[-1] == "recupererDetailPaiementSecurise"
    assert PaymentAttempt.objects.get(pk=sent.attempt.pk).state == "sent"
    assert Payment.objects.count() == 0


def test_an_unknown_operation_id_is_a_404(client, sent, payfip, standin):
    assert notify(client, payfip, idOp="0" * 32).status_code == 404
    assert notify(client, payfip).status_code == 404
    assert "recupererDetailPaiementSecurise" not in standin.calls
    assert Payment.objects.count() == 0


def test_an_amount_payfip_reports_differently_writes_nothing_and_flags(client, sent, standin, payfip):
    standin.settle(sent.attempt.transaction_id, "P")
    standin.operations[sent.attempt.transaction_id].overrides["montant"] = "200"
    assert notify(client, payfip, idOp=sent.attempt.transaction_id).status_code == 400
    attempt = PaymentAttempt.objects.get(pk=sent.attempt.pk)
    assert attempt.flagged and attempt.state == "sent" and Payment.objects.count() == 0


def test_a_refusal_changes_nothing_in_the_ledger(client, sent, standin, payfip):
    standin.settle(sent.attempt.transaction_id, "R")
    assert notify(client, payfip, idOp=sent.attempt.transaction_id).status_code == 200
    assert PaymentAttempt.objects.get(pk=sent.attempt.pk).state == "refused"
    assert Payment.objects.count() == 0


def test_the_browser_coming_back_changes_nothing_by_itself(client, sent, standin):
    standin.settle(sent.attempt.transaction_id, "P")
    response = client.get(reverse("billing:online_return", args=[sent.attempt.reference]),
                          {"idop": sent.attempt.transaction_id})
    assert response.status_code == 302
    assert PaymentAttempt.objects.get(pk=sent.attempt.pk).state == "sent"


def test_payfip_needs_the_familys_email_address(family, wallet, payfip, standin):
    from django.core.exceptions import ValidationError

    family.email = ""
    family.save(update_fields=["email"])
    with pytest.raises(ValidationError, match="e-mail"):
        services.payment_attempt_start(family=family, wallet=wallet, purpose="topup", amount=Decimal("20.00"))
    assert standin.calls == []


def test_the_stand_ins_page_pays_and_notifies_like_payfip(live_server, settings, family, wallet, standin, payfip):
    """End to end over HTTP: our server asks for the idOp, the 'parent' pays on the stand-in's page,
    the stand-in notifies our live server, which asks recupererDetailPaiementSecurise."""
    import urllib.request

    settings.SITE_URL = live_server.url
    started = services.payment_attempt_start(family=family, wallet=wallet, purpose="topup", amount=Decimal("20.00"))
    page = urllib.request.urlopen(started.redirect.url, timeout=20).read().decode()
    assert "20,00 EUR" in page
    choice = urllib.request.Request(f"{standin.url}paiementws.web/choice", method="POST",
                                    data=urlencode({"idop": started.attempt.transaction_id, "resultrans": "P"}).encode())
    urllib.request.urlopen(choice, timeout=20)
    assert standin.notifications == [200]
    assert PaymentAttempt.objects.get(pk=started.attempt.pk).state == "paid"
    assert standin.calls == ["creerPaiementSecurise", "recupererDetailPaiementSecurise"]
