"""Direct debit: mandates with checked IBANs, the pain.008 file validated against the ISO 20022
XSD, its figures, dates and sequences, and a returned debit reopening the invoice."""
import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from lxml import etree

from billing.invoicing import sepa, services
from billing.invoicing.models import InvoicingSettings
from billing.invoicing.selectors import InvoiceState, invoice_rows
from billing.invoicing.sepa_models import DirectDebitTransaction, Mandate
from billing.models import Payment
from billing.tests.invoicing.conftest import NOV, consume, other_family
from notifications.models import OutboxEmail

pytestmark = pytest.mark.django_db

IBAN = "FR76 3000 6000 0112 3456 7890 189"
IBAN_2 = "DE89 3704 0044 0532 0130 00"
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"}


@pytest.fixture
def creditor(family):
    return InvoicingSettings.objects.create(structure=family.structure, legal_name="Régie Enfance",
                                            creditor_name="REGIE ENFANCE CARTEVILLE", creditor_identifier="FR72ZZZ123456",
                                            creditor_iban="FR1420041010050500013M02606", creditor_bic="PSSTFRPPPAR",
                                            payment_days=10)


def active(family, iban=IBAN, holder="GUIDE DENIS"):
    return sepa.mandate_validate(mandate=sepa.mandate_request(family=family, holder_name=holder, iban=iban,
                                                              signed_on=datetime.date(2026, 10, 1)))


@pytest.fixture
def invoices(november, invoiced_wallets, creditor):
    """November for GUIDE (27,60 €) and for a second family (4,62 €), issued 1/12, due 11/12/2026."""
    second = other_family(november.structure, number="000900", payer_name="MARTIN Claire")
    consume(second, invoiced_wallets["restauration"], datetime.date(2026, 11, 3), child=second.children.get())
    run = services.invoicing_run_start(structure=november.structure, month=NOV)
    services.invoicing_run_finalise(run=run, on_date=datetime.date(2026, 12, 1))
    return november, second


@pytest.mark.parametrize("value", ["FR76 3000 6000 0112 3456 7890 189", "fr7630006000011234567890189", IBAN_2])
def test_valid_ibans_are_kept_compact_with_their_bic(family, value):
    mandate = sepa.mandate_request(family=family, holder_name="GUIDE DENIS", iban=value)
    assert mandate.iban == value.replace(" ", "").upper() and mandate.status == Mandate.Status.REQUESTED
    assert mandate.reference.endswith("-001")


@pytest.mark.parametrize("value", ["FR76 3000 6000 0112 3456 7890 188", "FR76", "XX00 1234", "DE89 3704 0044 0532 0130 01"])
def test_invalid_ibans_are_refused_in_french(family, value):
    with pytest.raises(ValidationError) as error:
        sepa.mandate_request(family=family, holder_name="GUIDE DENIS", iban=value)
    assert "IBAN n'est pas valide" in str(error.value)
    assert not Mandate.objects.exists()


def test_the_creditor_identifier_iban_and_bic_of_the_structure_are_checked(family):
    row = InvoicingSettings(structure=family.structure, creditor_identifier="FR72ZZZ123457", creditor_iban="FR14",
                            creditor_bic="PSST")
    with pytest.raises(ValidationError) as error:
        row.full_clean()
    assert set(error.value.message_dict) == {"creditor_identifier", "creditor_iban", "creditor_bic"}
    row.creditor_identifier, row.creditor_iban, row.creditor_bic = "FR72ZZZ123456", "FR1420041010050500013M02606", "PSSTFRPPPAR"
    row.full_clean()


def test_a_requested_mandate_is_not_used_before_staff_validate_it(invoices):
    guide, _second = invoices
    sepa.mandate_request(family=guide, holder_name="GUIDE DENIS", iban=IBAN)
    with pytest.raises(sepa.DebitError):
        sepa.debit_batch_create(structure=guide.structure, due_until=datetime.date(2026, 12, 31),
                                today=datetime.date(2026, 12, 14))


