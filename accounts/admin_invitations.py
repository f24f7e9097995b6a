"""What staff do about parents' logins that have not chosen a password yet.

The logins list gets a filter "Activé : oui / non" (the staff home links to the "non" side)
and two actions: resend the invitation e-mail, and print activation letters (PDF, one page per
login, with its identifier and a fresh one-time code) for families without e-mail.
"""
import datetime

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db.models import Q
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from portal.printing import htmls_to_pdf

from .admin_scope import allowed_structure_ids
from .invitations import invitation_letters_prepare, invitation_send
from .models import Family

NOT_ACTIVATED = Q(password__startswith=UNUSABLE_PASSWORD_PREFIX) | Q(password="")


class ActivatedFilter(admin.SimpleListFilter):
    title = _("activé (mot de passe choisi)")
    parameter_name = "active"

    def lookups(self, request, model_admin):
        return (("oui", _("Oui")), ("non", _("Non")))

    def queryset(self, request, queryset):
        if self.value() == "non":
            return queryset.filter(NOT_ACTIVATED, families__isnull=False).distinct()
        if self.value() == "oui":
            return queryset.exclude(NOT_ACTIVATED)
        return queryset


def _pairs(request, queryset) -> list[tuple]:
    """(login, its first family in the staff member's structures), logins without family left out."""
    allowed = allowed_structure_ids(request)
    families = Family.objects.select_related("structure").order_by("structure__name", "number", "id")
    if allowed is not None:
        families = families.filter(structure__in=allowed)
    pairs = []
    for user in queryset.order_by("username"):
        family = families.filter(users=user).first()
        if family is not None:
            pairs.append((user, family))
    return pairs


class InvitationActionsMixin:
    """Actions of the logins' admin (accounts.admin_logins.UserAdmin)."""

    @admin.action(description=_("Renvoyer l'invitation (e-mail, ou lettre pour les familles sans e-mail)"),
                  permissions=["change"])
    def resend_invitation(self, request, queryset):
        emailed = letters = 0
        for user, family in _pairs(request, queryset):
            invitation = invitation_send(user=user, family=family, by=request.user)
            if invitation is not None:
                emailed += invitation.channel == invitation.Channel.EMAIL
                letters += invitation.channel == invitation.Channel.LETTER
        self.message_user(request, ngettext("%(n)s invitation envoyée par e-mail.", "%(n)s invitations envoyées par e-mail.",
                                            emailed) % {"n": emailed}, messages.SUCCESS if emailed else messages.WARNING)
        if letters:
            self.message_user(request, ngettext(
                "%(n)s famille sans e-mail : imprimez sa lettre d'activation.",
                "%(n)s familles sans e-mail : imprimez leurs lettres d'activation.", letters) % {"n": letters},
                messages.WARNING)

    @admin.action(description=_("Imprimer les lettres d'activation (PDF)"), permissions=["change"])
    def print_activation_letters(self, request, queryset):
        letters = invitation_letters_prepare(pairs=_pairs(request, queryset), by=request.user)
        if not letters:
            self.message_user(request, _("Aucun identifiant à activer dans la sélection."), messages.WARNING)
            return None
        now = timezone.localtime()
        common = {"generated_at": now, "activation_url": settings.SITE_URL + reverse("accounts:activate_code"),
                  "expires_on": now + datetime.timedelta(days=settings.INVITATION_MAX_AGE_DAYS)}
        pdf = htmls_to_pdf(render_to_string("accounts/pdf/activation_letter.html", {
            **common, "structure": letter["family"].structure, "family": letter["family"], "user": letter["user"],
            "code": letter["code"]}) for letter in letters)
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="lettres-activation-{now:%Y-%m-%d}.pdf"'
        return response
