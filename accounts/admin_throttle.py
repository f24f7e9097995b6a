"""Staff see the cool-downs in force (accounts.throttle) and lift them: a parent on the phone
who typed a wrong password five times need not wait fifteen minutes.

Staff see the locks of the logins of their structures (accounts.selectors.logins_in_scope);
locks of an address or of an identifier nobody uses are the superusers'.
"""
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import throttle
from .admin_scope import StructureScopedAdmin, allowed_structure_ids
from .models import ThrottleLock
from .selectors import logins_in_scope

SCOPE_LABELS = {
    throttle.LOGIN: _("connexion"), throttle.ANSWER: _("question secrète"), throttle.RECOVERY: _("mot de passe oublié"),
    throttle.ACTIVATION: _("code d'activation"), throttle.SECOND_FACTOR: _("deuxième facteur"),
    throttle.PAYMENT_MESSAGE: _("message de paiement refusé"),
}


def locks_in_force(request):
    """The locks not expired yet that this staff member may see (one query when evaluated)."""
    locks = ThrottleLock.objects.filter(locked_until__gt=timezone.now()).select_related("user")
    allowed = allowed_structure_ids(request)
    if allowed is None:
        return locks
    return locks.filter(user__in=logins_in_scope(allowed))


@admin.register(ThrottleLock)
class ThrottleLockAdmin(StructureScopedAdmin):
    list_display = ("who", "what", "locked_at", "locked_until")
    list_filter = ("scope", "kind")
    search_fields = ("user__username", "address")
    actions = ["unlock"]

    def get_queryset(self, request):
        return locks_in_force(request)

    def get_search_results(self, request, queryset, search_term):
        # A lock reaches a structure through its login (no structure path): the queryset above
        # is the scope, and searching only narrows it.
        return admin.ModelAdmin.get_search_results(self, request, queryset, search_term)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("identifiant ou adresse"), ordering="user__username")
    def who(self, lock):
        if lock.user_id:
            return lock.user.username
        return lock.address or _("identifiant inconnu")

    @admin.display(description=_("bloqué pour"), ordering="scope")
    def what(self, lock):
        return SCOPE_LABELS.get(lock.scope, lock.scope)

    @admin.action(description=_("Débloquer maintenant"), permissions=["view"])
    def unlock(self, request, queryset):
        lifted = throttle.unlock(queryset.values_list("digest", flat=True))
        self.message_user(request, ngettext("%(n)s blocage levé.", "%(n)s blocages levés.", lifted) % {"n": lifted},
                          messages.SUCCESS if lifted else messages.WARNING)
