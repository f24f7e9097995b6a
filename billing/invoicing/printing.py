"""The invoice as a PDF (WeasyPrint through portal.printing, the frame of every printed document)."""
from __future__ import annotations

from itertools import groupby

from django.template.loader import render_to_string
from django.utils import timezone

from portal.dates import month_label
from portal.printing import html_to_pdf

from .models import Invoice, InvoicingSettings
from .paying import invoice_pay_link
from .selectors import invoice_rows


def invoice_context(invoice: Invoice) -> dict:
    settings_row = InvoicingSettings.objects.filter(structure_id=invoice.structure_id).first()
    lines = list(invoice.lines.all())
    (row,) = invoice_rows([invoice])
    from .debits import mandate_for_invoice  # the family's SEPA mandate, if any

    return {
        "structure": invoice.structure, "family": invoice.family, "invoice": invoice, "row": row,
        "settings": settings_row, "legal_name": (settings_row.legal_name if settings_row else "") or invoice.structure.name,
        "month": month_label(invoice.month.year, invoice.month.month),
        "children": [(name, list(group)) for name, group in groupby(lines, key=lambda line: line.child_name)],
        "eligible": sum((line.tax_credit_eligible for line in lines), invoice.total * 0),
        "online": invoice_pay_link(row) is not None, "mandate": mandate_for_invoice(invoice),
        "generated_at": timezone.localtime(),
    }


def render_invoice_pdf(invoice: Invoice) -> bytes:
    return html_to_pdf(render_to_string("billing/pdf/invoice.html", invoice_context(invoice)))
