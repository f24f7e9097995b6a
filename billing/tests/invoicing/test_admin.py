"""Staff start a month, review the drafts, finalise, cancel by a credit note; nothing is edited."""
import datetime

import pytest
from django.urls import reverse

from accounts.services import staff_user_enrol
from accounts.tests.factories import TEST_PASSWORD, StaffMembershipFactory
from billing.invoicing.models import CreditNote, Invoice, InvoicingRun
from billing.tests.invoicing.conftest import consume

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, family):
    membership = StaffMembershipFactory(structure=family.structure)
    staff_user_enrol(user=membership.user)
    assert client.login(username=membership.user.username, password=TEST_PASSWORD)
    return client


@pytest.fixture
def december(time_machine):
    time_machine.move_to(datetime.datetime(2026, 12, 2, 9, 0, tzinfo=datetime.UTC))


def test_staff_invoice_november_review_then_finalise(december, staff_client, november, invoiced_wallets):
    add = reverse("admin:billing_invoicingrun_add")
    page = staff_client.get(add).content.decode()
    assert "Novembre 2026" in page
    response = staff_client.post(add, {"structure": november.structure.pk, "month": "2026-11-01"}, follow=True)
    assert response.status_code == 200
    assert "1 brouillon de facture calculé" in response.content.decode()
    run = InvoicingRun.objects.get()
    consume(november, invoiced_wallets["restauration"], datetime.date(2026, 11, 30), label="Repas tardif")
    review = staff_client.get(reverse("admin:billing_invoicingrun_change", args=[run.pk])).content.decode()
    assert "Garderie Soir" in review and "4,50" in review and "27,60" in review
    assert "Repas tardif" in review  # a line posted after the drafts
    changelist = reverse("admin:billing_invoicingrun_changelist")
    staff_client.post(changelist, {"action": "recompute_drafts", "_selected_action": [run.pk]})
    assert Invoice.objects.get().total.to_eng_string() == "32.22"
    staff_client.post(changelist, {"action": "finalise", "_selected_action": [run.pk]})
    invoice = Invoice.objects.get()
    assert invoice.number == "F2026-000001" and invoice.issued_on == datetime.date(2026, 12, 2)
    # A second start of the same month is refused by the form (one run per structure and month).
    again = staff_client.post(add, {"structure": november.structure.pk, "month": "2026-11-01"})
    assert again.status_code == 200 and InvoicingRun.objects.count() == 1


def test_invoices_are_read_only_and_cancelled_by_a_credit_note(december, staff_client, november):
    from billing.invoicing import services

    run = services.invoicing_run_start(structure=november.structure, month=datetime.date(2026, 11, 1))
    services.invoicing_run_finalise(run=run)
    invoice = Invoice.objects.get()
    change = reverse("admin:billing_invoice_change", args=[invoice.pk])
    page = staff_client.get(change)
    assert page.status_code == 200 and "F2026-000001" in page.content.decode()
    assert staff_client.post(change, {"total": "1.00"}).status_code == 403
    assert staff_client.post(reverse("admin:billing_invoice_delete", args=[invoice.pk]), {"post": "yes"}).status_code == 403
    changelist = reverse("admin:billing_invoice_changelist")
    assert "delete_selected" not in staff_client.get(changelist).content.decode()
    staff_client.post(changelist, {"action": "cancel_with_credit_note", "_selected_action": [invoice.pk]})
    assert CreditNote.objects.get().number == "A2026-000001"
    assert Invoice.objects.get().total.to_eng_string() == "27.60"


def test_staff_choose_the_invoice_a_payment_settles(december, staff_client, november, invoiced_wallets):
    from decimal import Decimal

    from billing.invoicing import services
    from billing.invoicing.models import InvoiceSettlement
    from billing.ledger.services import payment_record

    run = services.invoicing_run_start(structure=november.structure, month=datetime.date(2026, 11, 1))
    services.invoicing_run_finalise(run=run)
    invoice = Invoice.objects.get()
    payment = payment_record(family=november, date=datetime.date(2026, 12, 2), mode="cash", amount=Decimal("10.00"),
                             allocations=[(invoiced_wallets["restauration"], Decimal("10.00"))])
    add = reverse("admin:billing_invoicesettlement_add")
    refused = staff_client.post(add, {"invoice": invoice.pk, "payment": payment.pk, "amount": "12.00"})
    assert refused.status_code == 200 and "disponibles" in refused.content.decode()
    ok = staff_client.post(add, {"invoice": invoice.pk, "payment": payment.pk, "amount": "6.00"})
    assert ok.status_code == 302
    # The rest of the payment, left to the oldest-first rule, also goes to that invoice (the only one).
    assert list(InvoiceSettlement.objects.values_list("amount", "chosen_by_staff")) == [(Decimal("10.00"), True)]
