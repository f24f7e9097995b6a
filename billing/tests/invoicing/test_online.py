"""A parent pays one given invoice online (issue 13): the amount is what is left on that invoice,
computed by the server; once the provider's signed notification says paid, the Payment settles
that invoice (not the oldest one), once, however often the notification comes."""
import datetime
import html
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from billing.invoicing import services
from billing.invoicing.models import InvoiceSettlement
from billing.invoicing.selectors import InvoiceState, invoice_rows
from billing.invoicing.settlement import invoice_settle
from billing.ledger.balance import wallet_balances
from billing.ledger.services import payment_correct, payment_record
from billing.models import Payment, PaymentAttempt
from billing.tests.invoicing.conftest import NOV, consume, other_family
from billing.tests.invoicing.test_views import pdf_text
from billing.tests.payments import systempay
from billing.tests.payments.factories import ProviderConfigFactory

pytestmark = pytest.mark.django_db
OCT = datetime.date(2026, 10, 1)
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def provider(family):
    return ProviderConfigFactory(structure=family.structure)


@pytest.fixture
def canteen(invoiced_wallets):
    return invoiced_wallets["restauration"]


@pytest.fixture
def october_and_november(family, canteen):
    """October's invoice (9,24 €, the older) and November's (13,86 €), both of the canteen, both open."""
    for day in (5, 6):
        consume(family, canteen, datetime.date(2026, 10, day))
    services.invoicing_run_finalise(run=services.invoicing_run_start(structure=family.structure, month=OCT),
                                    on_date=NOV)
    for day in (2, 3, 5):
        consume(family, canteen, datetime.date(2026, 11, day))
    services.invoicing_run_finalise(run=services.invoicing_run_start(structure=family.structure, month=NOV),
                                    on_date=datetime.date(2026, 12, 1))
    october, november = family.invoices.order_by("issued_on")
    assert (october.total, november.total) == (Decimal("9.24"), Decimal("13.86"))
    return october, november


def pay_url(invoice):
    return reverse("billing:online_pay_invoice", args=[invoice.pk])


