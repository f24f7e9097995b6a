"""Wallets, tariffs, consumptions and payments: a ledger, never a number edited by hand.

A family's balance in a wallet is derived: payments allocated to it minus consumptions
charged to it. Corrections are new lines (a negative consumption, a new allocation),
so history is never lost.
"""
from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Child, Family
from portal.models import Structure

CENT = Decimal("0.01")


class Wallet(models.Model):
    """A purse for one group of services ("Restauration", "Accueil de Loisirs")."""

    class Mode(models.TextChoices):
        PREPAID = "prepaid", _("Prépayé")
        INVOICED = "invoiced", _("Sur facture")

    structure = models.ForeignKey(Structure, on_delete=models.PROTECT, related_name="wallets", verbose_name=_("structure"))
    name = models.CharField(_("nom"), max_length=100)
    mode = models.CharField(_("mode"), max_length=10, choices=Mode.choices, default=Mode.PREPAID)
    position = models.PositiveSmallIntegerField(_("ordre d'affichage"), default=0)

    class Meta:
        verbose_name = _("porte-monnaie")
        verbose_name_plural = _("porte-monnaie")
        ordering = ["structure", "position", "name"]
        constraints = [models.UniqueConstraint(fields=["structure", "name"], name="wallet_name_unique_per_structure")]

    def __str__(self):
        return self.name

    @property
    def is_prepaid(self) -> bool:
        return self.mode == self.Mode.PREPAID


class Tariff(models.Model):
    """How one unit of an activity is priced; the amounts live in dated rates."""

    class Kind(models.TextChoices):
        FLAT = "flat", _("Forfait par jour")
        PER_TIME_UNIT = "per_time_unit", _("Par unité de temps commencée")

    structure = models.ForeignKey(Structure, on_delete=models.PROTECT, related_name="tariffs", verbose_name=_("structure"))
    name = models.CharField(_("nom"), max_length=100)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, default=Kind.FLAT)
    unit_minutes = models.PositiveSmallIntegerField(
        _("durée de l'unité (minutes)"), null=True, blank=True,
        help_text=_("Pour un tarif par unité de temps : 15 = par quart d'heure commencé."),
    )

    class Meta:
        verbose_name = _("tarif")
        verbose_name_plural = _("tarifs")
        ordering = ["structure", "name"]

    def __str__(self):
        return self.name


class TariffRate(models.Model):
    """An amount valid over a period, optionally for a family-quotient bracket."""

    tariff = models.ForeignKey(Tariff, on_delete=models.CASCADE, related_name="rates", verbose_name=_("tarif"))
    valid_from = models.DateField(_("valable du"))
    valid_until = models.DateField(_("valable jusqu'au"), null=True, blank=True)
    quotient_min = models.DecimalField(_("QF minimum"), max_digits=8, decimal_places=2, null=True, blank=True)
    quotient_max = models.DecimalField(
        _("QF maximum (exclu)"), max_digits=8, decimal_places=2, null=True, blank=True,
    )
    amount = models.DecimalField(_("montant unitaire (€)"), max_digits=10, decimal_places=4, validators=[MinValueValidator(0)])

    class Meta:
        verbose_name = _("tranche de tarif")
        verbose_name_plural = _("tranches de tarif")
        ordering = ["tariff", "-valid_from", "quotient_min"]

    def __str__(self):
        return f"{self.tariff} — {self.amount} €"


