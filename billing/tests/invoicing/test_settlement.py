"""Payments settle invoices oldest first (unless staff choose); the state follows from them."""
import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from billing.invoicing import services
from billing.invoicing.models import InvoiceSettlement
from billing.invoicing.selectors import InvoiceState, invoice_rows
from billing.invoicing.settlement import invoice_settle
from billing.ledger.services import payment_correct, payment_record
from billing.tests.invoicing.conftest import NOV, consume

pytestmark = pytest.mark.django_db
DEC = datetime.date(2026, 12, 1)


@pytest.fixture
def two_invoices(november, invoiced_wallets):
    """November (27,60 €, due 31/12/2026) and December (9,24 €, due 31/01/2027)."""
    run = services.invoicing_run_start(structure=november.structure, month=NOV)
    services.invoicing_run_finalise(run=run, on_date=DEC)
    consume(november, invoiced_wallets["restauration"], datetime.date(2026, 12, 3))
    consume(november, invoiced_wallets["restauration"], datetime.date(2026, 12, 4))
    december = services.invoicing_run_start(structure=november.structure, month=DEC)
    services.invoicing_run_finalise(run=december, on_date=datetime.date(2027, 1, 1))
    return list(november.invoices.order_by("issued_on"))


def pay(family, wallet, amount, day=datetime.date(2027, 1, 5)):
    return payment_record(family=family, date=day, mode="cheque", amount=Decimal(amount),
                          allocations=[(wallet, Decimal(amount))])


def states(invoices, today=datetime.date(2027, 1, 10)):
    return [(row.state, row.paid, row.left) for row in invoice_rows(invoices, today=today)]


def test_a_payment_settles_the_oldest_invoice_first_then_the_next(two_invoices, november, invoiced_wallets):
    assert states(two_invoices) == [(InvoiceState.LATE, 0, Decimal("27.60")), (InvoiceState.TO_PAY, 0, Decimal("9.24"))]
    pay(november, invoiced_wallets["restauration"], "30.00")
    assert states(two_invoices) == [(InvoiceState.PAID, Decimal("27.60"), 0),
                                    (InvoiceState.TO_PAY, Decimal("2.40"), Decimal("6.84"))]
    pay(november, invoiced_wallets["periscolaire"], "6.84")
    assert [state for state, _paid, _left in states(two_invoices)] == [InvoiceState.PAID, InvoiceState.PAID]


def test_money_on_a_prepaid_wallet_settles_no_invoice(two_invoices, november, invoiced_wallets):
    pay(november, invoiced_wallets["prepaid"], "50.00")
    assert not InvoiceSettlement.objects.exists()


def test_a_cancelled_payment_reopens_the_invoice(two_invoices, november, invoiced_wallets):
    payment = pay(november, invoiced_wallets["restauration"], "27.60")
    assert states(two_invoices)[0][0] == InvoiceState.PAID
    payment_correct(payment=payment)
    assert states(two_invoices)[0] == (InvoiceState.LATE, 0, Decimal("27.60"))


def test_staff_choose_which_invoice_a_payment_settles(two_invoices, november, invoiced_wallets):
    november_invoice, december_invoice = two_invoices
    payment = pay(november, invoiced_wallets["restauration"], "9.24")
    assert states(two_invoices)[0][1] == Decimal("9.24")  # by itself: the oldest
    invoice_settle(invoice=december_invoice, payment=payment, amount=Decimal("9.24"))
    assert states(two_invoices) == [(InvoiceState.LATE, 0, Decimal("27.60")), (InvoiceState.PAID, Decimal("9.24"), 0)]
    # A later payment goes to what is left, and staff's choice stays.
    pay(november, invoiced_wallets["restauration"], "27.60")
    assert [s for s, _p, _l in states(two_invoices)] == [InvoiceState.PAID, InvoiceState.PAID]
    with pytest.raises(ValidationError):
        invoice_settle(invoice=november_invoice, payment=payment, amount=Decimal("1.00"))  # nothing left on it


def test_cancelling_an_invoice_frees_its_payment_for_the_next(two_invoices, november, invoiced_wallets):
    november_invoice, _december_invoice = two_invoices
    pay(november, invoiced_wallets["restauration"], "27.60")
    services.invoice_cancel(invoice=november_invoice)
    assert states(two_invoices) == [(InvoiceState.CANCELLED, 0, 0), (InvoiceState.PAID, Decimal("9.24"), 0)]


def test_money_paid_before_the_invoice_settles_it_when_finalised(november, invoiced_wallets):
    pay(november, invoiced_wallets["restauration"], "100.00", day=datetime.date(2026, 11, 20))
    run = services.invoicing_run_start(structure=november.structure, month=NOV)
    services.invoicing_run_finalise(run=run, on_date=DEC)
    assert states(list(november.invoices.all()))[0][0] == InvoiceState.PAID
