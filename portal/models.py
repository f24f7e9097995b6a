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
