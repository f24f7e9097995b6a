"""An invoice over several wallets (the canteen and the after-school care) paid online in one go:
one Payment, allocated to each wallet for what is left due on it on that invoice (the parts add
up to the amount, in cents), the invoice settled, each wallet's balance moved by its part."""
import datetime
import html
import io
import re
import urllib.parse
import urllib.request
from decimal import Decimal

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from billing.invoicing import services
from billing.invoicing.models import InvoiceSettlement
from billing.invoicing.selectors import InvoiceState, invoice_rows
from billing.invoicing.wallet_split import invoice_left_per_wallet, invoice_payment_split, split_in_cents
from billing.ledger.balance import wallet_balances
from billing.ledger.services import payment_record
from billing.models import Payment, PaymentAttempt
from billing.payments.reconciliation import reconciliation_file
from billing.tests.invoicing.conftest import NOV, consume, other_family
from billing.tests.invoicing.test_online import FORM, bank_form, notify, pay_url
from billing.tests.payments import systempay
from billing.tests.payments.factories import ProviderConfigFactory
from billing.tests.payments.simulator import SystempaySimulator
from notifications.models import OutboxEmail

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def two_wallets(family, invoiced_wallets):
    """November: 3 meals (13,86 € on Restauration) and 7 quarter hours of care (3,15 € on
    Accueil Périscolaire): one invoice of 17,01 €."""
    for day in (2, 3, 5):
        consume(family, invoiced_wallets["restauration"], datetime.date(2026, 11, day))
    consume(family, invoiced_wallets["periscolaire"], datetime.date(2026, 11, 4), label="Garderie Soir", price="0.45",
            quantity="7")
    services.invoicing_run_finalise(run=services.invoicing_run_start(structure=family.structure, month=NOV),
                                    on_date=datetime.date(2026, 12, 1))
    invoice = family.invoices.get()
    assert invoice.total == D("17.01")
    return invoice


def balances(family) -> dict[str, Decimal]:
    return {row.wallet.name: row.balance for row in wallet_balances(family=family) if not row.wallet.is_prepaid}


def parts(payment) -> list[tuple[str, Decimal]]:
    return sorted((a.wallet.name, a.amount) for a in payment.allocations.select_related("wallet"))


# --- The rule, in cents ------------------------------------------------------------------------

@pytest.mark.parametrize(("lefts", "amount", "expected"), [
    ({"a": D("13.86"), "b": D("3.15")}, D("17.01"), [("a", D("13.86")), ("b", D("3.15"))]),   # the usual case
    ({"a": D("1.00"), "b": D("1.00"), "c": D("1.00")}, D("1.00"), [("a", D("0.34")), ("b", D("0.33")),
                                                                    ("c", D("0.33"))]),   # a tie: display order
    ({"a": D("10.00"), "b": D("0.00")}, D("8.65"), [("a", D("8.65"))]),
    ({"a": D("2.00"), "b": D("1.00")}, D("1.00"), [("a", D("0.67")), ("b", D("0.33"))]),   # largest remainder
    ({"a": D("0.00")}, D("5.00"), [("a", D("5.00"))]),
])
def test_the_parts_add_up_to_the_amount_in_cents(lefts, amount, expected):
    split = split_in_cents(lefts, amount)
    assert split == expected
    assert sum(part for _key, part in split) == amount


def test_each_wallet_is_due_its_lines_minus_what_settlements_covered_on_it(family, invoiced_wallets, two_wallets):
    canteen, care = invoiced_wallets["restauration"], invoiced_wallets["periscolaire"]
    assert invoice_left_per_wallet(two_wallets) == {canteen: D("13.86"), care: D("3.15")}
    # 5,00 € at the desk for the care: its 3,15 €, then 1,85 € of the canteen (the invoice's other wallet).
    payment_record(family=family, date=datetime.date(2026, 12, 2), mode="cash", amount=D("5.00"),
                   allocations=[(care, D("5.00"))])
    assert invoice_left_per_wallet(two_wallets) == {canteen: D("12.01"), care: D("0.00")}
    assert invoice_payment_split(two_wallets, D("12.01")) == [(canteen, D("12.01"))]