def bank_form(response) -> dict[str, str]:
    """The hidden fields of the form the redirect page posts to Systempay."""
    assert response.status_code == 200, response.content.decode()
    return {name: html.unescape(value) for name, value in
            re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', response.content.decode())}


def notify(client, provider, fields):
    return client.post(reverse("billing:online_notification", args=[provider.pk]), systempay.body(fields),
                       content_type=FORM)


def left_to_pay(*invoices):
    return [(row.state, row.left) for row in invoice_rows(list(invoices), today=datetime.date(2026, 12, 10))]


def test_the_amount_is_what_is_left_on_that_invoice_whatever_the_form_says(parent_client, family, canteen, provider,
                                                                           october_and_november):
    november = october_and_november[1]
    desk = payment_record(family=family, date=datetime.date(2026, 12, 2), mode="cash", amount=Decimal("4.00"),
                          allocations=[(canteen, Decimal("4.00"))])
    invoice_settle(invoice=november, payment=desk, amount=Decimal("4.00"))
    fields = bank_form(parent_client.post(pay_url(november), {"montant": "1.00", "amount": "1", "vads_amount": "100"}))
    attempt = PaymentAttempt.objects.get()
    assert (attempt.amount, attempt.purpose, attempt.invoice, attempt.wallet) == (Decimal("9.86"), "invoice", november,
                                                                                  canteen)
    assert fields["vads_amount"] == "986"


def test_a_paid_notification_settles_that_invoice_while_the_older_one_stays_open(client, parent_client, family,
                                                                                provider, october_and_november):
    october, november = october_and_november
    fields = bank_form(parent_client.post(pay_url(november)))
    assert fields["vads_amount"] == "1386"
    paid = systempay.notification_fields(fields, auth_number="445401")
    for _ in range(5):  # the provider resends; the browser's return brings the same signed result
        assert notify(client, provider, paid).status_code == 200
    attempt = PaymentAttempt.objects.get()
    assert client.post(reverse("billing:online_return", args=[attempt.reference]), systempay.body(paid),
                       content_type=FORM).status_code == 302
    payment = Payment.objects.get()
    assert (payment.amount, payment.mode, payment.piece_number) == (Decimal("13.86"), "internet", "445401")
    assert list(InvoiceSettlement.objects.values_list("invoice", "payment", "amount", "chosen_online")) == [
        (november.pk, payment.pk, Decimal("13.86"), True)]
    assert left_to_pay(october, november) == [(InvoiceState.LATE, Decimal("9.24")), (InvoiceState.PAID, 0)]
    status = parent_client.get(reverse("billing:online_status", args=[attempt.reference])).content.decode()
    assert november.number in status and "Paiement accepté" in status


def test_the_invoice_stays_settled_by_the_online_payment_when_later_payments_come(parent_client, client, family,
                                                                                  canteen, provider,
                                                                                  october_and_november):
    october, november = october_and_november
    notify(client, provider, systempay.notification_fields(bank_form(parent_client.post(pay_url(november)))))
    payment_record(family=family, date=datetime.date(2026, 12, 20), mode="cheque", amount=Decimal("9.24"),
                   allocations=[(canteen, Decimal("9.24"))])
    assert left_to_pay(october, november) == [(InvoiceState.PAID, 0), (InvoiceState.PAID, 0)]
    online = PaymentAttempt.objects.get().payment
    assert list(InvoiceSettlement.objects.filter(payment=online).values_list("invoice", "chosen_online")) == [
        (november.pk, True)]


def test_an_invoice_paid_meanwhile_at_the_desk_leaves_the_online_money_a_credit_settled_oldest_first(
        parent_client, client, family, canteen, provider, october_and_november):
    october, november = october_and_november
    fields = bank_form(parent_client.post(pay_url(november)))
    desk = payment_record(family=family, date=datetime.date(2026, 12, 2), mode="cheque", amount=Decimal("13.86"),
                          allocations=[(canteen, Decimal("13.86"))])
    invoice_settle(invoice=november, payment=desk, amount=Decimal("13.86"))
    assert notify(client, provider, systempay.notification_fields(fields)).status_code == 200
    online = PaymentAttempt.objects.get().payment
    assert online.amount == Decimal("13.86")
    assert not InvoiceSettlement.objects.filter(chosen_online=True).exists()
    assert list(InvoiceSettlement.objects.filter(payment=online).values_list("invoice", "amount")) == [
        (october.pk, Decimal("9.24"))]
    assert left_to_pay(october, november) == [(InvoiceState.PAID, 0), (InvoiceState.PAID, 0)]
    (balance,) = [row.balance for row in wallet_balances(family=family) if row.wallet == canteen]
    assert balance == Decimal("4.62")  # 27,72 paid − 23,10 consumed: nothing lost


def test_another_familys_invoice_or_a_draft_is_a_404_and_a_get_starts_nothing(parent_client, family, canteen,
                                                                              provider, october_and_november):
    stranger = other_family(family.structure)
    consume(stranger, canteen, datetime.date(2026, 12, 2), child=stranger.children.get())
    consume(family, canteen, datetime.date(2026, 12, 2))
    run = services.invoicing_run_start(structure=family.structure, month=datetime.date(2026, 12, 1))
    draft = family.invoices.get(run=run)
    theirs = stranger.invoices.get()
    assert parent_client.post(pay_url(draft)).status_code == 404
    services.invoicing_run_finalise(run=run)
    assert parent_client.post(pay_url(theirs)).status_code == 404
    assert parent_client.post(reverse("billing:online_pay_invoice", args=[999999])).status_code == 404
    assert parent_client.get(pay_url(october_and_november[1])).status_code == 405
    assert not PaymentAttempt.objects.exists()


def test_a_paid_or_cancelled_invoice_has_no_payer_and_cannot_be_paid_online(parent_client, family, canteen, provider,
                                                                           october_and_november):
    october, november = october_and_november
    payment_record(family=family, date=datetime.date(2026, 12, 2), mode="cash", amount=Decimal("9.24"),
                   allocations=[(canteen, Decimal("9.24"))])
    page = parent_client.get(reverse("billing:invoices")).content.decode()
    assert f'action="{pay_url(november)}"' in page and f'action="{pay_url(october)}"' not in page
    response = parent_client.post(pay_url(october))
    assert response.status_code == 400 and "Cette facture est déjà payée." in response.content.decode()
    assert "En ligne" not in pdf_text(parent_client.get(reverse("billing:invoice_pdf", args=[october.pk])))
    assert "En ligne" in pdf_text(parent_client.get(reverse("billing:invoice_pdf", args=[november.pk])))
    services.invoice_cancel(invoice=november, reason="erreur")
    response = parent_client.post(pay_url(november))
    assert response.status_code == 400 and "annulée par un avoir" in response.content.decode()
    assert f'action="{pay_url(november)}"' not in parent_client.get(reverse("billing:invoices")).content.decode()
    assert not PaymentAttempt.objects.exists()


def test_without_a_provider_no_payer_and_a_polite_400(parent_client, october_and_november):
    november = october_and_november[1]
    assert "Payer<span" not in parent_client.get(reverse("billing:invoices")).content.decode()
    response = parent_client.post(pay_url(november))
    assert response.status_code == 400 and "pas proposé par votre structure" in response.content.decode()


# --- A refund of a payment made online (its opposite line) ------------------------------------

def test_refunding_an_invoice_paid_online_opens_it_again_for_what_the_refund_took_back(
        client, parent_client, family, canteen, provider, october_and_november):
    october, november = october_and_november
    notify(client, provider, systempay.notification_fields(bank_form(parent_client.post(pay_url(november)))))
    online = PaymentAttempt.objects.get().payment
    assert left_to_pay(october, november) == [(InvoiceState.LATE, Decimal("9.24")), (InvoiceState.PAID, 0)]
    payment_correct(payment=online, on_date=datetime.date(2026, 12, 5), note="Remboursement")
    assert not InvoiceSettlement.objects.exists()
    assert left_to_pay(october, november) == [(InvoiceState.LATE, Decimal("9.24")),
                                              (InvoiceState.TO_PAY, Decimal("13.86"))]
    assert f'action="{pay_url(november)}"' in parent_client.get(reverse("billing:invoices")).content.decode()
    (balance,) = [row.balance for row in wallet_balances(family=family) if row.wallet == canteen]
    assert balance == Decimal("-23.10")  # both months owed again, as before the payment
    assert PaymentAttempt.objects.get().state == "paid"  # the attempt was paid: the refund is a ledger line


def test_a_refund_takes_back_only_the_online_part_the_desk_payment_still_settles_its_share(
        client, parent_client, family, canteen, provider, october_and_november):
    october, november = october_and_november
    desk = payment_record(family=family, date=datetime.date(2026, 12, 2), mode="cash", amount=Decimal("4.00"),
                          allocations=[(canteen, Decimal("4.00"))])
    invoice_settle(invoice=november, payment=desk, amount=Decimal("4.00"))
    notify(client, provider, systempay.notification_fields(bank_form(parent_client.post(pay_url(november)))))
    cheque = payment_record(family=family, date=datetime.date(2026, 12, 6), mode="cheque", amount=Decimal("12.00"),
                            allocations=[(canteen, Decimal("12.00"))])
    assert left_to_pay(october, november) == [(InvoiceState.PAID, 0), (InvoiceState.PAID, 0)]  # the cheque: October
    payment_correct(payment=PaymentAttempt.objects.get().payment, on_date=datetime.date(2026, 12, 7))
    # October keeps the cheque's 9,24 €; November keeps the desk's 4,00 € and the cheque's last 2,76 €.
    assert left_to_pay(october, november) == [(InvoiceState.PAID, 0), (InvoiceState.TO_PAY, Decimal("7.10"))]
    assert set(InvoiceSettlement.objects.values_list("invoice", "payment", "amount", "chosen_by_staff")) == {
        (october.pk, cheque.pk, Decimal("9.24"), False), (november.pk, desk.pk, Decimal("4.00"), True),
        (november.pk, cheque.pk, Decimal("2.76"), False)}
