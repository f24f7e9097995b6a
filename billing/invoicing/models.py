"""Invoices of the invoiced wallets, their lines, credit notes and the numbering counters.

A structure invoices a month in a run (``InvoicingRun``): one draft per family from the
consumption lines of its invoiced wallets not invoiced yet, grouped by child and activity.
Finalising gives each draft its number from the counter of its structure, year and series,
taken under a row lock: numbers have no gap and no duplicate. A finalised invoice is never
edited nor deleted (the model refuses it, the admin offers neither); cancelling one issues a
credit note in its own series. Each consumption line is invoiced at most once
(``InvoicedConsumption`` is one row per line): a line posted after its month was finalised
goes to the next month's invoice.

These models belong to the billing app (billing.models imports them).
"""
from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Child, Family
from portal.models import Structure

DEFAULT_INVOICE_FORMAT = "F{year}-{number:06d}"
DEFAULT_CREDIT_NOTE_FORMAT = "A{year}-{number:06d}"


class ImmutableInvoiceError(ValidationError):
    """A finalised invoice (or one of its lines) was about to be changed or deleted."""


def _check_number_format(value: str) -> None:
    try:
        value.format(year=2026, number=1)
    except (KeyError, IndexError, ValueError) as error:
        raise ValidationError(_("Format invalide : utilisez {year} et {number}, par exemple F{year}-{number:06d}.")) from error
    if "{number" not in value:
        raise ValidationError(_("Le format doit contenir {number}."))


class InvoicingSettings(models.Model):
    """What a structure prints on its invoices and how it numbers them."""

    structure = models.OneToOneField(Structure, on_delete=models.CASCADE, related_name="invoicing_settings",
                                     verbose_name=_("structure"))
    legal_name = models.CharField(_("raison sociale"), max_length=200, blank=True,
                                  help_text=_("Vide : le nom de la structure."))
    siret = models.CharField(_("SIRET"), max_length=14, blank=True)
    invoice_number_format = models.CharField(_("format des numéros de facture"), max_length=40,
                                             default=DEFAULT_INVOICE_FORMAT, validators=[_check_number_format])
    credit_note_number_format = models.CharField(_("format des numéros d'avoir"), max_length=40,
                                                 default=DEFAULT_CREDIT_NOTE_FORMAT, validators=[_check_number_format])
    payment_days = models.PositiveSmallIntegerField(_("délai de paiement (jours)"), default=30)
    payment_instructions = models.TextField(_("modalités de paiement au guichet"), blank=True,
                                            help_text=_("Par exemple : chèque à l'ordre du Trésor public, en mairie."))
    first_reminder_days = models.PositiveSmallIntegerField(_("première relance (jours après l'échéance)"), default=7)
    second_reminder_days = models.PositiveSmallIntegerField(_("deuxième relance (jours après l'échéance)"), default=30,
                                                            help_text=_("0 : pas de deuxième relance."))
    # SEPA direct debit: the creditor (the structure's account) and its identifier (ICS).
    creditor_name = models.CharField(_("créancier SEPA (nom)"), max_length=70, blank=True)
    creditor_identifier = models.CharField(_("identifiant créancier SEPA (ICS)"), max_length=35, blank=True)
    creditor_iban = models.CharField(_("IBAN du créancier"), max_length=34, blank=True)
    creditor_bic = models.CharField(_("BIC du créancier"), max_length=11, blank=True)

    structure_path = "structure"

    class Meta:
        verbose_name = _("paramètres de facturation")
        verbose_name_plural = _("paramètres de facturation")

    def __str__(self):
        return str(self.structure)

    def clean(self):
        from .sepa_checks import check_bic, check_creditor_identifier, check_iban

        errors = {}
        if self.siret and not (self.siret.isdigit() and len(self.siret) == 14):
            errors["siret"] = _("Un SIRET a 14 chiffres.")
        for field, check in (("creditor_identifier", check_creditor_identifier), ("creditor_iban", check_iban),
                             ("creditor_bic", check_bic)):
            value = getattr(self, field)
            if value:
                try:
                    setattr(self, field, check(value))
                except ValidationError as error:
                    errors[field] = error.messages
        if errors:
            raise ValidationError(errors)


