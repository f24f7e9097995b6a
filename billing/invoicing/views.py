"""Parent pages of invoicing: "Mes factures" and each invoice's PDF (the family's own only)."""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.decorators import family_required
from billing.payments.pages import bank_redirect, payment_refused

from .online import invoice_payment_start
from .paying import invoice_pay_link
from .printing import render_invoice_pdf
from .selectors import family_invoice_or_404, family_invoices, invoice_rows
from .sepa import mandate_request


@family_required
def invoices(request):
    rows = invoice_rows(family_invoices(family=request.family))
    entries = [(row, invoice_pay_link(row)) for row in rows]
    from .models import TaxCertificate

    certificates = TaxCertificate.objects.filter(family=request.family).order_by("-year", "child_name")
    return render(request, "billing/invoices.html", {"entries": entries, "certificates": list(certificates)})


@require_POST
@family_required
def pay_invoice(request, invoice_id: int):
    """'Payer' on one invoice: what is left to pay on it, computed by the server (nothing is read
    from the form), then the online payment's own pages (bank, "paiement en cours")."""
    invoice = family_invoice_or_404(family=request.family, invoice_id=invoice_id)
    try:
        started = invoice_payment_start(family=request.family, invoice=invoice)
    except ValidationError as error:
        return payment_refused(request, " ".join(error.messages), back_url=reverse("billing:invoices"))
    return bank_redirect(request, started)


@family_required
def invoice_pdf(request, invoice_id: int):
    invoice = family_invoice_or_404(family=request.family, invoice_id=invoice_id)
    response = HttpResponse(render_invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="facture-{invoice.number}.pdf"'
    return response


@family_required
def tax_certificate_pdf(request, certificate_id: int):
    """One of the family's tax certificates (PDF); another family's is a 404."""
    from django.shortcuts import get_object_or_404

    from .models import TaxCertificate
    from .tax_certificates import render_tax_certificate_pdf

    certificate = get_object_or_404(TaxCertificate.objects.select_related("structure", "family"), pk=certificate_id,
                                    family=request.family)
    response = HttpResponse(render_tax_certificate_pdf(certificate), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="attestation-fiscale-{certificate.number}.pdf"'
    return response


class MandateRequestForm(forms.Form):
    holder_name = forms.CharField(label=gettext_lazy("Titulaire du compte"), max_length=70)
    iban = forms.CharField(label=gettext_lazy("IBAN"), max_length=42, widget=forms.TextInput(attrs={"autocomplete": "off",
                                                                                         "spellcheck": "false"}))
    bic = forms.CharField(label=gettext_lazy("BIC (facultatif)"), max_length=11, required=False)
    consent = forms.BooleanField(label=gettext_lazy("J'autorise la structure à prélever sur ce compte les factures de ma famille "
                                         "(mandat SEPA). Je peux demander le remboursement d'un prélèvement dans les "
                                         "8 semaines."))


@family_required
def mandate(request):
    """The family's direct-debit mandate: what is in force, and a request with a new IBAN."""
    from .sepa_models import Mandate

    status = 200
    if request.method == "POST":
        form = MandateRequestForm(request.POST)
        if form.is_valid():
            try:
                mandate_request(family=request.family, holder_name=form.cleaned_data["holder_name"],
                                iban=form.cleaned_data["iban"], bic=form.cleaned_data["bic"])
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    for message in errors:
                        form.add_error(field if field in form.fields else None, message)
            else:
                messages.success(request, _("Votre demande de prélèvement est enregistrée : la structure la valide "
                                            "avant le premier prélèvement."))
                return redirect("billing:mandate")
        status = 400
    else:
        form = MandateRequestForm(initial={"holder_name": request.family.payer_name})
    mandates = Mandate.objects.filter(family=request.family).exclude(status=Mandate.Status.REVOKED).order_by("-created_at")
    return render(request, "billing/mandate.html", {"form": form, "mandates": list(mandates)}, status=status)
