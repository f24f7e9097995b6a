"""Logins, families, children and staff membership."""
from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.models import Structure
from portal.text import folded


def normalise_answer(answer: str) -> str:
    """Security answers compare without regard to case, accents or surrounding spaces."""
    return folded(answer)


class User(AbstractUser):
    """A login. Parents log in with the identifier (username) their structure gave them."""

    security_question = models.CharField(_("question secrète"), max_length=200, blank=True)
    security_answer_hash = models.CharField(_("réponse secrète (empreinte)"), max_length=128, blank=True, editable=False)

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")

    @property
    def has_security_question(self) -> bool:
        return bool(self.security_question and self.security_answer_hash)

    def set_security_answer(self, answer: str) -> None:
        self.security_answer_hash = make_password(normalise_answer(answer))

    def check_security_answer(self, answer: str) -> bool:
        if not self.security_answer_hash:
            return False
        return check_password(normalise_answer(answer), self.security_answer_hash)


class Family(models.Model):
    """The household account in one structure: the payer and the contact details."""

    structure = models.ForeignKey(Structure, on_delete=models.PROTECT, related_name="families", verbose_name=_("structure"))
    number = models.CharField(_("n° de famille"), max_length=30)
    payer_name = models.CharField(_("nom du payeur"), max_length=200)
    civility = models.CharField(_("civilité"), max_length=10, blank=True)
    quotient = models.DecimalField(_("quotient familial"), max_digits=8, decimal_places=2, null=True, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=40, blank=True)
    address = models.TextField(_("adresse"), blank=True)
    users = models.ManyToManyField("accounts.User", related_name="families", blank=True, verbose_name=_("identifiants"))
    # The language its parents last chose on the site (switcher or login): the nightly
    # report is written in it. Empty: the site's default (French).
    language = models.CharField(_("langue des e-mails"), max_length=10, choices=settings.LANGUAGES, blank=True)
    # Issue 11: an e-mail when the booking deadline of an activity a child usually attends is near
    # and nothing is booked yet (notifications.reminders); the parent opts out in the profile.
    deadline_reminders = models.BooleanField(_("rappel avant la date limite de réservation"), default=True)

    class Meta:
        verbose_name = _("famille")
        verbose_name_plural = _("familles")
        ordering = ["payer_name"]
        constraints = [models.UniqueConstraint(fields=["structure", "number"], name="family_number_unique_per_structure")]

    def __str__(self):
        return f"{self.payer_name} ({self.number})"


class Child(models.Model):
    """A consumer: the child who eats at the canteen or goes to the leisure centre."""

    structure_path = "family__structure"

    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="children", verbose_name=_("famille"))
    first_name = models.CharField(_("prénom"), max_length=100)
    last_name = models.CharField(_("nom"), max_length=100)
    birth_date = models.DateField(_("date de naissance"), null=True, blank=True)
    # School and class ("CP - École Jules Ferry"): attendance lists are grouped by it.
    group = models.CharField(_("groupe (école, classe)"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("enfant")
        verbose_name_plural = _("enfants")
        ordering = ["first_name", "id"]

    def __str__(self):
        return f"{self.first_name} {self.last_name}"

    @property
    def display_name(self) -> str:
        """The seed shows consumers as '.NAME Firstname'."""
        return f"{self.last_name.upper()} {self.first_name}"


class StaffMembership(models.Model):
    """A staff user manages the data of the structures they are a member of."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="staff_memberships",
                             verbose_name=_("utilisateur"))
    structure = models.ForeignKey(Structure, on_delete=models.CASCADE, related_name="staff_memberships",
                                  verbose_name=_("structure"))

    class Meta:
        verbose_name = _("membre du personnel")
        verbose_name_plural = _("membres du personnel")
        constraints = [models.UniqueConstraint(fields=["user", "structure"], name="staff_membership_unique")]

    def __str__(self):
        return f"{self.user} — {self.structure}"


class Invitation(models.Model):
    """A parent's login invited to choose its password: by an e-mailed single-use link, or by a
    printed letter carrying a one-time activation code (families without an e-mail address).

    Only the latest unused invitation of a login is valid: sending a new one (or printing a new
    letter) replaces the older ones. Nothing about the password is ever stored here.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", _("e-mail")
        LETTER = "letter", _("lettre")

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="invitations",
                             verbose_name=_("identifiant"))
    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("famille"))
    channel = models.CharField(_("envoi"), max_length=10, choices=Channel.choices)
    # The letter's code, hashed like a password: it is shown once, on the printed letter.
    code_hash = models.CharField(_("code (empreinte)"), max_length=128, blank=True, editable=False)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("par"))
    used_at = models.DateTimeField(_("activée le"), null=True, blank=True)

    structure_path = "family__structure"

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self):
        return f"{self.user} — {self.get_channel_display()}"


class ThrottleLock(models.Model):
    """A cool-down in force (accounts.throttle), listed so that staff can see and lift it.

    The counters themselves live in the cache under hashed keys; this row is written only when
    a lock starts. An identifier nobody uses is never stored as typed: the row then names no
    login, and only superusers see it (like the locks of an address).
    """

    digest = models.CharField(_("empreinte"), max_length=32, unique=True)
    scope = models.CharField(_("quoi"), max_length=20)
    kind = models.CharField(_("compté par"), max_length=4)
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                             verbose_name=_("identifiant"))
    address = models.CharField(_("adresse IP"), max_length=45, blank=True)
    locked_at = models.DateTimeField(_("bloqué le"), auto_now=True)
    locked_until = models.DateTimeField(_("bloqué jusqu'au"))

    class Meta:
        verbose_name = _("connexion bloquée")
        verbose_name_plural = _("connexions bloquées")
        ordering = ["-locked_until"]

    def __str__(self):
        return self.user.username if self.user_id else (self.address or self.digest[:12])
