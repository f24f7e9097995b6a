"""SEPA direct debit: mandates (requested by parents, validated by staff), debit files (pain.008
built with sepaxml, validated against the ISO 20022 XSD with lxml before it is kept), returns.

The collection date of a file is on or after the next TARGET business day (TARGET2 closes on
weekends, 1 January, Good Friday, Easter Monday, 1 May, 25 and 26 December: the ECB calendar
of the ``holidays`` package) and on or after the debit date printed on each invoice (its due
date, moved to a TARGET business day).
"""
from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from pathlib import Path

import sepaxml
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from lxml import etree

from billing.models import Payment
from portal import dates

from .models import Invoice, InvoiceSettlement, InvoicingSettings
from .selectors import invoice_rows
from .sepa_checks import bic_of_iban, check_bic, check_iban
from .sepa_models import DirectDebitBatch, DirectDebitTransaction, Mandate
from .settlement import invoice_settle, settlements_refresh
from .signals import debit_returned
from .target_days import invoice_debit_date, next_target_business_day, target_day_on_or_after  # noqa: F401
from .wallet_split import invoice_payment_split

SCHEMA = "pain.008.001.02"
XSD_PATH = Path(sepaxml.__file__).parent / "schemas" / f"{SCHEMA}.xsd"


# --- Mandates ------------------------------------------------------------------------------

def _new_reference(structure, family) -> str:
    base = f"{structure.slug.upper()[:12]}-{family.number}"
    count = Mandate.objects.filter(structure=structure, family=family).count()
    while True:
        count += 1
        reference = f"{base}-{count:03d}"[:35]
        if not Mandate.objects.filter(structure=structure, reference=reference).exists():
            return reference


@transaction.atomic
def mandate_request(*, family, holder_name: str, iban: str, bic: str = "",
                    signed_on: datetime.date | None = None) -> Mandate:
    """A parent's IBAN: a mandate to be validated by staff before any debit (checked here)."""
    holder_name = holder_name.strip()
    if not holder_name:
        raise ValidationError({"holder_name": _("Indiquez le titulaire du compte.")})
    try:
        iban = check_iban(iban)
    except ValidationError as error:
        raise ValidationError({"iban": error.messages}) from error
    try:
        bic = check_bic(bic) if bic.strip() else bic_of_iban(iban)
    except ValidationError as error:
        raise ValidationError({"bic": error.messages}) from error
    Mandate.objects.filter(family=family, status=Mandate.Status.REQUESTED).update(status=Mandate.Status.REVOKED)
    return Mandate.objects.create(structure_id=family.structure_id, family=family, holder_name=holder_name[:70], iban=iban,
                                  bic=bic, signed_on=signed_on or dates.today(),
                                  reference=_new_reference(family.structure, family))


@transaction.atomic
def mandate_validate(*, mandate: Mandate, user=None) -> Mandate:
    """Staff checked the signed mandate: it becomes the family's one active mandate."""
    mandate = Mandate.objects.select_for_update().get(pk=mandate.pk)
    if mandate.status != Mandate.Status.REQUESTED:
        raise ValidationError(_("Seul un mandat demandé peut être validé."))
    Mandate.objects.filter(family_id=mandate.family_id, status=Mandate.Status.ACTIVE).update(status=Mandate.Status.REVOKED)
    mandate.status, mandate.validated_at, mandate.validated_by = Mandate.Status.ACTIVE, timezone.now(), user
    mandate.save(update_fields=["status", "validated_at", "validated_by"])
    return mandate


# --- Debit files ---------------------------------------------------------------------------

class DebitError(ValidationError):
    pass


def _creditor(structure) -> InvoicingSettings:
    settings_row = InvoicingSettings.objects.filter(structure=structure).first()
    if settings_row is None or not (settings_row.creditor_identifier and settings_row.creditor_iban
                                    and settings_row.creditor_bic):
        raise DebitError(_("Renseignez l'identifiant créancier SEPA, l'IBAN et le BIC de la structure "
                           "(Paramètres de facturation)."))
    settings_row.full_clean()  # the creditor identifier, IBAN and BIC are checked again
    return settings_row


def validate_pain008(xml: bytes) -> None:
    """Raise unless the file is valid against the ISO 20022 pain.008.001.02 schema."""
    schema = etree.XMLSchema(etree.parse(str(XSD_PATH)))
    document = etree.fromstring(xml)
    if not schema.validate(document):
        raise DebitError(_("Le fichier de prélèvement n'est pas conforme au schéma ISO 20022 : %(error)s")
                         % {"error": schema.error_log.last_error})


