"""The tenant (Structure) and the messages it publishes on the home page."""
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Structure(models.Model):
    """A town hall or association running services; every family belongs to one."""

    name = models.CharField(_("nom"), max_length=200)
    slug = models.SlugField(_("identifiant court"), unique=True)
    contact_email = models.EmailField(_("e-mail de contact"), blank=True)
    contact_phone = models.CharField(_("téléphone de contact"), max_length=40, blank=True)
    address = models.TextField(_("adresse"), blank=True)
    history_months = models.PositiveSmallIntegerField(
        _("mois d'historique consultables"),
        default=2,
        help_text=_("Nombre de mois visibles dans les historiques, mois en cours compris (2 = mois en cours et précédent)."),
    )
    # Identity (issue 11): the colour of buttons and links, within contrast rules (portal.identity),
    # and a logo stored in the database as a PNG re-encoded at upload (no media server needed).
    primary_colour = models.CharField(
        _("couleur principale"), max_length=7, blank=True,
        help_text=_("Couleur des boutons et des liens, au format #1d4f91. Elle doit rester lisible : un contraste "
                    "d'au moins 4,5:1 avec le blanc et avec le gris de la page (vide : le bleu du portail)."),
    )
    logo = models.BinaryField(_("logo (PNG)"), blank=True, null=True, editable=False)
    logo_updated_at = models.DateTimeField(_("logo modifié le"), null=True, blank=True, editable=False)
    website = models.URLField(_("site internet"), blank=True)
    opening_hours = models.CharField(_("horaires d'accueil"), max_length=200, blank=True)
    staff_second_factor_required = models.BooleanField(
        _("deuxième facteur obligatoire pour le personnel"), default=False,
        help_text=_("Le personnel de la structure saisit, en plus du mot de passe, le code d'une application "
                    "d'authentification pour entrer dans l'administration."),
    )

    class Meta:
        verbose_name = _("structure")
        verbose_name_plural = _("structures")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        from django.core.exceptions import ValidationError

        from .identity import colour_problem

        problem = colour_problem(self.primary_colour) if self.primary_colour else None
        if problem:
            raise ValidationError({"primary_colour": problem})


class MessageQuerySet(models.QuerySet):
    def published(self, at=None):
        at = at or timezone.now()
        return self.filter(publish_from__lte=at).filter(Q(publish_until__isnull=True) | Q(publish_until__gt=at))


class Message(models.Model):
    """Information the structure shows on its home page between two dates."""

    structure = models.ForeignKey(Structure, on_delete=models.CASCADE, related_name="messages", verbose_name=_("structure"))
    title = models.CharField(_("titre"), max_length=200)
    body = models.TextField(_("texte"))
    publish_from = models.DateTimeField(_("publié à partir du"), default=timezone.now)
    publish_until = models.DateTimeField(_("publié jusqu'au"), null=True, blank=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-publish_from", "-id"]
        indexes = [models.Index(fields=["structure", "-publish_from"])]

    def __str__(self):
        return self.title


class LegalPage(models.Model):
    """A page every French public site must have, written by the structure (issue 11): until it is,
    the portal shows a default text filled with the structure's name and contacts."""

    class Kind(models.TextChoices):
        LEGAL_NOTICE = "mentions-legales", _("Mentions légales")
        PERSONAL_DATA = "donnees-personnelles", _("Données personnelles")
        ACCESSIBILITY = "accessibilite", _("Déclaration d'accessibilité")

    class Compliance(models.TextChoices):
        FULL = "totale", _("totalement conforme")
        PARTIAL = "partielle", _("partiellement conforme")
        NONE = "non", _("non conforme")

    structure = models.ForeignKey(Structure, on_delete=models.CASCADE, related_name="legal_pages",
                                  verbose_name=_("structure"))
    kind = models.CharField(_("page"), max_length=30, choices=Kind.choices)
    body = models.TextField(_("texte"), help_text=_("Texte de la page ; une ligne vide sépare deux paragraphes."))
    compliance = models.CharField(
        _("état de conformité (RGAA)"), max_length=10, choices=Compliance.choices, blank=True,
        help_text=_("Pour la déclaration d'accessibilité seulement."))
    updated_at = models.DateTimeField(_("mis à jour le"), auto_now=True)

    class Meta:
        verbose_name = _("page légale")
        verbose_name_plural = _("pages légales")
        constraints = [models.UniqueConstraint(fields=["structure", "kind"], name="one_legal_page_per_kind")]

    def __str__(self):
        return f"{self.get_kind_display()} — {self.structure}"
