"""Staff see the outbox of their structures: what was sent, what failed, who has no address.

An e-mail's page shows it as the family reads it: the text, and the HTML rendered in a sandboxed
frame (no script, no link to the admin's origin, no outside resource: the preview's own
Content-Security-Policy allows only the e-mail's inline styles), never its HTML source.
"""
from django.contrib import admin, messages
from django.http import Http404, HttpResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.clickjacking import xframe_options_sameorigin

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
    fields = ("family", "run", "kind", "recipient", "subject", "status", "attempts", "claimed_at", "message_id", "last_error",
              "created_at", "sent_at", "text_version", "html_preview")
    readonly_fields = fields
    actions = ["send_again"]

    def get_urls(self):
        own = [path("<path:object_id>/apercu/", self.admin_site.admin_view(self.preview_view),
                    name="notifications_outboxemail_preview")]
        return own + super().get_urls()

    @admin.display(description=_("texte"))
    def text_version(self, email):
        return format_html('<pre class="email-text">{}</pre>', email.body_text)

    @admin.display(description=_("aperçu HTML"))
    def html_preview(self, email):
        if not email.body_html:
            return _("Pas de version HTML.")
        url = reverse("admin:notifications_outboxemail_preview", args=[email.pk])
        return format_html('<iframe class="email-preview" sandbox="" src="{}" title="{}" referrerpolicy="no-referrer">'
                           '</iframe>', url, _("Aperçu de l'e-mail tel que la famille le voit"))

    @xframe_options_sameorigin
    def preview_view(self, request, object_id):
        email = self.get_object(request, object_id)
        if email is None or not self.has_view_permission(request, email):
            raise Http404
        response = HttpResponse(email.body_html, content_type="text/html; charset=utf-8")
        response["Content-Security-Policy"] = ("sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                                               "frame-ancestors 'self'")
        return response

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
