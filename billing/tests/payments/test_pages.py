"""The parent's online payment pages: amounts from the server, 404 for another family's data,
polite 4xx for bad input, the page that sends the browser to the bank, the dummy bank."""
from decimal import Decimal

import pytest
from django.test import override_settings
from django.urls import reverse

from billing.models import Payment, PaymentAttempt, Wallet
from billing.tests.factories import ConsumptionFactory, WalletFactory
from billing.tests.payments.factories import ProviderConfigFactory
from notifications.models import OutboxEmail


def test_the_balance_page_offers_a_top_up_within_the_bounds_and_paying_what_is_owed(parent_client, family, wallet,
                                                                                    provider):
    invoiced = WalletFactory(structure=family.structure, name="Séjours", mode=Wallet.Mode.INVOICED)
    ConsumptionFactory(family=family, wallet=invoiced, unit_price=Decimal("85.13"))
    page = parent_client.get(reverse("billing:balance")).content.decode()
    assert reverse("billing:online_topup", args=[wallet.pk]) in page
    assert reverse("billing:online_pay_due", args=[invoiced.pk]) in page
    assert reverse("billing:online_topup", args=[invoiced.pk]) not in page
    assert "Entre 10,00\u00a0€ et 500,00\u00a0€." in page and "Payer 85,13\u00a0€" in page


def test_without_a_provider_the_balance_page_offers_nothing(parent_client, wallet):
    assert "online-payment-title" not in parent_client.get(reverse("billing:balance")).content.decode()


def test_a_top_up_sends_the_browser_to_the_bank_with_the_form_allowed_to_go_there(parent_client, wallet, provider):
    response = parent_client.post(reverse("billing:online_topup", args=[wallet.pk]), {"montant": "20,00"})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'action="http://127.0.0.1:9/vads-payment/"' in page and 'name="vads_amount" value="2000"' in page
    assert "form-action 'self' http://127.0.0.1:9" in response["Content-Security-Policy"]
    attempt = PaymentAttempt.objects.get()
    assert (attempt.amount, attempt.purpose, attempt.state) == (Decimal("20.00"), "topup", "sent")


@pytest.mark.parametrize("amount", ["5", "abc", "", "1e9", "20,001"])
def test_a_bad_top_up_amount_is_a_polite_400(parent_client, wallet, provider, amount):
    response = parent_client.post(reverse("billing:online_topup", args=[wallet.pk]), {"montant": amount})
    assert response.status_code == 400
    assert not PaymentAttempt.objects.exists()


def test_paying_reads_no_amount_from_the_form(parent_client, family, provider):
    invoiced = WalletFactory(structure=family.structure, name="Séjours", mode=Wallet.Mode.INVOICED)
    ConsumptionFactory(family=family, wallet=invoiced, unit_price=Decimal("85.13"))
    response = parent_client.post(reverse("billing:online_pay_due", args=[invoiced.pk]), {"montant": "1.00", "amount": "1"})
    assert response.status_code == 200
    assert PaymentAttempt.objects.get().amount == Decimal("85.13")


def test_nothing_owed_is_a_polite_400(parent_client, wallet, provider):
    assert parent_client.post(reverse("billing:online_pay_due", args=[wallet.pk])).status_code == 400


def test_another_structures_wallet_is_a_404(parent_client, provider):
    other = WalletFactory()
    assert parent_client.post(reverse("billing:online_topup", args=[other.pk]), {"montant": "20"}).status_code == 404
    assert parent_client.post(reverse("billing:online_pay_due", args=[other.pk])).status_code == 404


def test_starting_a_payment_is_never_a_get(parent_client, wallet, provider):
    assert parent_client.get(reverse("billing:online_topup", args=[wallet.pk])).status_code == 405
    assert not PaymentAttempt.objects.exists()


def test_another_familys_attempt_status_is_a_404(client, started):
    from accounts.tests.factories import TEST_PASSWORD, FamilyFactory, UserFactory

    intruder = UserFactory(username="intrus")
    FamilyFactory(structure=started.attempt.structure, users=[intruder])
    client.login(username="intrus", password=TEST_PASSWORD)
    assert client.get(reverse("billing:online_status", args=[started.attempt.reference])).status_code == 404


def test_the_status_page_follows_the_attempt_and_a_get_changes_nothing(parent_client, started):
    url = reverse("billing:online_status", args=[started.attempt.reference])
    page = parent_client.get(url)
    assert "Paiement en cours" in page.content.decode() and 'http-equiv="refresh"' in page.content.decode()
    assert PaymentAttempt.objects.get().state == "sent"


def test_the_dummy_bank_page_is_a_404_when_debug_is_off(parent_client):
    assert parent_client.get(reverse("billing:online_dummy_bank"), {"transaction_id": "x"}).status_code == 404


@override_settings(DEBUG=True)
def test_with_the_dummy_backend_a_parent_pays_in_development(parent_client, family, wallet):
    ProviderConfigFactory(structure=family.structure, kind="dummy", identifier="demo", service_url="")
    response = parent_client.post(reverse("billing:online_topup", args=[wallet.pk]), {"montant": "20"})
    attempt = PaymentAttempt.objects.get()
    bank = reverse("billing:online_dummy_bank") + "?"
    assert bank in response.content.decode() and attempt.transaction_id in response.content.decode()
    page = parent_client.get(reverse("billing:online_dummy_bank"), {"transaction_id": attempt.transaction_id})
    assert page.status_code == 200 and "20,00" in page.content.decode()
    response = parent_client.post(reverse("billing:online_dummy_bank"),
                                  {"transaction_id": attempt.transaction_id, "choix": "payer"}, follow=True)
    assert "Paiement accepté" in response.content.decode()
    attempt.refresh_from_db()
    assert attempt.state == "paid"
    assert Payment.objects.get().amount == Decimal("20.00")
    assert OutboxEmail.objects.filter(kind=OutboxEmail.Kind.PAYMENT_RECEIPT).count() == 1