class InvoiceCounter(models.Model):
    """The last number given in one series of one structure and year (locked to number)."""

    class Series(models.TextChoices):
        INVOICE = "invoice", _("Factures")
        CREDIT_NOTE = "credit_note", _("Avoirs")
        TAX_CERTIFICATE = "certificate", _("Attestations fiscales")

    structure = models.ForeignKey(Structure, on_delete=models.CASCADE, related_name="invoice_counters",
                                  verbose_name=_("structure"))
    year = models.PositiveSmallIntegerField(_("année"))
    series = models.CharField(_("série"), max_length=12, choices=Series.choices)
    last_number = models.PositiveIntegerField(_("dernier numéro"), default=0)

    class Meta:
        verbose_name = _("compteur de numéros")
        verbose_name_plural = _("compteurs de numéros")
        constraints = [models.UniqueConstraint(fields=["structure", "year", "series"], name="invoice_counter_unique")]

    def __str__(self):
        return f"{self.structure} {self.year} {self.series}: {self.last_number}"


class InvoicingRun(models.Model):
    """The invoicing of one month for one structure: its drafts, reviewed, then finalised."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Brouillons à vérifier")
        FINALISED = "finalised", _("Finalisée")

    structure = models.ForeignKey(Structure, on_delete=models.PROTECT, related_name="invoicing_runs",
                                  verbose_name=_("structure"))
    month = models.DateField(_("mois facturé"), help_text=_("Le premier jour du mois."))
    status = models.CharField(_("état"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    drafted_at = models.DateTimeField(_("brouillons calculés le"), null=True, blank=True)
    finalised_at = models.DateTimeField(_("finalisée le"), null=True, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("lancée par"))

    class Meta:
        verbose_name = _("facturation mensuelle")
        verbose_name_plural = _("facturations mensuelles")
        ordering = ["-month", "structure"]
        constraints = [models.UniqueConstraint(fields=["structure", "month"], name="invoicing_run_unique_month")]

    def __str__(self):
        from portal.dates import month_label

        return f"{self.structure} — {month_label(self.month.year, self.month.month)}"


class Invoice(models.Model):
    """A family's bill for one month of its invoiced wallets. Immutable once finalised."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        FINALISED = "finalised", _("Émise")

    structure = models.ForeignKey(Structure, on_delete=models.PROTECT, related_name="invoices", verbose_name=_("structure"))
    family = models.ForeignKey(Family, on_delete=models.PROTECT, related_name="invoices", verbose_name=_("famille"))
    run = models.ForeignKey(InvoicingRun, on_delete=models.PROTECT, related_name="invoices", verbose_name=_("facturation"))
    month = models.DateField(_("mois"))
    status = models.CharField(_("état"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    number = models.CharField(_("numéro"), max_length=40, blank=True)
    # What was printed: the payer as it was when the invoice was issued.
    payer_name = models.CharField(_("payeur"), max_length=200)
    payer_address = models.TextField(_("adresse du payeur"), blank=True)
    total = models.DecimalField(_("total (€)"), max_digits=10, decimal_places=2, default=Decimal("0.00"))
    issued_on = models.DateField(_("émise le"), null=True, blank=True)
    due_date = models.DateField(_("à payer avant le"), null=True, blank=True)
    created_at = models.DateTimeField(_("calculée le"), auto_now_add=True)
    finalised_at = models.DateTimeField(_("finalisée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("facture")
        verbose_name_plural = _("factures")
        ordering = ["-month", "number", "id"]
        constraints = [
            models.UniqueConstraint(fields=["structure", "number"], condition=~models.Q(number=""),
                                    name="invoice_number_unique_per_structure"),
            models.UniqueConstraint(fields=["run", "family"], name="invoice_one_per_family_and_run"),
        ]
        indexes = [models.Index(fields=["family", "status", "month"])]

    def __str__(self):
        return self.number or str(_("Brouillon %(family)s") % {"family": self.payer_name})

    def save(self, *args, **kwargs):
        if self._stored_is_final():
            raise ImmutableInvoiceError(_("Une facture émise ne se modifie pas : annulez-la par un avoir."))
        super().save(*args, **kwargs)

    @property
    def is_final(self) -> bool:
        return self.status == self.Status.FINALISED

    def _stored_is_final(self) -> bool:
        return bool(self.pk) and Invoice.objects.filter(pk=self.pk, status=self.Status.FINALISED).exists()



class InvoiceLine(models.Model):
    """One child's consumption of one activity at one unit price over the month."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines", verbose_name=_("facture"))
    child = models.ForeignKey(Child, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                              verbose_name=_("enfant"))
    child_name = models.CharField(_("enfant"), max_length=200, blank=True)
    wallet_name = models.CharField(_("porte-monnaie"), max_length=100)
    activity_label = models.CharField(_("activité"), max_length=150)
    date_from = models.DateField(_("du"))
    date_to = models.DateField(_("au"))
    quantity = models.DecimalField(_("quantité"), max_digits=10, decimal_places=2)
    unit_price = models.DecimalField(_("prix unitaire"), max_digits=10, decimal_places=4)
    total = models.DecimalField(_("total (€)"), max_digits=10, decimal_places=2)
    # The part of the total eligible for the childcare tax credit (meals excluded), fixed when drafted.
    tax_credit_eligible = models.DecimalField(_("part éligible au crédit d'impôt (€)"), max_digits=10, decimal_places=2,
                                              default=Decimal("0.00"))
    position = models.PositiveIntegerField(_("ordre"), default=0)

    structure_path = "invoice__structure"

    class Meta:
        verbose_name = _("ligne de facture")
        verbose_name_plural = _("lignes de facture")
        ordering = ["invoice", "position", "id"]

    def __str__(self):
        return f"{self.child_name} {self.activity_label} {self.total} €"

    def save(self, *args, **kwargs):
        if self._invoice_is_final():
            raise ImmutableInvoiceError(_("Une facture émise ne se modifie pas : annulez-la par un avoir."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self._invoice_is_final():
            raise ImmutableInvoiceError(_("Une facture émise ne se modifie pas : annulez-la par un avoir."))
        return super().delete(*args, **kwargs)

    def _invoice_is_final(self) -> bool:
        return Invoice.objects.filter(pk=self.invoice_id, status=Invoice.Status.FINALISED).exists()


class CreditNote(models.Model):
    """The cancellation of one finalised invoice, numbered in its own series."""

    structure = models.ForeignKey(Structure, on_delete=models.PROTECT, related_name="credit_notes",
                                  verbose_name=_("structure"))
    invoice = models.OneToOneField(Invoice, on_delete=models.PROTECT, related_name="credit_note",
                                   verbose_name=_("facture annulée"))
    number = models.CharField(_("numéro"), max_length=40)
    issued_on = models.DateField(_("émis le"))
    total = models.DecimalField(_("montant (€)"), max_digits=10, decimal_places=2)
    reason = models.CharField(_("motif"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("par"))

    class Meta:
        verbose_name = _("avoir")
        verbose_name_plural = _("avoirs")
        ordering = ["-issued_on", "-id"]
        constraints = [models.UniqueConstraint(fields=["structure", "number"], name="credit_note_number_unique")]

    def __str__(self):
        return self.number

    def save(self, *args, **kwargs):
        if self.pk and CreditNote.objects.filter(pk=self.pk).exists():
            raise ImmutableInvoiceError(_("Un avoir émis ne se modifie pas."))
        super().save(*args, **kwargs)



class InvoicedConsumption(models.Model):
    """A consumption line taken by an invoice (or, for its opposite line, by a credit note):
    one row per consumption, so no line is ever invoiced twice."""

    consumption = models.OneToOneField("billing.Consumption", on_delete=models.PROTECT, related_name="invoiced",
                                       verbose_name=_("consommation"))
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, null=True, blank=True, related_name="consumption_links",
                                verbose_name=_("facture"))
    line = models.ForeignKey(InvoiceLine, on_delete=models.CASCADE, null=True, blank=True, related_name="consumption_links",
                             verbose_name=_("ligne"))
    credit_note = models.ForeignKey(CreditNote, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="consumption_links", verbose_name=_("avoir"))

    structure_path = "consumption__family__structure"

    class Meta:
        verbose_name = _("consommation facturée")
        verbose_name_plural = _("consommations facturées")

    def __str__(self):
        return f"{self.consumption_id} → {self.invoice_id or self.credit_note_id}"


class InvoiceSettlement(models.Model):
    """The part of a payment that settles an invoice. Computed oldest invoice first from the
    family's payments to invoiced wallets, except the chosen ones (kept as they are): chosen by
    staff, or by the parent who paid this invoice online (billing.invoicing.online)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="settlements", verbose_name=_("facture"))
    payment = models.ForeignKey("billing.Payment", on_delete=models.PROTECT, related_name="invoice_settlements",
                                verbose_name=_("règlement"))
    amount = models.DecimalField(_("montant (€)"), max_digits=10, decimal_places=2)
    chosen_by_staff = models.BooleanField(_("choisie par le personnel"), default=False)
    chosen_online = models.BooleanField(_("payée en ligne pour cette facture"), default=False)
    created_at = models.DateTimeField(_("le"), auto_now_add=True)

    structure_path = "invoice__structure"

    class Meta:
        verbose_name = _("affectation à une facture")
        verbose_name_plural = _("affectations aux factures")
        ordering = ["invoice", "payment__date", "id"]
        constraints = [models.UniqueConstraint(fields=["invoice", "payment"], name="invoice_settlement_unique")]

    def __str__(self):
        return f"{self.payment} → {self.invoice}: {self.amount} €"

    @property
    def is_chosen(self) -> bool:
        return self.chosen_by_staff or self.chosen_online


class TaxCreditRule(models.Model):
    """The share of an activity's price eligible for the childcare tax credit ("frais de garde"
    of children under 6): 100 % for care, 0 % for meals (an activity without a rule: 0 %)."""

    structure = models.ForeignKey(Structure, on_delete=models.CASCADE, related_name="tax_credit_rules",
                                  verbose_name=_("structure"))
    activity_label = models.CharField(_("activité (libellé des consommations)"), max_length=150)
    share_percent = models.DecimalField(_("part éligible (%)"), max_digits=5, decimal_places=2,
                                        validators=[MinValueValidator(0), MaxValueValidator(100)])

    class Meta:
        verbose_name = _("part éligible au crédit d'impôt")
        verbose_name_plural = _("parts éligibles au crédit d'impôt")
        ordering = ["structure", "activity_label"]
        constraints = [models.UniqueConstraint(fields=["structure", "activity_label"], name="tax_credit_rule_unique")]

    def __str__(self):
        return f"{self.activity_label}: {self.share_percent} %"


class InvoiceReminder(models.Model):
    """A reminder sent for an unpaid invoice: one row per invoice and level, so never sent twice."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="reminders", verbose_name=_("facture"))
    level = models.PositiveSmallIntegerField(_("niveau"))
    sent_on = models.DateField(_("envoyée le"))
    amount_due = models.DecimalField(_("restant dû (€)"), max_digits=10, decimal_places=2)

    structure_path = "invoice__structure"

    class Meta:
        verbose_name = _("relance")
        verbose_name_plural = _("relances")
        ordering = ["-sent_on", "-id"]
        constraints = [models.UniqueConstraint(fields=["invoice", "level"], name="invoice_reminder_once_per_level")]

    def __str__(self):
        return f"{self.invoice} — {self.level}"


class TaxCertificate(models.Model):
    """A numbered yearly certificate of childcare paid for one child under 6 (never changed once numbered)."""

    structure = models.ForeignKey(Structure, on_delete=models.PROTECT, related_name="tax_certificates",
                                  verbose_name=_("structure"))
    family = models.ForeignKey(Family, on_delete=models.PROTECT, related_name="tax_certificates", verbose_name=_("famille"))
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="tax_certificates", verbose_name=_("enfant"))
    year = models.PositiveSmallIntegerField(_("année"))
    number = models.CharField(_("numéro"), max_length=40)
    amount = models.DecimalField(_("montant payé éligible (€)"), max_digits=10, decimal_places=2)
    child_name = models.CharField(_("enfant"), max_length=200)
    child_birth_date = models.DateField(_("date de naissance"), null=True, blank=True)
    created_at = models.DateTimeField(_("établie le"), auto_now_add=True)

    class Meta:
        verbose_name = _("attestation fiscale")
        verbose_name_plural = _("attestations fiscales")
        ordering = ["-year", "number"]
        constraints = [
            models.UniqueConstraint(fields=["child", "year"], name="tax_certificate_once_per_child_and_year"),
            models.UniqueConstraint(fields=["structure", "number"], name="tax_certificate_number_unique"),
        ]

    def __str__(self):
        return f"{self.number} {self.child_name} {self.year}"

