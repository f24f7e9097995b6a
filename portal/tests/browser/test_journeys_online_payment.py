"""A parent tops up a wallet online on a phone: Solde → Recharger 20,00 € → the Systempay-like
simulator (served on 127.0.0.1 in this test run, signing with the shop's test key) → back on
'paiement en cours', paid; the new balance and the line in 'Historique des Règlements'."""
import datetime
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import ChildFactory, FamilyFactory, StructureFactory, UserFactory
from billing.models import Payment, PaymentAttempt, Wallet
from billing.tests.factories import ConsumptionFactory, WalletFactory
from billing.tests.payments.factories import ProviderConfigFactory
from billing.tests.payments.simulator import SystempaySimulator
from notifications.models import OutboxEmail
from portal import dates

from .helpers import audit_page

pytestmark = pytest.mark.browser


@pytest.fixture
def bank():
    with SystempaySimulator(auth_number="445401") as simulator:
        yield simulator


@pytest.fixture
def guide(settings, live_server, bank):
    settings.SITE_URL = live_server.url  # where the simulator posts the notification and sends the browser back
    structure = StructureFactory(name="Mairie de CarteVille", slug="carteville")
    user = UserFactory(username="guide", first_name="Denis", last_name="GUIDE")
    family = FamilyFactory(structure=structure, number="000123", payer_name="GUIDE DENIS", users=[user],
                           email="guide@example.org")
    emmy = ChildFactory(family=family, first_name="Emmy", last_name="GUIDE")
    resto = WalletFactory(structure=structure, name="Restauration", position=1)
    ConsumptionFactory(family=family, child=emmy, wallet=resto, day=dates.today(), unit_price=Decimal("4.62"))
    WalletFactory(structure=structure, name="Séjours", position=2, mode=Wallet.Mode.INVOICED)
    ProviderConfigFactory(structure=structure, service_url=bank.url, topup_min=Decimal("10.00"),
                          topup_max=Decimal("150.00"))
    return user


def test_a_parent_tops_up_20_euros_on_a_phone_and_sees_the_balance_and_the_history(phone_page, login_as, guide, bank):
    page = phone_page
    login_as(page.context, guide)
    page.goto("/facturation/solde/")
    offers = page.locator("#online-payment-title")
    expect(offers).to_be_visible()
    audit_page(page, label="solde avec paiement en ligne")
    page.get_by_label("Montant à recharger (€)").fill("20,00")
    page.get_by_role("button", name="Recharger").click()

    expect(page.get_by_role("heading", name="Simulateur Systempay")).to_be_visible()
    expect(page.locator("#montant")).to_have_text("20,00 EUR")
    page.get_by_role("button", name="Payer").click()

    expect(page.locator("#online-status")).to_contain_text("Paiement accepté")
    expect(page.get_by_role("heading", level=1)).to_have_text("Paiement en ligne")
    audit_page(page, label="paiement accepté")
    assert [status for _fields, status in bank.notifications] == [200]
    attempt = PaymentAttempt.objects.get()
    assert attempt.state == "paid"
    assert [event.source for event in attempt.events.all()] == ["parent", "parent", "notification"]
    payment = Payment.objects.get()
    assert (payment.amount, payment.mode, payment.piece_number) == (Decimal("20.00"), "internet", "445401")
    assert OutboxEmail.objects.filter(kind=OutboxEmail.Kind.PAYMENT_RECEIPT, recipient="guide@example.org").count() == 1

    page.get_by_role("link", name="Retour au solde").click()
    row = page.locator("table.balance-table tbody tr", has_text="Restauration")
    expect(row.locator("td").first).to_have_text("15,38\u00a0€")  # 20,00 − 4,62

    page.goto("/facturation/historiques/reglements/")
    line = page.locator("table.history-table tbody tr", has_text="445401")
    expect(line).to_contain_text("20,00")
    expect(line).to_contain_text("Internet")


def test_a_refused_card_changes_nothing(phone_page, login_as, guide, bank):
    page = phone_page
    login_as(page.context, guide)
    page.goto("/facturation/solde/")
    page.get_by_label("Montant à recharger (€)").fill("30")
    page.get_by_role("button", name="Recharger").click()
    page.get_by_role("button", name="Refuser").click()
    expect(page.locator("#online-status")).to_contain_text("Paiement refusé")
    assert PaymentAttempt.objects.get().state == "refused"
    assert not Payment.objects.exists()