def test_a_wallet_whose_lines_are_negative_gets_nothing_and_the_others_share_the_amount(family, invoiced_wallets):
    canteen, care = invoiced_wallets["restauration"], invoiced_wallets["periscolaire"]
    consume(family, canteen, datetime.date(2026, 11, 2), price="10.00")
    consume(family, care, datetime.date(2026, 11, 3), label="Garderie Soir", price="-1.35")  # a past month corrected
    services.invoicing_run_finalise(run=services.invoicing_run_start(structure=family.structure, month=NOV))
    invoice = family.invoices.get()
    assert invoice_payment_split(invoice, invoice.total) == [(canteen, D("8.65"))]


# --- Paying it ---------------------------------------------------------------------------------

def test_payer_is_offered_and_the_attempt_plans_one_part_per_wallet(parent_client, family, invoiced_wallets,
                                                                    two_wallets):
    ProviderConfigFactory(structure=family.structure)
    assert f'action="{pay_url(two_wallets)}"' in parent_client.get(reverse("billing:invoices")).content.decode()
    fields = bank_form(parent_client.post(pay_url(two_wallets), {"montant": "1.00"}))
    attempt = PaymentAttempt.objects.get()
    assert fields["vads_amount"] == "1701"
    assert (attempt.amount, attempt.invoice, attempt.wallet) == (D("17.01"), two_wallets, invoiced_wallets["restauration"])
    assert [(w.name, a) for w, a in attempt.allocation_plan()] == [("Restauration", D("13.86")),
                                                                  ("Accueil Périscolaire", D("3.15"))]


def test_an_invoice_partly_paid_at_the_desk_leaves_only_the_remainder(client, parent_client, family, invoiced_wallets,
                                                                     two_wallets):
    provider = ProviderConfigFactory(structure=family.structure)
    canteen = invoiced_wallets["restauration"]
    payment_record(family=family, date=datetime.date(2026, 12, 2), mode="cheque", amount=D("13.86"),
                   allocations=[(canteen, D("13.86"))])
    before = balances(family)
    fields = bank_form(parent_client.post(pay_url(two_wallets)))
    assert fields["vads_amount"] == "315"
    assert notify(client, provider, systempay.notification_fields(fields)).status_code == 200
    online = PaymentAttempt.objects.get().payment
    assert parts(online) == [("Accueil Périscolaire", D("3.15"))]
    after = balances(family)
    assert (after["Restauration"] - before["Restauration"], after["Accueil Périscolaire"] - before["Accueil Périscolaire"]) \
        == (D("0.00"), D("3.15"))
    assert [(row.state, row.left) for row in invoice_rows([two_wallets])] == [(InvoiceState.PAID, D("0.00"))]


def test_another_familys_two_wallet_invoice_is_a_404(parent_client, family, invoiced_wallets, two_wallets):
    ProviderConfigFactory(structure=family.structure)
    stranger = other_family(family.structure)
    consume(stranger, invoiced_wallets["restauration"], datetime.date(2026, 12, 2), child=stranger.children.get())
    consume(stranger, invoiced_wallets["periscolaire"], datetime.date(2026, 12, 3), child=stranger.children.get(),
            label="Garderie Soir", price="0.45")
    services.invoicing_run_finalise(run=services.invoicing_run_start(structure=family.structure,
                                                                     month=datetime.date(2026, 12, 1)))
    assert parent_client.post(pay_url(stranger.invoices.get())).status_code == 404
    assert not PaymentAttempt.objects.exists()


