"""SEPA direct debit: a family's mandates, the debit files staff generate and their transactions.

A parent enters an IBAN: a mandate *requested*, used only once staff validated it (*active*).
A debit file takes open invoices of families with an active mandate; each becomes a
transaction (FRST on a mandate's first collection, RCUR after), recorded in the ledger as a
direct-debit payment settling that invoice ("prélevée"). A returned debit cancels that payment:
the invoice is open again and the family is told.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Family
from portal.models import Structure

from .models import Invoice


class Mandate(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", _("Demandé (à valider)")
        ACTIVE = "active", _("Actif")
        REVOKED = "revoked", _("Révoqué")

    structure = models.ForeignKey(Structure, on_delete=models.PROTECT, related_name="mandates", verbose_name=_("structure"))
    family = models.ForeignKey(Family, on_delete=models.PROTECT, related_name="mandates", verbose_name=_("famille"))
    reference = models.CharField(_("référence unique du mandat (RUM)"), max_length=35)
    holder_name = models.CharField(_("titulaire du compte"), max_length=70)
    iban = models.CharField(_("IBAN"), max_length=34)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    signed_on = models.DateField(_("signé le"))
    status = models.CharField(_("état"), max_length=10, choices=Status.choices, default=Status.REQUESTED)
    created_at = models.DateTimeField(_("demandé le"), auto_now_add=True)
    validated_at = models.DateTimeField(_("validé le"), null=True, blank=True)
    validated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("validé par"))

    class Meta:
        verbose_name = _("mandat de prélèvement")
        verbose_name_plural = _("mandats de prélèvement")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["structure", "reference"], name="mandate_reference_unique_per_structure"),
            models.UniqueConstraint(fields=["family"], condition=Q(status="active"), name="mandate_one_active_per_family"),
        ]

    def __str__(self):
        return f"{self.reference} ({self.holder_name})"

    @property
    def masked_iban(self) -> str:
        return f"{self.iban[:4]} **** **** {self.iban[-4:]}"


class DirectDebitBatch(models.Model):
    """One pain.008 file: the invoices due selected, validated against the ISO 20022 schema."""

    structure = models.ForeignKey(Structure, on_delete=models.PROTECT, related_name="debit_batches",
                                  verbose_name=_("structure"))
    due_until = models.DateField(_("factures échues au plus tard le"))
    collection_date = models.DateField(_("date de prélèvement"))
    message_id = models.CharField(_("identifiant du fichier"), max_length=35)
    transaction_count = models.PositiveIntegerField(_("nombre d'opérations"), default=0)
    control_sum = models.DecimalField(_("montant total (€)"), max_digits=12, decimal_places=2, default=0)
    xml = models.TextField(_("fichier pain.008"), blank=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("par"))

    class Meta:
        verbose_name = _("fichier de prélèvement")
        verbose_name_plural = _("fichiers de prélèvement")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        when = self.collection_date.strftime("%d/%m/%Y") if self.collection_date else "—"
        return f"{self.structure} — {when} ({self.transaction_count})"


class DirectDebitTransaction(models.Model):
    class Sequence(models.TextChoices):
        FIRST = "FRST", _("Premier prélèvement")
        RECURRING = "RCUR", _("Prélèvement récurrent")

    class Status(models.TextChoices):
        SENT = "sent", _("Envoyé à la banque")
        RETURNED = "returned", _("Rejeté / retourné")

    batch = models.ForeignKey(DirectDebitBatch, on_delete=models.PROTECT, related_name="transactions",
                              verbose_name=_("fichier"))
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="debits", verbose_name=_("facture"))
    mandate = models.ForeignKey(Mandate, on_delete=models.PROTECT, related_name="debits", verbose_name=_("mandat"))
    payment = models.OneToOneField("billing.Payment", on_delete=models.PROTECT, related_name="direct_debit",
                                   verbose_name=_("règlement"))
    amount = models.DecimalField(_("montant (€)"), max_digits=10, decimal_places=2)
    sequence = models.CharField(_("séquence"), max_length=4, choices=Sequence.choices)
    end_to_end_id = models.CharField(_("référence de bout en bout"), max_length=35)
    status = models.CharField(_("état"), max_length=10, choices=Status.choices, default=Status.SENT)
    returned_on = models.DateField(_("retourné le"), null=True, blank=True)
    return_reason = models.CharField(_("motif du rejet"), max_length=200, blank=True)

    structure_path = "batch__structure"

    class Meta:
        verbose_name = _("prélèvement")
        verbose_name_plural = _("prélèvements")
        ordering = ["batch", "id"]
        constraints = [
            models.UniqueConstraint(fields=["invoice"], condition=Q(status="sent"), name="debit_one_live_per_invoice"),
        ]

    def __str__(self):
        return f"{self.invoice} {self.amount} € ({self.get_status_display()})"
