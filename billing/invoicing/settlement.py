"""Which payment settles which invoice: oldest invoice first, unless it was chosen.

A family's credit for invoices is what its payments allocated to invoiced wallets (net of their
corrections). ``settlements_refresh`` keeps the chosen settlements (by staff, or by a parent who
paid one invoice online), drops the computed ones and spreads what is left of each payment
(oldest payment first) over what is left to pay on each open invoice (oldest invoice first).
An invoice's state follows from these rows and is never set by hand (selectors.invoice_state).
"""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from accounts.models import Family
from billing.models import Payment, PaymentAllocation, Wallet
from billing.money import round_money

from .models import Invoice, InvoiceSettlement

ZERO = Decimal("0.00")


def payment_credits(*, family_id: int) -> dict[int, Decimal]:
    """Per payment (oldest first), the amount it brought to invoiced wallets, net of its corrections."""
    rows = (PaymentAllocation.objects.filter(payment__family_id=family_id, wallet__mode=Wallet.Mode.INVOICED)
            .values_list("payment_id", "payment__correction_of_id", "amount"))
    credits: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for payment_id, corrected_id, amount in rows:
        credits[corrected_id or payment_id] += amount
    dates = dict(Payment.objects.filter(pk__in=list(credits)).values_list("pk", "date"))
    return {pk: credits[pk] for pk in sorted(credits, key=lambda pk: (dates[pk], pk)) if credits[pk] > 0}


def _open_invoices(family_id: int) -> list[Invoice]:
    return list(Invoice.objects.select_for_update(of=("self",)).filter(family_id=family_id, status=Invoice.Status.FINALISED,
                                                           credit_note__isnull=True).order_by("issued_on", "number", "id"))


@transaction.atomic
def settlements_refresh(*, family_id: int) -> None:
    """Recompute the family's computed settlements (the chosen ones stay). Only what changes is
    written: a refresh that finds everything in place changes no row."""
    Family.objects.select_for_update().filter(pk=family_id).first()  # one refresh per family at a time
    credits = payment_credits(family_id=family_id)
    invoices = _open_invoices(family_id)
    rows = list(InvoiceSettlement.objects.filter(invoice__family_id=family_id))
    chosen = [row for row in rows if row.is_chosen]
    left_to_pay = {invoice.pk: invoice.total for invoice in invoices}
    for row in chosen:
        credits[row.payment_id] = credits.get(row.payment_id, ZERO) - row.amount
        if row.invoice_id in left_to_pay:
            left_to_pay[row.invoice_id] -= row.amount
    wanted: dict[tuple[int, int], Decimal] = {}
    remaining = {pk: amount for pk, amount in credits.items() if amount > 0}
    for invoice in invoices:
        due = left_to_pay[invoice.pk]
        for payment_id in remaining:
            if due <= 0:
                break
            part = min(due, remaining[payment_id])
            if part <= 0:
                continue
            wanted[(invoice.pk, payment_id)] = round_money(part)
            remaining[payment_id] -= part
            due -= part
    # A payment chosen for an invoice that also gets a computed part: one row, the chosen one.
    for row in chosen:
        extra = wanted.pop((row.invoice_id, row.payment_id), None)
        if extra:
            row.amount += extra
            row.save(update_fields=["amount"])
    computed = {(row.invoice_id, row.payment_id): row for row in rows if not row.is_chosen}
    stale = [row.pk for key, row in computed.items() if key not in wanted]
    if stale:
        InvoiceSettlement.objects.filter(pk__in=stale).delete()
    for key, amount in wanted.items():
        current = computed.get(key)
        if current is not None and current.amount != amount:
            current.amount = amount
            current.save(update_fields=["amount"])
    InvoiceSettlement.objects.bulk_create([InvoiceSettlement(invoice_id=invoice_id, payment_id=payment_id, amount=amount)
                                           for (invoice_id, payment_id), amount in wanted.items()
                                           if (invoice_id, payment_id) not in computed])


@transaction.atomic
def settlements_after_payment_recorded(*, payment: Payment) -> None:
    """A payment, or its cancellation, was recorded: the family's settlements follow.

    A cancellation (the opposite line of a refund, a bounced cheque, a returned debit) takes
    back all the money of the payment it corrects, so that payment settles nothing any more:
    its settlements go, the chosen ones too (the invoice a parent paid online, staff's choice),
    and the invoice is open again for what they covered, unless the family's other credit pays
    it (the refresh that follows, oldest invoice first)."""
    Family.objects.select_for_update().filter(pk=payment.family_id).first()  # the refresh's order: family first
    if payment.correction_of_id:
        InvoiceSettlement.objects.filter(payment_id=payment.correction_of_id).delete()
    settlements_refresh(family_id=payment.family_id)