def _simulator_pays(bank: SystempaySimulator, fields: dict[str, str]) -> dict[str, str]:
    """What a browser does on the simulator's page: post our form, click "Payer". The simulator
    notifies our live server; returns the signed fields it sends the browser back with."""
    def post(url, data):
        request = urllib.request.Request(url, data=urllib.parse.urlencode(data).encode(), method="POST")
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.read().decode()

    found = re.search(r'name="token" value="([^"]+)"', post(bank.url, fields))
    assert found, "the simulator refused our form"
    token = found.group(1)
    back = post(bank.url + "choice", {"token": token, "outcome": "paid"})
    return {html.unescape(name): html.unescape(value)
            for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', back)}


@pytest.mark.django_db(transaction=True)
def test_a_two_wallet_invoice_paid_on_the_simulator_makes_one_payment_in_two_parts(settings, live_server, parent,
                                                                                   family, invoiced_wallets,
                                                                                   two_wallets):
    settings.SITE_URL = live_server.url  # where the simulator notifies and sends the browser back
    parent_client = Client()
    parent_client.force_login(parent)
    with SystempaySimulator(auth_number="445402") as bank:
        provider = ProviderConfigFactory(structure=family.structure, service_url=bank.url)
        before = balances(family)
        fields = bank_form(parent_client.post(pay_url(two_wallets)))
        returned = _simulator_pays(bank, fields)
        assert [status for _signed, status in bank.notifications] == [200]
        attempt = PaymentAttempt.objects.get()
        for _ in range(5):  # the provider resends, the browser comes back with the same signed result
            assert notify(Client(), provider, bank.notifications[0][0]).status_code == 200
            assert Client().post(reverse("billing:online_return", args=[attempt.reference]), systempay.body(returned),
                                 content_type=FORM).status_code == 302

    payment = Payment.objects.get()
    assert (payment.amount, payment.mode, payment.piece_number) == (D("17.01"), "internet", "445402")
    assert parts(payment) == [("Accueil Périscolaire", D("3.15")), ("Restauration", D("13.86"))]
    assert sum(a.amount for a in payment.allocations.all()) == payment.amount
    after = balances(family)
    assert {name: after[name] - before[name] for name in after} == {"Restauration": D("13.86"),
                                                                    "Accueil Périscolaire": D("3.15")}
    assert list(InvoiceSettlement.objects.values_list("invoice", "payment", "amount", "chosen_online")) == [
        (two_wallets.pk, payment.pk, D("17.01"), True)]
    assert [(row.state, row.left) for row in invoice_rows([two_wallets])] == [(InvoiceState.PAID, D("0.00"))]
    assert PaymentAttempt.objects.get().events.filter(to_state="paid").count() == 1

    receipt = OutboxEmail.objects.get(kind=OutboxEmail.Kind.PAYMENT_RECEIPT)
    assert "Restauration : 13,86" in receipt.body_text and "Accueil Périscolaire : 3,15" in receipt.body_text
    assert two_wallets.number in receipt.body_text
    status = parent_client.get(reverse("billing:online_status", args=[attempt.reference])).content.decode()
    assert "Restauration : 13,86" in status and "Paiement accepté" in status
    history = parent_client.get(reverse("billing:payments")).content.decode()
    assert history.count("445402") == 1

    sheet = openpyxl.load_workbook(io.BytesIO(reconciliation_file(
        PaymentAttempt.objects.all(), day=None, file_format="xlsx", title="Paiements en ligne"))).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    header = next(i for i, row in enumerate(rows) if row[0] == "Date")
    line = rows[header + 1]
    assert (line[4], line[5]) == ("Restauration : 13,86\u00a0€ ; Accueil Périscolaire : 3,15\u00a0€", 17.01)
    assert rows[header + 2][0] == "TOTAL (€)" and rows[header + 2][5] == 17.01


@pytest.mark.django_db(transaction=True)
def test_the_return_racing_the_notification_still_makes_one_payment_in_two_parts(parent, family, invoiced_wallets,
                                                                                two_wallets):
    from billing.tests.payments.test_callbacks import _race

    provider = ProviderConfigFactory(structure=family.structure)
    parent_client = Client()
    parent_client.force_login(parent)
    paid = systempay.notification_fields(bank_form(parent_client.post(pay_url(two_wallets))))
    attempt = PaymentAttempt.objects.get()
    statuses = _race(lambda: notify(Client(), provider, paid).status_code,
                     lambda: Client().post(reverse("billing:online_return", args=[attempt.reference]),
                                           systempay.body(paid), content_type=FORM).status_code)
    assert statuses == [200, 302]
    assert parts(Payment.objects.get()) == [("Accueil Périscolaire", D("3.15")), ("Restauration", D("13.86"))]


def test_refunding_a_two_wallet_payment_takes_each_part_back_and_opens_the_invoice(client, parent_client, family,
                                                                                  invoiced_wallets, two_wallets):
    from billing.ledger.services import payment_correct

    provider = ProviderConfigFactory(structure=family.structure)
    before = balances(family)
    notify(client, provider, systempay.notification_fields(bank_form(parent_client.post(pay_url(two_wallets)))))
    payment_correct(payment=Payment.objects.get(), on_date=datetime.date(2026, 12, 5))
    assert balances(family) == before
    assert [(row.state, row.left) for row in invoice_rows([two_wallets], today=datetime.date(2026, 12, 10))] == [
        (InvoiceState.TO_PAY, D("17.01"))]
    assert invoice_payment_split(two_wallets, D("17.01")) == [(invoiced_wallets["restauration"], D("13.86")),
                                                              (invoiced_wallets["periscolaire"], D("3.15"))]
