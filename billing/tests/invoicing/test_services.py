"""The monthly run: drafts from the ledger, finalisation with numbers, credit notes, next month."""
import datetime
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import ProtectedError, Sum

from billing.invoicing import services
from billing.invoicing.models import CreditNote, ImmutableInvoiceError, Invoice, InvoiceLine, InvoicingRun, InvoicingSettings
from billing.models import Consumption
from billing.tests.invoicing.conftest import NOV, consume, other_family

pytestmark = pytest.mark.django_db


def test_a_draft_per_family_groups_the_month_by_child_and_activity(november):
    run = services.invoicing_run_start(structure=november.structure, month=NOV)
    invoice = Invoice.objects.get(run=run)
    assert invoice.status == Invoice.Status.DRAFT and invoice.number == ""
    lines = [(line.child_name, line.activity_label, line.date_from.day, line.date_to.day, line.quantity, line.total)
             for line in invoice.lines.all()]
    assert lines == [
        ("GUIDE Emmy", "Restauration Scolaire", 2, 5, Decimal("3.00"), Decimal("13.86")),
        ("GUIDE Emmy", "Garderie Soir", 4, 18, Decimal("10.00"), Decimal("4.50")),
        ("GUIDE Noé", "Restauration Scolaire", 2, 9, Decimal("2.00"), Decimal("9.24")),
    ]
    # The prepaid wallet's line is not invoiced; the invoice's total is its ledger lines'.
    assert invoice.total == Decimal("27.60")
    ledger = Consumption.objects.filter(invoiced__invoice=invoice).aggregate(s=Sum("total"))["s"]
    assert ledger == invoice.total == sum(line.total for line in invoice.lines.all())
    assert not Consumption.objects.filter(activity_label="Mercredi", invoiced__isnull=False).exists()


def test_recomputing_drafts_takes_lines_posted_since_and_families_with_nothing_are_left_out(november, invoiced_wallets):
    idle = other_family(november.structure, payer_name="SANS RIEN")
    run = services.invoicing_run_start(structure=november.structure, month=NOV)
    consume(november, invoiced_wallets["restauration"], datetime.date(2026, 11, 30))
    from billing.invoicing import selectors

    count, late = selectors.run_late_lines(run=run)
    assert count == 1 and late[0].day == datetime.date(2026, 11, 30)
    left_count, left = selectors.run_families_without_invoice(run=run)
    assert left_count == 1 and left == [idle]
    services.invoicing_drafts_compute(run=run)
    assert Invoice.objects.get(run=run).total == Decimal("32.22")
    assert selectors.run_late_lines(run=run)[0] == 0
    totals = {(r["wallet_name"], r["activity_label"]): r["total"] for r in selectors.run_totals_per_activity(run=run)}
    assert totals == {("Accueil Périscolaire", "Garderie Soir"): Decimal("4.50"),
                      ("Restauration", "Restauration Scolaire"): Decimal("27.72")}


def test_finalising_numbers_drafts_in_family_order_with_the_structure_format(november):
    InvoicingSettings.objects.create(structure=november.structure, invoice_number_format="FAC-{year}-{number:04d}",
                                     payment_days=15)
    second = other_family(november.structure, number="999999")
    consume(second, november.structure.wallets.get(name="Restauration"), datetime.date(2026, 11, 3), child=second.children.get())
    run = services.invoicing_run_start(structure=november.structure, month=NOV)
    assert services.invoicing_run_finalise(run=run, on_date=datetime.date(2026, 12, 1)) == 2
    run.refresh_from_db()
    assert run.status == InvoicingRun.Status.FINALISED
    numbers = list(Invoice.objects.filter(run=run).order_by("family__number").values_list("number", "due_date"))
    assert numbers == [("FAC-2026-0001", datetime.date(2026, 12, 16)), ("FAC-2026-0002", datetime.date(2026, 12, 16))]
    with pytest.raises(services.InvoicingError):
        services.invoicing_drafts_compute(run=run)


def test_numbers_restart_each_year_and_default_to_f_year_six_digits(november):
    run = services.invoicing_run_start(structure=november.structure, month=NOV)
    services.invoicing_run_finalise(run=run, on_date=datetime.date(2026, 12, 31))
    consume(november, november.structure.wallets.get(name="Restauration"), datetime.date(2026, 12, 7))
    december = services.invoicing_run_start(structure=november.structure, month=datetime.date(2026, 12, 1))
    services.invoicing_run_finalise(run=december, on_date=datetime.date(2027, 1, 2))
    assert sorted(Invoice.objects.values_list("number", flat=True)) == ["F2026-000001", "F2027-000001"]