def test_the_debit_file_is_valid_iso_20022_with_the_selections_count_sum_dates_and_sequences(invoices):
    guide, second = invoices
    active(guide)
    active(second, iban=IBAN_2, holder="MARTIN Claire")
    # Friday 24 December 2026: the next TARGET business day is Monday 28 (25 and 26 are TARGET holidays).
    batch = sepa.debit_batch_create(structure=guide.structure, due_until=datetime.date(2026, 12, 31),
                                    today=datetime.date(2026, 12, 24))
    xml = batch.xml.encode()
    schema = etree.XMLSchema(etree.parse(str(sepa.XSD_PATH)))
    document = etree.fromstring(xml)
    schema.assertValid(document)  # the ISO 20022 schema itself, not only the library's check
    assert document.findtext("p:CstmrDrctDbtInitn/p:GrpHdr/p:NbOfTxs", namespaces=NS) == "2"
    assert document.findtext("p:CstmrDrctDbtInitn/p:GrpHdr/p:CtrlSum", namespaces=NS) == "32.22"
    assert (batch.transaction_count, batch.control_sum) == (2, Decimal("32.22"))
    dates = {d.text for d in document.iterfind(".//p:ReqdColltnDt", namespaces=NS)}
    assert dates == {"2026-12-28"} and batch.collection_date == datetime.date(2026, 12, 28)
    assert {s.text for s in document.iterfind(".//p:SeqTp", namespaces=NS)} == {"FRST"}
    assert document.findtext(".//p:CdtrSchmeId/p:Id/p:PrvtId/p:Othr/p:Id", namespaces=NS) == "FR72ZZZ123456"
    mandates = {m.text for m in document.iterfind(".//p:MndtId", namespaces=NS)}
    assert mandates == set(Mandate.objects.values_list("reference", flat=True))
    rows = invoice_rows(list(guide.invoices.all()) + list(second.invoices.all()), today=datetime.date(2026, 12, 24))
    assert [(row.state, row.debit_date) for row in rows] == [(InvoiceState.DEBITED, datetime.date(2026, 12, 28))] * 2
    # The ledger has the direct-debit payments; the invoices are settled by them.
    assert sorted(Payment.objects.filter(mode="direct_debit").values_list("amount", flat=True)) == [Decimal("4.62"),
                                                                                                    Decimal("27.60")]


def test_collection_is_never_before_the_debit_date_printed_on_the_invoice(invoices):
    guide, _second = invoices
    active(guide)
    batch = sepa.debit_batch_create(structure=guide.structure, due_until=datetime.date(2026, 12, 31),
                                    today=datetime.date(2026, 12, 2))
    # Due 11/12/2026 (a Friday): printed as the debit date, so the file asks for it, not for 3/12.
    assert batch.collection_date == datetime.date(2026, 12, 11)
    assert batch.transaction_count == 1  # the other family has no mandate


def test_the_next_file_on_a_mandate_is_recurring_and_a_debited_invoice_is_not_taken_twice(invoices, invoiced_wallets):
    guide, _second = invoices
    active(guide)
    sepa.debit_batch_create(structure=guide.structure, due_until=datetime.date(2026, 12, 31), today=datetime.date(2026, 12, 14))
    with pytest.raises(sepa.DebitError):
        sepa.debit_batch_create(structure=guide.structure, due_until=datetime.date(2026, 12, 31),
                                today=datetime.date(2026, 12, 15))
    consume(guide, invoiced_wallets["restauration"], datetime.date(2026, 12, 3))
    december = services.invoicing_run_start(structure=guide.structure, month=datetime.date(2026, 12, 1))
    services.invoicing_run_finalise(run=december, on_date=datetime.date(2027, 1, 4))
    batch = sepa.debit_batch_create(structure=guide.structure, due_until=datetime.date(2027, 1, 31),
                                    today=datetime.date(2027, 1, 5))
    assert list(batch.transactions.values_list("sequence", flat=True)) == ["RCUR"]


def test_a_returned_debit_reopens_the_invoice_and_tells_the_family(invoices, django_capture_on_commit_callbacks):
    guide, _second = invoices
    active(guide)
    batch = sepa.debit_batch_create(structure=guide.structure, due_until=datetime.date(2026, 12, 31),
                                    today=datetime.date(2026, 12, 14))
    debit = batch.transactions.get()
    sepa.debit_return(debit=debit, on_date=datetime.date(2026, 12, 20), reason="AM04 provision insuffisante")
    (row,) = invoice_rows(list(guide.invoices.all()), today=datetime.date(2026, 12, 21))
    assert (row.state, row.paid, row.left) == (InvoiceState.LATE, 0, Decimal("27.60"))
    assert Payment.objects.filter(correction_of=debit.payment, amount=Decimal("-27.60")).exists()
    email = OutboxEmail.objects.get(kind=OutboxEmail.Kind.DEBIT_RETURNED)
    assert email.family == guide and debit.invoice.number in email.subject and "provision insuffisante" in email.body_text
    assert DirectDebitTransaction.objects.get().status == DirectDebitTransaction.Status.RETURNED
    # The mandate's next file starts again with a first collection.
    batch = sepa.debit_batch_create(structure=guide.structure, due_until=datetime.date(2026, 12, 31),
                                    today=datetime.date(2026, 12, 22))
    assert list(batch.transactions.values_list("sequence", flat=True)) == ["FRST"]