class Consumption(models.Model):
    """A posted line: what a child consumed on a day, charged to a wallet."""

    family = models.ForeignKey(Family, on_delete=models.PROTECT, related_name="consumptions", verbose_name=_("famille"))
    child = models.ForeignKey(Child, on_delete=models.PROTECT, null=True, blank=True, related_name="consumptions",
                              verbose_name=_("consommateur"))
    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="consumptions", verbose_name=_("porte-monnaie"))
    day = models.DateField(_("jour"))
    activity_label = models.CharField(_("activité"), max_length=150)
    unit_price = models.DecimalField(_("prix"), max_digits=10, decimal_places=4)
    quantity = models.DecimalField(_("quantité"), max_digits=8, decimal_places=2, default=Decimal("1"))
    total = models.DecimalField(_("total (€)"), max_digits=10, decimal_places=2)
    # Who posted it; the nightly job sets a key ("reservation:42") so a rerun never posts twice.
    source_key = models.CharField(_("origine"), max_length=80, blank=True, default="")
    correction_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections", verbose_name=_("corrige la ligne"),
    )
    note = models.CharField(_("remarque"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("saisie le"), auto_now_add=True)

    structure_path = "family__structure"

    class Meta:
        verbose_name = _("consommation")
        verbose_name_plural = _("consommations")
        ordering = ["-day", "id"]
        indexes = [models.Index(fields=["family", "day"]), models.Index(fields=["wallet", "family"])]
        constraints = [
            models.UniqueConstraint(fields=["source_key"], condition=~Q(source_key=""), name="consumption_source_key_unique"),
        ]

    def __str__(self):
        return f"{self.day:%d/%m/%Y} {self.activity_label} {self.total} €"


class Payment(models.Model):
    """Money received from a family, allocated to one or more wallets."""

    class Mode(models.TextChoices):
        CHEQUE = "cheque", _("Chèque")
        CASH = "cash", _("Espèces")
        CARD = "card", _("Carte bancaire")
        INTERNET = "internet", _("Internet")
        DIRECT_DEBIT = "direct_debit", _("Prélèvement")
        CESU = "cesu", _("CESU")
        TRANSFER = "transfer", _("Virement")
        VACATION_VOUCHER = "ancv", _("Chèque vacances")

    family = models.ForeignKey(Family, on_delete=models.PROTECT, related_name="payments", verbose_name=_("famille"))
    date = models.DateField(_("date"))
    mode = models.CharField(_("mode de règlement"), max_length=20, choices=Mode.choices)
    piece_number = models.CharField(_("n° de pièce"), max_length=60, blank=True)
    payer_name = models.CharField(_("nom du payeur"), max_length=150, blank=True)
    bank_name = models.CharField(_("nom de la banque"), max_length=100, blank=True)
    amount = models.DecimalField(_("montant (€)"), max_digits=10, decimal_places=2)
    # Set by imports and the demo ("demo:guide:cheque-2578012") so a rerun never records twice.
    source_key = models.CharField(_("origine"), max_length=80, blank=True, default="")
    correction_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections",
        verbose_name=_("corrige le règlement"),
    )
    note = models.CharField(_("remarque"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("saisi le"), auto_now_add=True)

    structure_path = "family__structure"

    class Meta:
        verbose_name = _("règlement")
        verbose_name_plural = _("règlements")
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["family", "date"])]
        constraints = [
            models.UniqueConstraint(fields=["source_key"], condition=~Q(source_key=""), name="payment_source_key_unique"),
        ]

    def __str__(self):
        return f"{self.date:%d/%m/%Y} {self.get_mode_display()} {self.amount} €"


class PaymentAllocation(models.Model):
    """The part of a payment credited to one wallet."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="allocations", verbose_name=_("règlement"))
    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="allocations", verbose_name=_("porte-monnaie"))
    amount = models.DecimalField(_("montant (€)"), max_digits=10, decimal_places=2)

    structure_path = "payment__family__structure"

    class Meta:
        verbose_name = _("affectation")
        verbose_name_plural = _("affectations")

    def __str__(self):
        return f"{self.wallet}: {self.amount} €"


# Invoicing's models live with their flow (billing/invoicing/), in this app and its migrations.
from billing.invoicing.models import (  # noqa: E402, F401 (re-exported: billing.models.Invoice…)
    CreditNote,
    Invoice,
    InvoiceCounter,
    InvoicedConsumption,
    InvoiceLine,
    InvoiceReminder,
    InvoiceSettlement,
    InvoicingRun,
    InvoicingSettings,
    TaxCertificate,
    TaxCreditRule,
)
from billing.invoicing.sepa_models import DirectDebitBatch, DirectDebitTransaction, Mandate  # noqa: E402, F401

# Online payment (billing/payments/): defined there, registered with the app from here.
from billing.payments.models import AttemptAllocation, AttemptEvent, PaymentAttempt, ProviderConfig  # noqa: E402, F401
