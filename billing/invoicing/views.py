"""Parent pages of invoicing: "Mes factures" and each invoice's PDF (the family's own only)."""
from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from accounts.decorators import family_required

from .paying import pay_link
from .printing import render_invoice_pdf
from .selectors import family_invoice_or_404, family_invoices, invoice_rows


@family_required
def invoices(request):
    rows = invoice_rows(family_invoices(family=request.family))
    entries = [(row, pay_link(invoice=row.invoice, amount=row.left) if row.is_open and row.left > 0 else None)
               for row in rows]
    return render(request, "billing/invoices.html", {"entries": entries})


@family_required
def invoice_pdf(request, invoice_id: int):
    invoice = family_invoice_or_404(family=request.family, invoice_id=invoice_id)
    response = HttpResponse(render_invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="facture-{invoice.number}.pdf"'
    return response
