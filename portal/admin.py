"""The admin site's titles. Structure and Message are registered in accounts/admin.py, with
the staff scoping every admin shares (portal, the lowest layer, cannot import it)."""
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("Portail Famille — administration")
admin.site.site_title = _("Portail Famille")
admin.site.index_title = _("Gestion des structures")