def test_paying_what_is_owed_sends_the_servers_amount(phone_page, login_as, guide, bank):
    family = guide.families.get()
    sejours = Wallet.objects.get(name="Séjours")
    ConsumptionFactory(family=family, wallet=sejours, child=family.children.get(), day=dates.today(),
                       unit_price=Decimal("85.13"))
    page = phone_page
    login_as(page.context, guide)
    page.goto("/facturation/solde/")
    page.get_by_role("button", name=re.compile(r"^Payer 85,13")).click()
    expect(page.locator("#montant")).to_have_text("85,13 EUR")
    page.get_by_role("button", name="Payer").click()
    expect(page.locator("#online-status")).to_contain_text("Paiement accepté")
    assert Payment.objects.get().allocations.get().wallet == sejours


def test_paying_one_invoice_settles_that_invoice_not_the_older_one(phone_page, login_as, guide, bank):
    from billing.invoicing import services as invoicing

    family = guide.families.get()
    sejours = Wallet.objects.get(name="Séjours")
    for month, price in ((10, "40.00"), (11, "85.13")):
        ConsumptionFactory(family=family, wallet=sejours, child=family.children.get(), day=datetime.date(2026, month, 5),
                           unit_price=Decimal(price))
        run = invoicing.invoicing_run_start(structure=family.structure, month=datetime.date(2026, month, 1))
        invoicing.invoicing_run_finalise(run=run, on_date=datetime.date(2026, month + 1, 1))
    older, newer = family.invoices.order_by("issued_on")
    page = phone_page
    login_as(page.context, guide)
    page.goto("/facturation/factures/")
    page.get_by_role("button", name=f"Payer {newer.number}").click()
    expect(page.locator("#montant")).to_have_text("85,13 EUR")
    page.get_by_role("button", name="Payer").click()
    expect(page.locator("#online-status")).to_contain_text(f"pour la facture {newer.number}")
    page.get_by_role("link", name="Retour à mes factures").click()
    expect(page.locator("main table tbody tr", has_text=newer.number)).to_contain_text("Payée")
    expect(page.locator("main table tbody tr", has_text=older.number)).not_to_contain_text("Payée")
    expect(page.get_by_role("button", name=f"Payer {older.number}")).to_be_visible()


def test_paying_an_invoice_of_two_wallets_credits_each_its_part(phone_page, login_as, guide, bank):
    from billing.invoicing import services as invoicing

    family = guide.families.get()
    sejours = Wallet.objects.get(name="Séjours")
    care = WalletFactory(structure=family.structure, name="Accueil Périscolaire", position=3, mode=Wallet.Mode.INVOICED)
    emmy = family.children.get()
    ConsumptionFactory(family=family, wallet=sejours, child=emmy, day=datetime.date(2026, 11, 5), unit_price=Decimal("40.00"))
    ConsumptionFactory(family=family, wallet=care, child=emmy, day=datetime.date(2026, 11, 6), unit_price=Decimal("0.45"),
                       quantity=Decimal("7"), activity_label="Garderie Soir")
    invoicing.invoicing_run_finalise(run=invoicing.invoicing_run_start(structure=family.structure,
                                                                      month=datetime.date(2026, 11, 1)))
    invoice = family.invoices.get()
    page = phone_page
    login_as(page.context, guide)
    page.goto("/facturation/factures/")
    page.get_by_role("button", name=f"Payer {invoice.number}").click()
    expect(page.locator("#montant")).to_have_text("43,15 EUR")
    page.get_by_role("button", name="Payer").click()
    expect(page.locator("#online-status")).to_contain_text(f"pour la facture {invoice.number}")
    expect(page.locator("dl")).to_contain_text("Séjours : 40,00")
    expect(page.locator("dl")).to_contain_text("Accueil Périscolaire : 3,15")
    audit_page(page, label="facture de deux porte-monnaie payée")
    page.get_by_role("link", name="Retour à mes factures").click()
    expect(page.locator("main table tbody tr", has_text=invoice.number)).to_contain_text("Payée")
    page.goto("/facturation/solde/")
    for name in ("Séjours", "Accueil Périscolaire"):
        expect(page.locator("table.balance-table tbody tr", has_text=name).locator("td").first).to_have_text("0,00\u00a0€")
    page.goto("/facturation/historiques/reglements/")
    expect(page.locator("table.history-table tbody tr", has_text="445401")).to_have_count(1)
    expect(page.locator("table.history-table tbody tr", has_text="445401")).to_contain_text("43,15")