def test_a_finalised_invoice_is_never_edited_nor_deleted(november):
    run = services.invoicing_run_start(structure=november.structure, month=NOV)
    services.invoicing_run_finalise(run=run)
    invoice = Invoice.objects.get(run=run)
    invoice.total = Decimal("1.00")
    with pytest.raises(ImmutableInvoiceError):
        invoice.save()
    with pytest.raises(ImmutableInvoiceError), transaction.atomic():
        invoice.delete()
    with pytest.raises(ImmutableInvoiceError), transaction.atomic():  # a queryset's delete() too
        Invoice.objects.filter(pk=invoice.pk).delete()
    line = invoice.lines.first()
    line.total = Decimal("0")
    with pytest.raises(ImmutableInvoiceError):
        line.save()
    with pytest.raises(ImmutableInvoiceError):
        line.delete()
    assert Invoice.objects.get(pk=invoice.pk).total == Decimal("27.60")
    assert InvoiceLine.objects.filter(invoice=invoice).count() == 3


def test_lines_posted_after_finalisation_go_to_the_next_month(november, invoiced_wallets):
    run = services.invoicing_run_start(structure=november.structure, month=NOV)
    services.invoicing_run_finalise(run=run)
    late = consume(november, invoiced_wallets["restauration"], datetime.date(2026, 11, 27))
    consume(november, invoiced_wallets["restauration"], datetime.date(2026, 12, 4))
    december = services.invoicing_run_start(structure=november.structure, month=datetime.date(2026, 12, 1))
    invoice = Invoice.objects.get(run=december)
    assert invoice.total == Decimal("9.24")
    assert late.invoiced.invoice == invoice
    line = invoice.lines.get()
    assert (line.date_from, line.date_to, line.quantity) == (datetime.date(2026, 11, 27), datetime.date(2026, 12, 4), 2)


def test_a_correction_and_its_line_in_the_same_month_net_to_nothing(november, invoiced_wallets):
    from billing.ledger.services import consumption_correct

    wrong = consume(november, invoiced_wallets["restauration"], datetime.date(2026, 11, 20), label="Repas adulte", price="6.00")
    consumption_correct(consumption=wrong)
    run = services.invoicing_run_start(structure=november.structure, month=NOV)
    invoice = Invoice.objects.get(run=run)
    assert invoice.total == Decimal("27.60")
    assert not invoice.lines.filter(activity_label="Repas adulte").exists()
    assert Consumption.objects.filter(activity_label="Repas adulte", invoiced__invoice=invoice).count() == 2


def test_cancelling_issues_a_credit_note_in_its_own_series_and_reverses_the_ledger(november):
    run = services.invoicing_run_start(structure=november.structure, month=NOV)
    services.invoicing_run_finalise(run=run, on_date=datetime.date(2026, 12, 1))
    invoice = Invoice.objects.get(run=run)
    note = services.invoice_cancel(invoice=invoice, reason="erreur", on_date=datetime.date(2026, 12, 5))
    assert (note.number, note.total) == ("A2026-000001", Decimal("27.60"))
    invoice.refresh_from_db()
    assert invoice.number == "F2026-000001" and invoice.status == Invoice.Status.FINALISED
    invoiced = Consumption.objects.filter(wallet__mode="invoiced")
    assert invoiced.aggregate(s=Sum("total"))["s"] == Decimal("0.00")
    # The opposite lines belong to the credit note: the next month invoices nothing of them.
    assert Consumption.objects.filter(invoiced__credit_note=note).count() == 7
    december = services.invoicing_run_start(structure=november.structure, month=datetime.date(2026, 12, 1))
    assert not december.invoices.exists()
    with pytest.raises(services.InvoicingError):
        services.invoice_cancel(invoice=invoice)
    with pytest.raises((ImmutableInvoiceError, ProtectedError)), transaction.atomic():
        CreditNote.objects.filter(pk=note.pk).delete()
    assert CreditNote.objects.filter(pk=note.pk).exists()


def test_a_draft_cannot_be_cancelled_and_a_family_with_a_credit_balance_gets_no_invoice(family, invoiced_wallets):
    consume(family, invoiced_wallets["restauration"], datetime.date(2026, 11, 3), price="-5.00")
    run = services.invoicing_run_start(structure=family.structure, month=NOV)
    assert not run.invoices.exists()
    consume(family, invoiced_wallets["restauration"], datetime.date(2026, 11, 4), price="8.00")
    services.invoicing_drafts_compute(run=run)
    draft = run.invoices.get()
    assert draft.total == Decimal("3.00")
    with pytest.raises(services.InvoicingError):
        services.invoice_cancel(invoice=draft)


def test_beat_task_drafts_last_month_for_structures_with_invoiced_wallets(november, time_machine):
    from billing.invoicing.tasks import invoicing_month_drafts

    time_machine.move_to(datetime.datetime(2026, 12, 1, 5, 0, tzinfo=datetime.UTC))
    (run_id,) = invoicing_month_drafts()
    run = InvoicingRun.objects.get(pk=run_id)
    assert run.month == NOV and run.invoices.count() == 1
    services.invoicing_run_finalise(run=run)
    assert invoicing_month_drafts() == [run_id]  # a finalised month is left as it is
    assert Invoice.objects.get().status == Invoice.Status.FINALISED
