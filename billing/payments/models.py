"""Online payment: a structure's provider settings and each attempt to pay, with its history.

An attempt goes created → sent → paid / refused / cancelled / expired, each change an event
row saying who caused it (the provider's notification, the browser's return, a poll, staff).
A paid attempt points at the one ledger Payment it became; (provider, bank reference) is
unique, so a resent notification can never record the same money twice. Where that Payment
goes is planned when the attempt starts (``AttemptAllocation``: one row per wallet, adding up
to the amount), so recording it needs nothing from the flows above payments.

Relations to billing's ledger models are by name ("billing.Wallet"): billing/models.py
imports this module, so it cannot import billing.models back.
"""
from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Family
from portal.models import Structure


class ProviderConfig(models.Model):
    """How one structure is paid online: which provider, its identifiers and keys, the bounds
    of a top-up. Secret keys are written in the admin, never shown back (write-only fields)."""

    class Kind(models.TextChoices):
        PAYFIP = "payfip_ws", _("PayFiP (DGFiP)")
        SYSTEMPAY = "systempayv2", _("Systempay")
        PAYZEN = "payzen", _("PayZen")
        DUMMY = "dummy", _("Simulation (développement uniquement)")

    class SignatureAlgo(models.TextChoices):
        SHA1 = "sha1", "SHA-1"
        HMAC_SHA256 = "hmac_sha256", "HMAC-SHA-256"

    structure = models.ForeignKey(Structure, on_delete=models.PROTECT, related_name="payment_providers",
                                  verbose_name=_("structure"))
    kind = models.CharField(_("prestataire"), max_length=20, choices=Kind.choices)
    is_active = models.BooleanField(_("actif"), default=True,
                                    help_text=_("Un seul prestataire actif par structure : celui que les familles utilisent."))
    production = models.BooleanField(_("mode production"), default=False,
                                     help_text=_("Décoché : mode test (aucun débit réel)."))
    identifier = models.CharField(
        _("identifiant"), max_length=40,
        help_text=_("Systempay / PayZen : identifiant de la boutique (8 chiffres). PayFiP : numéro client (6 chiffres)."),
    )
    secret_test = models.CharField(_("clé de test"), max_length=200, blank=True)
    secret_production = models.CharField(_("clé de production"), max_length=200, blank=True)
    signature_algo = models.CharField(_("algorithme de signature"), max_length=12, choices=SignatureAlgo.choices,
                                      default=SignatureAlgo.HMAC_SHA256)
    service_url = models.URLField(_("adresse du service"), blank=True,
                                  help_text=_("Laisser vide pour l'adresse officielle du prestataire."))
    topup_min = models.DecimalField(_("recharge minimum (€)"), max_digits=8, decimal_places=2, default=Decimal("10.00"),
                                    validators=[MinValueValidator(Decimal("1.00"))])
    topup_max = models.DecimalField(_("recharge maximum (€)"), max_digits=8, decimal_places=2, default=Decimal("500.00"),
                                    validators=[MinValueValidator(Decimal("1.00"))])
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("prestataire de paiement en ligne")
        verbose_name_plural = _("prestataires de paiement en ligne")
        ordering = ["structure", "-is_active", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["structure"], condition=Q(is_active=True), name="one_active_provider_per_structure"),
            models.CheckConstraint(condition=Q(topup_min__lte=models.F("topup_max")), name="provider_topup_min_lte_max"),
        ]

    def __str__(self):
        mode = _("production") if self.production else _("test")
        return f"{self.get_kind_display()} ({mode})"

    @property
    def secret(self) -> str:
        return self.secret_production if self.production else self.secret_test


