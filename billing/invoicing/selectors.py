"""What staff read before finalising a month: totals per activity, families left out, late lines."""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Sum, TextChoices
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

from accounts.models import Family
from billing.models import Consumption, Wallet
from portal import dates

from .models import Invoice, InvoiceLine, InvoicingRun

REVIEW_LIMIT = 50


def run_totals_per_activity(*, run: InvoicingRun) -> list[dict]:
    """Per wallet and activity: number of lines, quantity, total (the drafts' or the invoices')."""
    rows = (InvoiceLine.objects.filter(invoice__run=run).values("wallet_name", "activity_label")
            .annotate(lines=Count("id"), quantity=Sum("quantity"), total=Sum("total")).order_by("wallet_name", "activity_label"))
    return list(rows)


def run_summary(*, run: InvoicingRun) -> dict:
    figures = Invoice.objects.filter(run=run).aggregate(count=Count("id"), total=Sum("total"))
    return {"count": figures["count"], "total": figures["total"] or Decimal("0.00")}


def run_families_without_invoice(*, run: InvoicingRun, limit: int = REVIEW_LIMIT) -> tuple[int, list[Family]]:
    """Families of the structure with nothing to invoice this month: how many, and the first ones."""
    families = (Family.objects.filter(structure_id=run.structure_id).exclude(invoices__run=run)
                .order_by("payer_name", "number"))
    return families.count(), list(families[:limit])


def run_late_lines(*, run: InvoicingRun, limit: int = REVIEW_LIMIT) -> tuple[int, list[Consumption]]:
    """Consumption lines of the month (or before) on invoiced wallets that no draft holds:
    posted after the drafts were computed (recompute them), or of a family whose total is not positive."""
    lines = (Consumption.objects
             .filter(wallet__structure_id=run.structure_id, wallet__mode=Wallet.Mode.INVOICED,
                     day__lte=dates.month_end(run.month), invoiced__isnull=True)
             .select_related("family", "child", "wallet").order_by("-created_at", "-id"))
    return lines.count(), list(lines[:limit])


def family_invoices(*, family) -> list[Invoice]:
    """A family's finalised invoices, newest first (drafts are staff's only)."""
    return list(Invoice.objects.filter(family=family, status=Invoice.Status.FINALISED)
                .select_related("credit_note").order_by("-issued_on", "-number"))


class InvoiceState(TextChoices):
    TO_PAY = "to_pay", _("À payer")
    PAID = "paid", _("Payée")
    LATE = "late", _("En retard")
    DEBITED = "debited", _("Prélevée")
    CANCELLED = "cancelled", _("Annulée")


@dataclass(frozen=True)
class InvoiceRow:
    invoice: Invoice
    paid: Decimal
    left: Decimal
    state: str
    debit_date: datetime.date | None = None

    @property
    def state_label(self) -> str:
        return str(InvoiceState(self.state).label)

    @property
    def is_open(self) -> bool:
        return self.state in (InvoiceState.TO_PAY, InvoiceState.LATE)


def invoice_state(*, invoice: Invoice, paid: Decimal, today: datetime.date, debit_date: datetime.date | None = None) -> str:
    """From the ledger only: cancelled by a credit note, debited (paid by a direct debit not
    returned), paid, late (past its due date), else to pay."""
    if getattr(invoice, "credit_note", None) is not None:
        return InvoiceState.CANCELLED
    if debit_date is not None:
        return InvoiceState.DEBITED
    if paid >= invoice.total:
        return InvoiceState.PAID
    if invoice.due_date and invoice.due_date < today:
        return InvoiceState.LATE
    return InvoiceState.TO_PAY


def invoice_rows(invoices: list[Invoice], *, today: datetime.date | None = None) -> list[InvoiceRow]:
    """Each invoice with what was paid, what is left and its state (two queries for the list)."""
    from .debits import debit_dates  # the direct debits under way (SEPA)
    from .settlement import settled_amounts

    today = today or dates.today()
    ids = [invoice.pk for invoice in invoices]
    paid = settled_amounts(invoice_ids=ids)
    debited = debit_dates(invoice_ids=ids)
    rows = []
    for invoice in invoices:
        amount = paid.get(invoice.pk, Decimal("0.00"))
        state = invoice_state(invoice=invoice, paid=amount, today=today, debit_date=debited.get(invoice.pk))
        left = Decimal("0.00") if state == InvoiceState.CANCELLED else max(invoice.total - amount, Decimal("0.00"))
        rows.append(InvoiceRow(invoice=invoice, paid=amount, left=left, state=state, debit_date=debited.get(invoice.pk)))
    return rows


def family_invoice_or_404(*, family, invoice_id: int) -> Invoice:
    """One of the family's finalised invoices; another family's (or a draft) is a 404."""
    return get_object_or_404(Invoice.objects.select_related("structure", "family"), pk=invoice_id, family=family,
                             status=Invoice.Status.FINALISED)
