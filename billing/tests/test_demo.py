import datetime
import io
from decimal import Decimal

import pytest
import time_machine

import accounts.demo
import billing.demo
import portal.demo
from accounts.models import Family
from billing.ledger.balance import balance_summary
from billing.ledger.history import Month, Period, allowed_months, consumption_lines, payment_lines
from billing.models import Consumption, Payment, PaymentAllocation

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 11, 16, 9, 0, tzinfo=datetime.UTC)


def seed():
    out = io.StringIO()
    for module in (portal.demo, accounts.demo, billing.demo):
        module.seed(stdout=out)


@time_machine.travel(NOW, tick=False)
def test_demo_reproduces_the_guides_screens_and_is_idempotent():
    seed()
    counts = (Consumption.objects.count(), Payment.objects.count(), PaymentAllocation.objects.count())
    seed()
    assert (Consumption.objects.count(), Payment.objects.count(), PaymentAllocation.objects.count()) == counts

    guide = Family.objects.get(number="000123")
    summary = balance_summary(family=guide, until=datetime.date(2026, 11, 30))
    assert [(row.wallet.name, row.balance) for row in summary.wallets] == [
        ("Accueil de Loisirs", Decimal("0.00")), ("Accueil Périscolaire", Decimal("-13.53")), ("Restauration", Decimal("-71.60")),
        ("Études surveillées", Decimal("-23.24"))]  # the invoice to pay (billing.invoicing.demo)
    assert summary.amount_due == Decimal("108.37")

    january = consumption_lines(family=guide, month=Month(2017, 1))
    assert january.total == Decimal("152.07")
    seed_rows = [(line.day.day, line.activity_label, line.unit_price, line.quantity, line.total) for line in january.lines[:4]]
    assert (31, "Garderie Soir Scolaire", Decimal("0.45"), Decimal("7"), Decimal("3.15")) in seed_rows
    assert [p.piece_number for p in payment_lines(family=guide,
                                                  period=Period.single(Month(2017, 1))).lines] == ["3150-N°AUTO:445401"]
    assert [p.amount for p in payment_lines(family=guide, period=Period.single(Month(2017, 2))).lines] == [Decimal("50.00")]

    # January 2017 is reachable, and the current and previous months have lines and a payment.
    assert Month(2017, 1) in allowed_months(guide.structure)
    for month in (Month(2026, 11), Month(2026, 10)):
        assert consumption_lines(family=guide, month=month).lines
        assert payment_lines(family=guide, period=Period.single(month)).total == consumption_lines(family=guide,
                                                                                                   month=month).total


def test_a_later_run_adds_the_new_days_and_keeps_the_guides_balances():
    with time_machine.travel(NOW, tick=False):
        seed()
    with time_machine.travel(NOW + datetime.timedelta(days=3), tick=False):
        seed()
    guide = Family.objects.get(number="000123")
    assert balance_summary(family=guide, until=datetime.date(2026, 11, 30)).amount_due == Decimal("108.37")


@time_machine.travel(NOW, tick=False)
def test_the_guide_family_has_two_finalised_invoices_one_paid_one_due():
    from billing.invoicing.models import Invoice
    from billing.invoicing.selectors import invoice_rows

    seed()
    seed()
    guide = Family.objects.get(number="000123")
    invoices = list(Invoice.objects.filter(family=guide, status=Invoice.Status.FINALISED).order_by("issued_on"))
    assert [(i.month, i.number, i.total) for i in invoices] == [
        (datetime.date(2026, 9, 1), "F2026-000001", Decimal("23.24")), (datetime.date(2026, 10, 1), "F2026-000002",
                                                                       Decimal("23.24"))]
    assert [row.state for row in invoice_rows(invoices)] == ["paid", "to_pay"]
