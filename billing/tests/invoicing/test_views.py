"""Mes factures: the family's invoices, states, PDFs read back; anyone else's is a 404."""
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from billing.invoicing import paying, services
from billing.invoicing.models import InvoicingSettings, TaxCreditRule
from billing.ledger.services import payment_record
from billing.tests.invoicing.conftest import NOV, consume, other_family

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(november):
    InvoicingSettings.objects.create(structure=november.structure, legal_name="Régie Enfance", siret="21330063500017",
                                     payment_instructions="Chèque à l'ordre du Trésor public, en mairie.")
    TaxCreditRule.objects.create(structure=november.structure, activity_label="Garderie Soir", share_percent=100)
    run = services.invoicing_run_start(structure=november.structure, month=NOV)
    services.invoicing_run_finalise(run=run, on_date=datetime.date(2026, 12, 1))
    return november.invoices.get()


def pdf_text(response) -> str:
    assert response["Content-Type"] == "application/pdf"
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


def test_the_invoice_pdf_says_who_what_how_much_until_when_and_the_tax_credit_share(parent_client, issued):
    text = pdf_text(parent_client.get(reverse("billing:invoice_pdf", args=[issued.pk])))
    for expected in ("Facture F2026-000001", "Régie Enfance", "SIRET 21330063500017", "GUIDE DENIS", "GUIDE Emmy",
                     "GUIDE Noé", "Garderie Soir", "du 04/11/2026 au 18/11/2026", "27,60", "À payer avant le 31/12/2026",
                     "Chèque à l'ordre du Trésor public", "Part éligible au crédit d'impôt", "4,50"):
        assert expected in text, expected
    assert "En ligne" not in text  # no online payment registered


@pytest.fixture
def dec10(time_machine):
    time_machine.move_to(datetime.datetime(2026, 12, 10, 9, tzinfo=datetime.UTC))


def test_mes_factures_lists_number_month_amount_due_date_state_and_pdf(dec10, parent_client, issued, invoiced_wallets):
    page = parent_client.get(reverse("billing:invoices")).content.decode()
    for expected in ("F2026-000001", "Novembre 2026", "27,60", "31/12/2026", "À payer",
                     reverse("billing:invoice_pdf", args=[issued.pk])):
        assert expected in page, expected
    assert "Payer<span" not in page  # no online payment provider for this structure
    payment_record(family=issued.family, date=datetime.date(2026, 12, 9), mode="cash", amount=Decimal("27.60"),
                   allocations=[(invoiced_wallets["restauration"], Decimal("27.60"))])
    assert "Payée" in parent_client.get(reverse("billing:invoices")).content.decode()


def test_an_open_invoice_offers_payer_when_the_online_payment_registers(parent_client, issued, monkeypatch):
    monkeypatch.setattr(paying, "_providers", [lambda invoice, amount: f"/paiement/{invoice.pk}/?montant={amount}"])
    page = parent_client.get(reverse("billing:invoices")).content.decode()
    assert f"/paiement/{issued.pk}/?montant=27.60" in page
    assert "En ligne" in pdf_text(parent_client.get(reverse("billing:invoice_pdf", args=[issued.pk])))


def test_another_familys_invoice_pdf_is_a_404_and_not_listed(parent_client, issued, invoiced_wallets):
    stranger = other_family(issued.structure, payer_name="FAMILLE SECRETE")
    consume(stranger, invoiced_wallets["restauration"], datetime.date(2026, 12, 2), child=stranger.children.get())
    run = services.invoicing_run_start(structure=issued.structure, month=datetime.date(2026, 12, 1))
    theirs = run.invoices.get()
    assert parent_client.get(reverse("billing:invoice_pdf", args=[theirs.pk])).status_code == 404  # a draft
    services.invoicing_run_finalise(run=run)
    theirs.refresh_from_db()
    assert parent_client.get(reverse("billing:invoice_pdf", args=[theirs.pk])).status_code == 404
    assert theirs.number not in parent_client.get(reverse("billing:invoices")).content.decode()
    assert parent_client.get(reverse("billing:invoice_pdf", args=[999999])).status_code == 404


def test_a_visitor_is_sent_to_the_login(client, issued):
    response = client.get(reverse("billing:invoices"))
    assert response.status_code == 302 and "connexion" in response["Location"]


def test_payer_goes_to_the_online_payment_of_the_invoice_when_the_structure_has_one(parent_client, family,
                                                                                   invoiced_wallets):
    from billing.tests.payments.factories import ProviderConfigFactory

    consume(family, invoiced_wallets["restauration"], datetime.date(2026, 11, 3))
    run = services.invoicing_run_start(structure=family.structure, month=NOV)
    services.invoicing_run_finalise(run=run, on_date=datetime.date(2026, 12, 1))
    assert "Payer<span" not in parent_client.get(reverse("billing:invoices")).content.decode()
    ProviderConfigFactory(structure=family.structure)
    page = parent_client.get(reverse("billing:invoices")).content.decode()
    invoice = run.invoices.get()
    target = reverse("billing:online_pay_invoice", args=[invoice.pk])
    assert f'action="{target}"' in page and "Payer<span" in page
    assert "En ligne" in pdf_text(parent_client.get(reverse("billing:invoice_pdf", args=[invoice.pk])))
