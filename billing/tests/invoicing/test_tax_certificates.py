"""The tax certificate: what was paid in the year for eligible childcare of a child under 6."""
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from accounts.tests.factories import ChildFactory
from billing.invoicing import services
from billing.invoicing.models import TaxCertificate, TaxCreditRule
from billing.invoicing.tax_certificates import eligible_paid, tax_certificates_generate
from billing.ledger.services import payment_record
from billing.tests.invoicing.conftest import NOV, consume
from notifications.models import OutboxEmail

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_across_invoices(family, invoiced_wallets):
    """Emmy (born 2022) and her big brother Hugo (born 2019, 6 before 1 January 2026): November and
    December 2026 invoices, one payment split across both in 2026, the rest paid in January 2027."""
    emmy = family.children.get()
    emmy.birth_date = datetime.date(2022, 3, 4)
    emmy.save()
    hugo = ChildFactory(family=family, first_name="Hugo", last_name="GUIDE", birth_date=datetime.date(2019, 5, 6))
    TaxCreditRule.objects.create(structure=family.structure, activity_label="Garderie Soir", share_percent=100)
    TaxCreditRule.objects.create(structure=family.structure, activity_label="Restauration Scolaire", share_percent=0)
    w = invoiced_wallets
    # November: Emmy 10 × 0,45 garderie (eligible 4,50) + 2 meals 9,24; Hugo garderie 4,50 → total 18,24.
    consume(family, w["periscolaire"], datetime.date(2026, 11, 4), label="Garderie Soir", price="0.45", quantity="10", child=emmy)
    consume(family, w["restauration"], datetime.date(2026, 11, 5), quantity="2", child=emmy)
    consume(family, w["periscolaire"], datetime.date(2026, 11, 4), label="Garderie Soir", price="0.45", quantity="10", child=hugo)
    run = services.invoicing_run_start(structure=family.structure, month=NOV)
    services.invoicing_run_finalise(run=run, on_date=datetime.date(2026, 12, 1))
    # December: Emmy 20 × 0,45 = 9,00 eligible → total 9,00.
    consume(family, w["periscolaire"], datetime.date(2026, 12, 2), label="Garderie Soir", price="0.45", quantity="20", child=emmy)
    december = services.invoicing_run_start(structure=family.structure, month=datetime.date(2026, 12, 1))
    services.invoicing_run_finalise(run=december, on_date=datetime.date(2026, 12, 20))
    # 22,74 on 28/12/2026: November in full (18,24) and 4,50 of December; the last 4,50 in 2027.
    payment_record(family=family, date=datetime.date(2026, 12, 28), mode="cheque", amount=Decimal("22.74"),
                   allocations=[(w["periscolaire"], Decimal("22.74"))])
    payment_record(family=family, date=datetime.date(2027, 1, 8), mode="cheque", amount=Decimal("4.50"),
                   allocations=[(w["periscolaire"], Decimal("4.50"))])
    return family, emmy, hugo


def test_a_payment_split_across_invoices_counts_its_eligible_part_of_each_in_its_year(paid_across_invoices):
    family, emmy, hugo = paid_across_invoices
    paid = eligible_paid(structure_id=family.structure_id, year=2026)
    # November paid in full: Emmy's eligible 4,50 (her meals excluded); December: 4,50 of 9,00, all eligible.
    assert round(paid[emmy.pk], 2) == Decimal("9.00")
    assert round(paid[hugo.pk], 2) == Decimal("4.50")
    assert round(eligible_paid(structure_id=family.structure_id, year=2027)[emmy.pk], 2) == Decimal("4.50")
    certificates = tax_certificates_generate(structure=family.structure, year=2026)
    # Hugo was 6 before 1 January 2026: no certificate for him.
    assert [(c.child_id, c.number, c.amount) for c in certificates] == [(emmy.pk, "AF2026-00001", Decimal("9.00"))]
    assert tax_certificates_generate(structure=family.structure, year=2026) == []  # numbered once


def test_the_parent_downloads_the_numbered_pdf_and_staff_send_them_in_bulk(paid_across_invoices, parent_client,
                                                                           django_capture_on_commit_callbacks):
    family, _emmy, _hugo = paid_across_invoices
    (certificate,) = tax_certificates_generate(structure=family.structure, year=2026, send=True)
    email = OutboxEmail.objects.get(kind=OutboxEmail.Kind.TAX_CERTIFICATE)
    assert email.family == family and "AF2026-00001" in email.body_text
    assert reverse("billing:tax_certificate_pdf", args=[certificate.pk]) in email.body_text
    page = parent_client.get(reverse("billing:invoices")).content.decode()
    assert "AF2026-00001" in page
    response = parent_client.get(reverse("billing:tax_certificate_pdf", args=[certificate.pk]))
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    for expected in ("Attestation fiscale de frais de garde 2026", "AF2026-00001", "GUIDE Emmy", "04/03/2022", "9,00"):
        assert expected in text, expected


def test_another_familys_certificate_is_a_404(paid_across_invoices, client):
    from accounts.tests.factories import TEST_PASSWORD, FamilyFactory, UserFactory

    family, _emmy, _hugo = paid_across_invoices
    (certificate,) = tax_certificates_generate(structure=family.structure, year=2026)
    stranger = UserFactory(username="voisin")
    FamilyFactory(structure=family.structure, users=[stranger])
    assert client.login(username="voisin", password=TEST_PASSWORD)
    assert client.get(reverse("billing:tax_certificate_pdf", args=[certificate.pk])).status_code == 404
    assert TaxCertificate.objects.count() == 1


def test_beat_numbers_last_years_certificates_on_2_january(paid_across_invoices, time_machine):
    from billing.invoicing.tasks import tax_certificates_of_last_year

    time_machine.move_to(datetime.datetime(2027, 1, 2, 4, tzinfo=datetime.UTC))
    assert tax_certificates_of_last_year() == 1
    assert tax_certificates_of_last_year() == 0
    assert not OutboxEmail.objects.filter(kind=OutboxEmail.Kind.TAX_CERTIFICATE).exists()  # staff send them


def test_staff_make_and_send_the_certificates_from_the_admin(paid_across_invoices, client, time_machine):
    from accounts.services import staff_user_enrol
    from accounts.tests.factories import TEST_PASSWORD, StaffMembershipFactory
    from billing.invoicing.models import InvoicingSettings

    family, _emmy, _hugo = paid_across_invoices
    time_machine.move_to(datetime.datetime(2027, 1, 10, 9, tzinfo=datetime.UTC))
    membership = StaffMembershipFactory(structure=family.structure)
    staff_user_enrol(user=membership.user)
    assert client.login(username=membership.user.username, password=TEST_PASSWORD)
    row = InvoicingSettings.objects.create(structure=family.structure)
    client.post(reverse("admin:billing_invoicingsettings_changelist"),
                {"action": "send_tax_certificates", "_selected_action": [row.pk]})
    assert TaxCertificate.objects.get().number == "AF2026-00001"
    assert OutboxEmail.objects.filter(kind=OutboxEmail.Kind.TAX_CERTIFICATE, family=family).count() == 1
