"""The outbox: every e-mail is a stored row first, sent later by a Celery task.

A row is unique per family, run and kind, so a rerun of the night never queues a
family's report twice. Sending goes pending → sending (committed before the mail server
is contacted) → sent (committed right after), so a crash in between leaves a trace: see
notifications.services for what happens to a row found "sending".
"""
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Family
from reservations.models import Activity, TransmissionRun


class OutboxEmail(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("À envoyer")
        SENDING = "sending", _("Envoi en cours")
        SENT = "sent", _("Envoyé")
        FAILED = "failed", _("Échec")
        NO_ADDRESS = "no_address", _("Pas d'adresse e-mail")

    class Kind(models.TextChoices):
        NIGHTLY_REPORT = "nightly_report", _("Compte rendu de la nuit")
        INVITATION = "invitation", _("Invitation à choisir son mot de passe")
        PAYMENT_RECEIPT = "payment_receipt", _("Reçu de paiement en ligne")
        DEBIT_RETURNED = "debit_returned", _("Prélèvement rejeté")
        INVOICE_REMINDER = "invoice_reminder", _("Relance de facture impayée")
        TAX_CERTIFICATE = "tax_certificate", _("Attestation fiscale")
        DEADLINE_REMINDER = "deadline_reminder", _("Rappel avant la date limite de réservation")

    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="outbox_emails", verbose_name=_("famille"))
    run = models.ForeignKey(TransmissionRun, on_delete=models.PROTECT, null=True, blank=True, related_name="outbox_emails",
                            verbose_name=_("transmission"))
    kind = models.CharField(_("type"), max_length=30, choices=Kind.choices)
    recipient = models.EmailField(_("destinataire"), blank=True)
    subject = models.CharField(_("objet"), max_length=200)
    body_text = models.TextField(_("texte"))
    body_html = models.TextField(_("HTML"), blank=True)
    status = models.CharField(_("état"), max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    claimed_at = models.DateTimeField(_("dernière tentative le"), null=True, blank=True)
    # Chosen at the first attempt and kept: a copy sent again after a crash carries the same
    # Message-ID, so the recipient's mail service can recognise it as the same message.
    message_id = models.CharField(_("Message-ID"), max_length=255, blank=True)
    last_error = models.TextField(_("dernière erreur"), blank=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)

    structure_path = "family__structure"

    class Meta:
        verbose_name = _("e-mail")
        verbose_name_plural = _("e-mails (boîte d'envoi)")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["family", "run", "kind"], name="outbox_unique_family_run_kind")]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self):
        return f"{self.subject} → {self.recipient or '—'}"


class DeadlineReminder(models.Model):
    """One reminder told to a family for one activity and one period (the Monday of its week):
    the row, unique, is what makes a reminder sent once even if beat runs twice (issue 11)."""

    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="deadline_reminders_sent",
                               verbose_name=_("famille"))
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="+", verbose_name=_("activité"))
    period_start = models.DateField(_("semaine du"))
    deadline = models.DateTimeField(_("date limite"))
    email = models.ForeignKey(OutboxEmail, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("e-mail"))
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    structure_path = "family__structure"

    class Meta:
        verbose_name = _("rappel de date limite")
        verbose_name_plural = _("rappels de date limite")
        constraints = [models.UniqueConstraint(fields=["family", "activity", "period_start"],
                                               name="one_deadline_reminder_per_family_activity_period")]

    def __str__(self):
        return f"{self.family} — {self.activity_id} — {self.period_start:%d/%m/%Y}"


class ReportWatermark(models.Model):
    """How far a family has been told by the nightly reports: the last run that told it.

    Every event of that run or of an earlier one, and every event of the day made (``at``)
    before that run began, has been told; the next report tells the family the rest — its
    run's events, a dead run's that no later run told, and the day's events made before it
    began. One row per family, moved in the transaction that writes the family's report, so
    that the events themselves are written once and never updated (issue 16).
    """

    family = models.OneToOneField(Family, on_delete=models.CASCADE, primary_key=True, related_name="report_watermark",
                                  verbose_name=_("famille"))
    run = models.ForeignKey(TransmissionRun, on_delete=models.PROTECT, related_name="+",
                            verbose_name=_("dernière transmission signalée"))

    class Meta:
        verbose_name = _("compte rendu signalé jusqu'à")
        verbose_name_plural = _("comptes rendus signalés jusqu'à")

    def __str__(self):
        return f"{self.family_id} → {self.run_id}"