class PaymentAttempt(models.Model):
    """One try to pay online: amount and wallet decided by the server, result from the provider."""

    class State(models.TextChoices):
        CREATED = "created", _("Créé")
        SENT = "sent", _("Envoyé au prestataire")
        PAID = "paid", _("Payé")
        REFUSED = "refused", _("Refusé")
        CANCELLED = "cancelled", _("Abandonné")
        EXPIRED = "expired", _("Expiré")

    class Purpose(models.TextChoices):
        TOPUP = "topup", _("Recharge")
        DUE = "due", _("Paiement du montant dû")
        INVOICE = "invoice", _("Paiement d'une facture")

    FINAL_STATES = (State.PAID, State.REFUSED, State.CANCELLED, State.EXPIRED)

    reference = models.CharField(_("référence"), max_length=32, unique=True)
    structure = models.ForeignKey(Structure, on_delete=models.PROTECT, related_name="payment_attempts",
                                  verbose_name=_("structure"))
    family = models.ForeignKey(Family, on_delete=models.PROTECT, related_name="payment_attempts", verbose_name=_("famille"))
    wallet = models.ForeignKey("billing.Wallet", on_delete=models.PROTECT, related_name="payment_attempts",
                               verbose_name=_("porte-monnaie"))
    provider_config = models.ForeignKey(ProviderConfig, on_delete=models.PROTECT, related_name="attempts",
                                        verbose_name=_("prestataire"))
    provider = models.CharField(_("type de prestataire"), max_length=20, choices=ProviderConfig.Kind.choices)
    production = models.BooleanField(_("mode production"), default=False)
    purpose = models.CharField(_("objet"), max_length=10, choices=Purpose.choices, default=Purpose.TOPUP)
    # The invoice an "invoice" attempt pays (set by the server only): its Payment settles it first.
    invoice = models.ForeignKey("billing.Invoice", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="payment_attempts", verbose_name=_("facture"))
    label = models.CharField(_("libellé"), max_length=150, blank=True)
    amount = models.DecimalField(_("montant (€)"), max_digits=10, decimal_places=2,
                                 validators=[MinValueValidator(Decimal("0.01"))])
    currency = models.CharField(_("devise"), max_length=3, default="EUR")
    state = models.CharField(_("état"), max_length=10, choices=State.choices, default=State.CREATED)
    # The provider's id of the transaction (Systempay: our reference; PayFiP: the idOp it gave).
    transaction_id = models.CharField(_("identifiant de transaction"), max_length=64, blank=True)
    # The provider's reference of the money received: unique per provider (a resent notification
    # carries the same one, and cannot make a second Payment).
    bank_reference = models.CharField(_("référence bancaire"), max_length=100, blank=True)
    authorisation_number = models.CharField(_("n° d'autorisation"), max_length=60, blank=True)
    bank_status = models.CharField(_("réponse du prestataire"), max_length=300, blank=True)
    payment = models.OneToOneField("billing.Payment", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="online_attempt", verbose_name=_("règlement"))
    flagged = models.BooleanField(_("à vérifier"), default=False)
    flag_reason = models.TextField(_("motif de vérification"), blank=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)
    last_polled_at = models.DateTimeField(_("dernière interrogation le"), null=True, blank=True)

    structure_path = "structure"

    class Meta:
        verbose_name = _("paiement en ligne")
        verbose_name_plural = _("paiements en ligne")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "created_at"]), models.Index(fields=["provider", "transaction_id"])]
        constraints = [
            models.UniqueConstraint(fields=["provider", "bank_reference"], condition=~Q(bank_reference=""),
                                    name="attempt_unique_provider_bank_reference"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="attempt_amount_positive"),
            models.CheckConstraint(condition=Q(purpose="invoice", invoice__isnull=False)
                                   | (~Q(purpose="invoice") & Q(invoice__isnull=True)),
                                   name="attempt_invoice_iff_invoice_purpose"),
        ]

    def __str__(self):
        return f"{self.reference} {self.amount} € ({self.get_state_display()})"

    @property
    def is_final(self) -> bool:
        return self.state in self.FINAL_STATES

    def allocation_plan(self) -> list[tuple]:
        """[(wallet, amount)] the Payment of this attempt is allocated to: its planned rows, or
        the whole amount to its wallet (a row written by hand, without a plan)."""
        rows = [(row.wallet, row.amount) for row in self.planned_allocations.all()]  # prefetched by lists
        return rows or [(self.wallet, self.amount)]

    def wallet_names(self) -> str:
        """'Restauration' or 'Restauration, Accueil Périscolaire': where the money goes."""
        return ", ".join(wallet.name for wallet, _amount in self.allocation_plan())


class AttemptAllocation(models.Model):
    """The part of an attempt's amount planned for one wallet, written with the attempt.

    Why rows written at the start rather than asking, once paid, the flow that started the
    attempt (a registry): the split is fixed with the amount the parent agreed to pay, so the
    Payment recorded under the attempt's lock cannot drift from it (a desk payment meanwhile
    changes what is left on an invoice, not this plan); billing.payments never imports the
    invoicing above it; the rows keep the wallets protected (foreign keys) and are what staff's
    export and the receipt read. The service checks they add up to the attempt's amount.
    A top-up or the payment of what is owed has one row (its wallet); an invoice over several
    wallets one per wallet (billing.invoicing.wallet_split).
    """

    attempt = models.ForeignKey(PaymentAttempt, on_delete=models.CASCADE, related_name="planned_allocations",
                                verbose_name=_("paiement en ligne"))
    wallet = models.ForeignKey("billing.Wallet", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("porte-monnaie"))
    amount = models.DecimalField(_("montant (€)"), max_digits=10, decimal_places=2)

    structure_path = "attempt__structure"

    class Meta:
        verbose_name = _("affectation prévue")
        verbose_name_plural = _("affectations prévues")
        ordering = ["attempt", "id"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "wallet"], name="attempt_allocation_one_per_wallet"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="attempt_allocation_amount_positive"),
        ]

    def __str__(self):
        return f"{self.wallet}: {self.amount} €"


class AttemptEvent(models.Model):
    """One change of an attempt (or one refusal of what a provider sent about it)."""

    class Source(models.TextChoices):
        PARENT = "parent", _("Famille")
        NOTIFICATION = "notification", _("Notification du prestataire")
        RETURN = "return", _("Retour du navigateur")
        POLL = "poll", _("Interrogation du prestataire")
        STAFF = "staff", _("Personnel")

    attempt = models.ForeignKey(PaymentAttempt, on_delete=models.CASCADE, related_name="events",
                                verbose_name=_("paiement en ligne"))
    at = models.DateTimeField(_("le"), auto_now_add=True)
    source = models.CharField(_("origine"), max_length=12, choices=Source.choices)
    from_state = models.CharField(_("état avant"), max_length=10, choices=PaymentAttempt.State.choices, blank=True)
    to_state = models.CharField(_("état après"), max_length=10, choices=PaymentAttempt.State.choices)
    note = models.CharField(_("remarque"), max_length=300, blank=True)
    data = models.JSONField(_("données reçues"), default=dict, blank=True)

    structure_path = "attempt__structure"

    class Meta:
        verbose_name = _("événement de paiement en ligne")
        verbose_name_plural = _("événements de paiement en ligne")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.get_from_state_display() or '—'} → {self.get_to_state_display()} ({self.get_source_display()})"
