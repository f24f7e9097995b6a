"""Staff see the outbox of their structures: what was sent, what failed, who has no address."""
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.admin_scope import StructureScopedAdmin

from .models import OutboxEmail
from .services import outbox_requeue
from .tasks import send_outbox_email


@admin.register(OutboxEmail)
class OutboxEmailAdmin(StructureScopedAdmin):
    structure_path = "family__structure"
    list_display = ("created_at", "family", "recipient", "subject", "status", "attempts", "claimed_at", "sent_at", "run")
    list_filter = ("status", "kind", "family__structure")
    list_select_related = ("family", "run")
    search_fields = ("recipient", "subject", "family__payer_name", "family__number")
    date_hierarchy = "created_at"
    readonly_fields = ("family", "run", "kind", "recipient", "subject", "body_text", "body_html", "status", "attempts",
                       "claimed_at", "message_id", "last_error", "created_at", "sent_at")
    actions = ["send_again"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Renvoyer les e-mails en échec sélectionnés"), permissions=["view"])
    def send_again(self, request, queryset):
        ids = outbox_requeue(email_ids=queryset.values_list("pk", flat=True))
        for email_id in ids:
            send_outbox_email.delay(email_id)
        self.message_user(request, ngettext("%(n)s e-mail remis en file d'envoi.", "%(n)s e-mails remis en file d'envoi.",
                                            len(ids)) % {"n": len(ids)}, messages.SUCCESS if ids else messages.WARNING)
