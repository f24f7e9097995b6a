"""Tax certificates ("attestation fiscale de frais de garde"): for each child under 6 on 1 January
of a year, what the family paid that year for eligible childcare (meals excluded).

What was paid in a year is read from the settlements of payments dated that year (a payment
split across invoices counts on each its part): each settled part counts for the child in the
proportion of the invoice's eligible share of that child (``InvoiceLine.tax_credit_eligible``,
fixed when the invoice was drafted from the tariff/activity's share). Certificates are numbered
in their own series per structure and year, and never change once numbered.
"""
from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import Child
from billing.money import round_money
from portal.printing import html_to_pdf

from .models import InvoiceCounter, InvoiceLine, InvoiceSettlement, InvoicingSettings, TaxCertificate
from .numbering import numbers_take
from .signals import tax_certificate_ready

ZERO = Decimal("0.00")


def under_six_on_first_january(child: Child, year: int) -> bool:
    """Under 6 on 1 January of the year: born after 1 January six years before."""
    return child.birth_date is not None and child.birth_date > datetime.date(year - 6, 1, 1)


def eligible_paid(*, structure_id: int, year: int, family_ids=None) -> dict[int, Decimal]:
    """Child id → amount paid in `year` for eligible childcare (before rounding to the cent)."""
    settlements = (InvoiceSettlement.objects
                   .filter(invoice__structure_id=structure_id, payment__date__year=year, invoice__credit_note__isnull=True)
                   .values_list("invoice_id", "amount", "invoice__total"))
    if family_ids is not None:
        settlements = settlements.filter(invoice__family_id__in=list(family_ids))
    rows = list(settlements)
    shares: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for invoice_id, child_id, eligible in (InvoiceLine.objects.filter(invoice_id__in={r[0] for r in rows}, child__isnull=False)
                                           .values("invoice_id", "child_id").annotate(e=Sum("tax_credit_eligible"))
                                           .values_list("invoice_id", "child_id", "e")):
        shares[invoice_id][child_id] = eligible
    paid: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for invoice_id, amount, total in rows:
        if not total:
            continue
        for child_id, eligible in shares.get(invoice_id, {}).items():
            paid[child_id] += amount * eligible / total
    return dict(paid)


@transaction.atomic
def tax_certificates_generate(*, structure, year: int, family_ids=None, send: bool = False) -> list[TaxCertificate]:
    """Number a certificate for each child under 6 with an eligible amount paid in `year` (those
    already numbered stay as they are); with `send`, e-mail each family its new certificates."""
    paid = eligible_paid(structure_id=structure.pk, year=year, family_ids=family_ids)
    children = (Child.objects.filter(pk__in=list(paid), family__structure=structure).select_related("family")
                .order_by("family__number", "first_name", "id"))
    done = set(TaxCertificate.objects.filter(year=year, child_id__in=list(paid)).values_list("child_id", flat=True))
    todo = [child for child in children if child.pk not in done and under_six_on_first_january(child, year)
            and round_money(paid[child.pk]) > 0]
    if not todo:
        return []
    numbers = numbers_take(structure_id=structure.pk, year=year, series=InvoiceCounter.Series.TAX_CERTIFICATE,
                           count=len(todo))
    certificates = TaxCertificate.objects.bulk_create([
        TaxCertificate(structure=structure, family=child.family, child=child, year=year, number=number,
                       amount=round_money(paid[child.pk]), child_name=f"{child.last_name.upper()} {child.first_name}",
                       child_birth_date=child.birth_date)
        for child, number in zip(todo, numbers, strict=True)])
    if send:
        for certificate in certificates:
            tax_certificate_ready.send(sender=TaxCertificate, certificate=certificate,
                                       link=reverse("billing:tax_certificate_pdf", args=[certificate.pk]))
    return certificates


def render_tax_certificate_pdf(certificate: TaxCertificate) -> bytes:
    settings_row = InvoicingSettings.objects.filter(structure_id=certificate.structure_id).first()
    return html_to_pdf(render_to_string("billing/pdf/tax_certificate.html", {
        "structure": certificate.structure, "family": certificate.family, "certificate": certificate,
        "settings": settings_row, "legal_name": (settings_row.legal_name if settings_row else "") or certificate.structure.name,
        "generated_at": timezone.localtime(),
    }))
