"""The family at a glance: the page staff open during a phone call.

From the family's admin page (or its line in the list): the family, its children and logins,
then every panel the apps above register (accounts.staff_panels: billing's balances and ledger,
reservations' bookings to come and booking on the parent's behalf, notifications' e-mails).
The family is looked up through the scoped admin queryset: another structure's family is a 404.
"""
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .invitations import is_activated
from .staff_panels import family_panels


class FamilyGlanceMixin:
    """Adds /admin/accounts/family/<id>/vue-ensemble/ to the families' admin."""

    def get_urls(self):
        own = [path("<path:object_id>/vue-ensemble/", self.admin_site.admin_view(self.glance_view),
                    name="accounts_family_glance")]
        return own + super().get_urls()

    def glance_view(self, request, object_id):
        family = self.get_object(request, object_id)
        if family is None:
            raise Http404(_("Famille introuvable."))
        if not self.has_view_permission(request, family):
            raise PermissionDenied
        logins = [(user, is_activated(user)) for user in family.users.order_by("username")]
        context = {
            **self.admin_site.each_context(request), "opts": self.opts, "original": family, "family": family,
            "title": _("Vue d'ensemble — %(family)s") % {"family": family}, "logins": logins,
            "children": list(family.children.order_by("first_name", "id")),
            "panels": family_panels(request=request, family=family),
        }
        return TemplateResponse(request, "admin/accounts/family/glance.html", context)

    def glance_link(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("admin:accounts_family_glance", args=[obj.pk]),
                           _("Vue d'ensemble"))

    glance_link.short_description = gettext_lazy("téléphone")  # type: ignore[attr-defined]