@transaction.atomic
def debit_batch_create(*, structure, due_until: datetime.date, user=None,
                       today: datetime.date | None = None) -> DirectDebitBatch:
    """The debit file of the open invoices due by `due_until` of families with an active mandate."""
    from billing.ledger.services import payment_record

    creditor = _creditor(structure)
    today = today or dates.today()
    invoices = list(Invoice.objects.select_for_update(of=("self",))
                    .filter(structure=structure, status=Invoice.Status.FINALISED, credit_note__isnull=True,
                            due_date__lte=due_until, family__mandates__status=Mandate.Status.ACTIVE)
                    .select_related("family").order_by("due_date", "number"))
    selected = [row for row in invoice_rows(invoices, today=today) if row.is_open and row.left > 0]
    if not selected:
        raise DebitError(_("Aucune facture à prélever : aucune facture ouverte échue au %(date)s pour une famille "
                           "ayant un mandat actif.") % {"date": due_until.strftime("%d/%m/%Y")})
    collection = max([next_target_business_day(today)] + [invoice_debit_date(row.invoice) for row in selected])
    message_id = f"PF-{structure.pk}-{timezone.now():%Y%m%d%H%M%S}-{uuid.uuid4().hex[:6]}"[:35]
    batch = DirectDebitBatch.objects.create(structure=structure, due_until=due_until, collection_date=collection,
                                            message_id=message_id, created_by=user)
    sepa = sepaxml.SepaDD({"name": (creditor.creditor_name or creditor.legal_name or structure.name)[:70],
                           "IBAN": creditor.creditor_iban, "BIC": creditor.creditor_bic, "batch": True,
                           "creditor_id": creditor.creditor_identifier, "currency": "EUR"}, schema=SCHEMA, clean=True)
    mandates: dict[int, tuple[Mandate, str]] = {}
    total = Decimal("0.00")
    for row in selected:
        invoice = row.invoice
        if invoice.family_id not in mandates:
            mandate = Mandate.objects.select_for_update().get(family_id=invoice.family_id, status=Mandate.Status.ACTIVE)
            collected_before = mandate.debits.filter(status=DirectDebitTransaction.Status.SENT).exists()
            mandates[invoice.family_id] = (mandate, "RCUR" if collected_before else "FRST")
        mandate, sequence = mandates[invoice.family_id]
        end_to_end = f"{invoice.number}-{batch.pk}"[:35]
        # Each wallet its part of what is left, as an online payment of the invoice (wallet_split).
        payment = payment_record(family=invoice.family, date=collection, mode=Payment.Mode.DIRECT_DEBIT, amount=row.left,
                                 allocations=invoice_payment_split(invoice, row.left),
                                 piece_number=end_to_end, payer_name=mandate.holder_name, bank_name=mandate.bic)
        invoice_settle(invoice=invoice, payment=payment, amount=row.left)
        DirectDebitTransaction.objects.create(batch=batch, invoice=invoice, mandate=mandate, payment=payment,
                                              amount=row.left, sequence=sequence, end_to_end_id=end_to_end)
        sepa.add_payment({
            "name": mandate.holder_name, "IBAN": mandate.iban, **({"BIC": mandate.bic} if mandate.bic else {}),
            "amount": int(row.left * 100), "type": sequence, "collection_date": collection,
            "mandate_id": mandate.reference, "mandate_date": mandate.signed_on,
            "description": _("Facture %(number)s") % {"number": invoice.number}, "endtoend_id": end_to_end,
        })
        total += row.left
    xml = sepa.export(validate=True)
    validate_pain008(xml)  # the ISO 20022 schema itself, before the file is kept
    batch.xml, batch.transaction_count, batch.control_sum = xml.decode(), len(selected), total
    batch.save(update_fields=["xml", "transaction_count", "control_sum"])
    return batch


@transaction.atomic
def debit_return(*, debit: DirectDebitTransaction, on_date: datetime.date | None = None,
                 reason: str = "") -> DirectDebitTransaction:
    """The bank returned a debit: its payment is cancelled, the invoice is open again, the family told."""
    from billing.ledger.services import payment_correct

    debit = DirectDebitTransaction.objects.select_for_update().select_related("invoice", "payment").get(pk=debit.pk)
    if debit.status != DirectDebitTransaction.Status.SENT:
        raise DebitError(_("Ce prélèvement est déjà enregistré comme rejeté."))
    on_date = on_date or dates.today()
    InvoiceSettlement.objects.filter(payment_id=debit.payment_id).delete()
    payment_correct(payment=debit.payment, on_date=on_date,
                    note=_("Prélèvement rejeté : %(reason)s") % {"reason": reason or "—"})
    debit.status, debit.returned_on, debit.return_reason = DirectDebitTransaction.Status.RETURNED, on_date, reason[:200]
    debit.save(update_fields=["status", "returned_on", "return_reason"])
    settlements_refresh(family_id=debit.invoice.family_id)
    debit_returned.send(sender=DirectDebitTransaction, debit=debit, invoice=debit.invoice)
    return debit
