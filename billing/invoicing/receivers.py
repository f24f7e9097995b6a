"""Invoicing listens to the ledger (a payment recorded settles the family's open invoices, its
cancellation takes back what the payment it corrects settled) and
refuses to delete what has been issued. Imported by billing.apps at start-up, which connects the
decorated receivers."""
from django.db.models.signals import pre_delete
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from .models import CreditNote, ImmutableInvoiceError, Invoice
from .settlement import settlements_after_payment_recorded


def on_payment_recorded(sender, *, payment, **kwargs) -> None:
    settlements_after_payment_recorded(payment=payment)


# Deletions are refused by signal rather than in delete(): a queryset's delete() (or a cascade)
# sends pre_delete for every row it removes, it never calls the model's delete().
@receiver(pre_delete, sender=Invoice, dispatch_uid="billing.invoice_immutable")
def _refuse_deleting_a_final_invoice(sender, instance, **kwargs):
    if instance.status == Invoice.Status.FINALISED:
        raise ImmutableInvoiceError(_("Une facture émise ne se supprime pas : annulez-la par un avoir."))


@receiver(pre_delete, sender=CreditNote, dispatch_uid="billing.credit_note_immutable")
def _refuse_deleting_a_credit_note(sender, instance, **kwargs):
    raise ImmutableInvoiceError(_("Un avoir émis ne se supprime pas."))