def test_a_parent_requests_a_mandate_with_an_iban_and_a_wrong_one_is_a_400(parent_client, family):
    url = reverse("billing:mandate")
    wrong = parent_client.post(url, {"holder_name": "GUIDE DENIS", "iban": "FR76 0000", "consent": "on"})
    assert wrong.status_code == 400 and "IBAN n&#x27;est pas valide" in wrong.content.decode()
    assert parent_client.post(url, {"holder_name": "GUIDE DENIS", "iban": IBAN}).status_code == 400  # no consent
    response = parent_client.post(url, {"holder_name": "GUIDE DENIS", "iban": IBAN, "consent": "on"}, follow=True)
    assert response.status_code == 200 and "en attente de validation" in response.content.decode()
    assert Mandate.objects.get().status == Mandate.Status.REQUESTED


def test_the_invoice_pdf_of_a_family_with_a_mandate_prints_the_debit_date(parent_client, invoices):
    import io

    from pypdf import PdfReader

    guide, _second = invoices
    mandate = active(guide)
    invoice = guide.invoices.get()
    response = parent_client.get(reverse("billing:invoice_pdf", args=[invoice.pk]))
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Par prélèvement automatique le 11/12/2026" in text and mandate.reference in text


def test_staff_validate_a_mandate_generate_the_file_and_record_a_return_in_the_admin(invoices, client, time_machine):
    from accounts.services import staff_user_enrol
    from accounts.tests.factories import TEST_PASSWORD, StaffMembershipFactory

    guide, _second = invoices
    time_machine.move_to(datetime.datetime(2026, 12, 14, 9, tzinfo=datetime.UTC))
    membership = StaffMembershipFactory(structure=guide.structure)
    staff_user_enrol(user=membership.user)
    assert client.login(username=membership.user.username, password=TEST_PASSWORD)
    mandate = sepa.mandate_request(family=guide, holder_name="GUIDE DENIS", iban=IBAN)
    client.post(reverse("admin:billing_mandate_changelist"), {"action": "validate", "_selected_action": [mandate.pk]})
    assert Mandate.objects.get().status == Mandate.Status.ACTIVE
    response = client.post(reverse("admin:billing_directdebitbatch_add"),
                           {"structure": guide.structure.pk, "due_until": "2026-12-31"}, follow=True)
    assert response.status_code == 200 and "1 prélèvement, 27.60 €" in response.content.decode()
    batch = guide.structure.debit_batches.get()
    download = client.post(reverse("admin:billing_directdebitbatch_changelist"),
                           {"action": "download", "_selected_action": [batch.pk]})
    assert download["Content-Type"] == "application/xml" and b"<MndtId>" in download.content
    nothing = client.post(reverse("admin:billing_directdebitbatch_add"),
                          {"structure": guide.structure.pk, "due_until": "2026-12-31"}, follow=True)
    assert "Aucune facture à prélever" in nothing.content.decode()
    debit = DirectDebitTransaction.objects.get()
    client.post(reverse("admin:billing_directdebittransaction_changelist"),
                {"action": "record_return", "_selected_action": [debit.pk]})
    assert DirectDebitTransaction.objects.get().status == DirectDebitTransaction.Status.RETURNED


def test_a_debit_of_what_is_left_credits_each_wallet_what_is_left_due_on_it(invoices, invoiced_wallets):
    from billing.ledger.services import payment_record

    guide, _second = invoices
    active(guide)
    payment_record(family=guide, date=datetime.date(2026, 12, 3), mode="cheque", amount=Decimal("20.00"),
                   allocations=[(invoiced_wallets["restauration"], Decimal("20.00"))])  # the canteen, in part
    sepa.debit_batch_create(structure=guide.structure, due_until=datetime.date(2026, 12, 31),
                            today=datetime.date(2026, 12, 14))
    debit = Payment.objects.get(mode="direct_debit", family=guide)
    assert debit.amount == Decimal("7.60")  # 27,60 − 20,00
    assert sorted((a.wallet.name, a.amount) for a in debit.allocations.all()) == [
        ("Accueil Périscolaire", Decimal("4.50")), ("Restauration", Decimal("3.10"))]
