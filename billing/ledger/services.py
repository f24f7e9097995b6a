"""Writes to the ledger. History is never edited: a mistake is undone by a new,
opposite line that points at the one it corrects (`correction_of`)."""
from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from billing.models import Consumption, Payment, PaymentAllocation, Wallet
from billing.money import round_money

from .signals import payment_recorded


class AlreadyCorrectedError(ValidationError):
    pass


def consumption_post(*, family, wallet: Wallet, day: datetime.date, activity_label: str, unit_price: Decimal,
                     quantity: Decimal = Decimal(1), child=None, source_key: str = "", note: str = "") -> Consumption:
    """Post a consumption line; the total is unit price × quantity rounded half-up to the cent.

    With a `source_key`, posting twice returns the existing line (safe for jobs to rerun).
    """
    if wallet.structure_id != family.structure_id:
        raise ValidationError(_("Ce porte-monnaie n'appartient pas à la structure de la famille."))
    if child is not None and child.family_id != family.pk:
        raise ValidationError(_("Cet enfant n'appartient pas à la famille."))
    values = {
        "family": family, "child": child, "wallet": wallet, "day": day, "activity_label": activity_label,
        "unit_price": unit_price, "quantity": quantity, "total": round_money(unit_price * quantity), "note": note,
    }
    if source_key:
        line, _created = Consumption.objects.get_or_create(source_key=source_key, defaults=values)
        return line
    return Consumption.objects.create(**values)


@transaction.atomic
def consumption_correct(*, consumption: Consumption, note: str = "") -> Consumption:
    """Add the opposite line (same price, negated quantity and total) to cancel a line."""
    original = Consumption.objects.select_for_update().get(pk=consumption.pk)
    if original.correction_of_id is not None:
        raise AlreadyCorrectedError(_("Cette ligne est déjà une correction."))
    if original.corrections.exists():
        raise AlreadyCorrectedError(_("Cette ligne a déjà été corrigée."))
    return Consumption.objects.create(
        family_id=original.family_id, child_id=original.child_id, wallet_id=original.wallet_id, day=original.day,
        activity_label=original.activity_label, unit_price=original.unit_price, quantity=-original.quantity,
        total=-original.total, correction_of=original,
        note=note or _("Correction de la ligne du %(date)s") % {"date": original.day.strftime("%d/%m/%Y")},
    )


def check_allocations(*, amount: Decimal, allocations: list[tuple[Wallet, Decimal]], structure_id: int) -> None:
    """A payment is wholly allocated, to wallets of the family's structure."""
    if not allocations:
        raise ValidationError(_("Affectez le règlement à au moins un porte-monnaie."))
    if any(wallet.structure_id != structure_id for wallet, _amount in allocations):
        raise ValidationError(_("Un porte-monnaie n'appartient pas à la structure de la famille."))
    allocated = round_money(sum((a for _w, a in allocations), Decimal(0)))
    if allocated != round_money(amount):
        raise ValidationError(_("La somme des affectations (%(allocated)s €) doit être égale au montant du règlement "
                                "(%(amount)s €).")
                              % {"allocated": allocated, "amount": round_money(amount)})


@transaction.atomic
def payment_record(*, family, date: datetime.date, mode: str, amount: Decimal, allocations: list[tuple[Wallet, Decimal]],
                   piece_number: str = "", payer_name: str = "", bank_name: str = "", source_key: str = "") -> Payment:
    """Record money received and how it is split between wallets (must add up)."""
    check_allocations(amount=amount, allocations=allocations, structure_id=family.structure_id)
    if source_key:
        existing = Payment.objects.filter(source_key=source_key).first()
        if existing:
            return existing
    payment = Payment.objects.create(family=family, date=date, mode=mode, amount=round_money(amount), piece_number=piece_number,
                                     payer_name=payer_name or family.payer_name, bank_name=bank_name, source_key=source_key)
    PaymentAllocation.objects.bulk_create([PaymentAllocation(payment=payment, wallet=w,
                                                             amount=round_money(a)) for w, a in allocations])
    payment_recorded.send(sender=Payment, payment=payment)
    return payment


@transaction.atomic
def payment_correct(*, payment: Payment, on_date: datetime.date | None = None, note: str = "") -> Payment:
    """Cancel a payment (a bounced cheque, a typo) with the opposite payment and allocations."""
    original = Payment.objects.select_for_update().get(pk=payment.pk)
    if original.correction_of_id is not None:
        raise AlreadyCorrectedError(_("Ce règlement est déjà une correction."))
    if original.corrections.exists():
        raise AlreadyCorrectedError(_("Ce règlement a déjà été corrigé."))
    opposite = Payment.objects.create(
        family_id=original.family_id, date=on_date or original.date, mode=original.mode, amount=-original.amount,
        piece_number=original.piece_number, payer_name=original.payer_name, bank_name=original.bank_name,
        correction_of=original,
        note=note or _("Annulation du règlement du %(date)s") % {"date": original.date.strftime("%d/%m/%Y")},
    )
    PaymentAllocation.objects.bulk_create([
        PaymentAllocation(payment=opposite, wallet_id=a.wallet_id, amount=-a.amount) for a in original.allocations.all()
    ])
    payment_recorded.send(sender=Payment, payment=opposite)
    return opposite