def families_with_unsettled_credit(*, family_ids: list[int]) -> list[int]:
    """Of these families, those with money on invoiced wallets (so worth a refresh)."""
    return sorted(set(PaymentAllocation.objects.filter(payment__family_id__in=family_ids, wallet__mode=Wallet.Mode.INVOICED)
                      .values_list("payment__family_id", flat=True)))


@transaction.atomic
def invoice_settle(*, invoice: Invoice, payment: Payment, amount: Decimal) -> InvoiceSettlement:
    """Staff's choice: this payment (or this part of it) settles this invoice."""
    # The family first, then the invoice: the order settlements_refresh and an online payment
    # take them in. The opposite order could deadlock against a payment arriving for the family.
    Family.objects.select_for_update().filter(pk=invoice.family_id).first()
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status != Invoice.Status.FINALISED or hasattr(invoice, "credit_note"):
        raise ValidationError(_("Seule une facture émise et non annulée peut être réglée."))
    if payment.family_id != invoice.family_id:
        raise ValidationError(_("Ce règlement n'est pas celui de la famille de la facture."))
    amount = round_money(amount)
    if amount <= 0:
        raise ValidationError(_("Le montant doit être positif."))
    _computed_settlements_drop(family_id=invoice.family_id)
    credit = payment_credits(family_id=invoice.family_id).get(payment.pk, ZERO)
    used = (InvoiceSettlement.objects.filter(payment=payment).exclude(invoice=invoice)
            .aggregate(s=Sum("amount"))["s"] or ZERO)
    if amount > credit - used:
        raise ValidationError(_("Ce règlement n'a que %(left)s € disponibles pour les factures.")
                              % {"left": credit - used})
    paid_by_others = (InvoiceSettlement.objects.filter(invoice=invoice).exclude(payment=payment)
                      .aggregate(s=Sum("amount"))["s"] or ZERO)
    if amount > invoice.total - paid_by_others:
        raise ValidationError(_("Il ne reste que %(left)s € à régler sur cette facture.")
                              % {"left": invoice.total - paid_by_others})
    settlement, _created = InvoiceSettlement.objects.update_or_create(
        invoice=invoice, payment=payment, defaults={"amount": amount, "chosen_by_staff": True})
    settlements_refresh(family_id=invoice.family_id)
    return settlement


def _computed_settlements_drop(*, family_id: int) -> None:
    """Before a choice, the computed settlements go (the refresh that follows spreads the rest again)."""
    InvoiceSettlement.objects.filter(invoice__family_id=family_id, chosen_by_staff=False, chosen_online=False).delete()


@transaction.atomic
def invoice_settle_online(*, invoice_id: int, payment: Payment) -> InvoiceSettlement | None:
    """The parent paid this invoice online: the payment settles it first, for what is still to
    pay on it. If it was paid meanwhile by other means (or cancelled), nothing is chosen: the
    payment stays a credit, spread oldest invoice first like any other (None)."""
    Family.objects.select_for_update().filter(pk=payment.family_id).first()  # the refresh's order: family, then invoices
    invoice = Invoice.objects.select_for_update().filter(pk=invoice_id, family_id=payment.family_id).first()
    chosen = None
    if invoice is not None and invoice.status == Invoice.Status.FINALISED and not hasattr(invoice, "credit_note"):
        # What other payments settle on it counts, computed or chosen: a desk payment that paid it
        # meanwhile keeps it, and this payment goes to the other invoices (oldest first) or stays a credit.
        by_others = InvoiceSettlement.objects.filter(invoice=invoice).exclude(payment=payment)
        left_on_invoice = invoice.total - (by_others.aggregate(s=Sum("amount"))["s"] or ZERO)
        chosen_elsewhere = (InvoiceSettlement.objects.filter(payment=payment).exclude(invoice=invoice)
                            .filter(Q(chosen_by_staff=True) | Q(chosen_online=True)).aggregate(s=Sum("amount"))["s"] or ZERO)
        credit = payment_credits(family_id=payment.family_id).get(payment.pk, ZERO) - chosen_elsewhere
        amount = round_money(min(left_on_invoice, credit))
        if amount > 0:
            _computed_settlements_drop(family_id=payment.family_id)
            chosen, _created = InvoiceSettlement.objects.update_or_create(
                invoice=invoice, payment=payment, defaults={"amount": amount, "chosen_online": True})
    settlements_refresh(family_id=payment.family_id)
    return chosen


def settled_amounts(*, invoice_ids) -> dict[int, Decimal]:
    rows = (InvoiceSettlement.objects.filter(invoice_id__in=list(invoice_ids)).values("invoice_id")
            .annotate(s=Sum("amount")).values_list("invoice_id", "s"))
    return dict(rows)


__all__ = ["families_with_unsettled_credit", "invoice_settle", "invoice_settle_online", "payment_credits",
           "settled_amounts", "settlements_after_payment_recorded", "settlements_refresh"]
