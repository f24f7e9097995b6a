"""A parent pays one invoice online; billing.payments does the paying.

``invoice_payment_start`` opens an attempt of purpose "invoice" for what is still to pay on
that invoice (its total minus its settlements), computed here and never read from the form;
the attempt points at the invoice and plans how its Payment is split over the invoice's
wallets (each what is left due on it: wallet_split). When the provider says it is paid,
billing.payments records the Payment as planned under the attempt's row lock and sends
``online_payment_received`` once:
``on_online_payment_received`` then settles that invoice with it first
(settlement.invoice_settle_online). What the invoice no longer needs (paid meanwhile at the
desk) stays the family's credit, spread oldest invoice first.
"""
from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing.models import PaymentAttempt
from billing.payments import services as payment_services
from billing.payments.selectors import usable_provider

from .models import Invoice
from .selectors import InvoiceState, invoice_rows
from .settlement import invoice_settle_online
from .wallet_split import invoice_payment_split


def online_pay_invoice_link(invoice: Invoice, amount: Decimal) -> str | None:
    """'Payer' of one invoice (registered in paying, billing.apps): when something is left to
    pay and the structure has a usable provider, whatever the number of its wallets."""
    if amount <= 0 or usable_provider(structure=invoice.structure) is None:
        return None
    return reverse("billing:online_pay_invoice", args=[invoice.pk])


_NOT_PAYABLE = {
    InvoiceState.PAID: gettext_lazy("Cette facture est déjà payée."),
    InvoiceState.DEBITED: gettext_lazy("Cette facture est réglée par prélèvement : elle ne se paie pas en ligne."),
    InvoiceState.CANCELLED: gettext_lazy("Cette facture est annulée par un avoir : il n'y a rien à payer."),
}


def invoice_payment_start(*, family, invoice: Invoice) -> payment_services.Started:
    """Start paying what is left on ``invoice`` (one of the family's finalised invoices)."""
    if invoice.family_id != family.pk or invoice.status != Invoice.Status.FINALISED:
        raise ValidationError(_("Cette facture n'est pas à payer."))
    (row,) = invoice_rows([invoice])
    if not row.is_open or row.left <= 0:
        raise ValidationError(str(_NOT_PAYABLE.get(InvoiceState(row.state), _NOT_PAYABLE[InvoiceState.PAID])))
    split = invoice_payment_split(invoice, row.left)
    if not split:  # an invoice without consumption lines (imported, say): no wallet to credit
        raise ValidationError(_("Cette facture ne se paie pas en ligne : adressez-vous à votre structure."))
    return payment_services.payment_attempt_start(
        family=family, wallet=split[0][0], purpose=PaymentAttempt.Purpose.INVOICE, amount=row.left, invoice=invoice,
        allocations=split,
        label=_("Facture %(number)s — famille n° %(family)s") % {"number": invoice.number, "family": family.number})


def on_online_payment_received(sender, *, attempt: PaymentAttempt, payment, **kwargs) -> None:
    """Inside the transaction that recorded the paid attempt (under its row lock, once)."""
    if attempt.invoice_id:
        invoice_settle_online(invoice_id=attempt.invoice_id, payment=payment)
