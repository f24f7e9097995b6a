"""What staff read before finalising a month: totals per activity, families left out, late lines."""
from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Sum

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
