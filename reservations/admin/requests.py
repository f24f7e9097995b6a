"""Staff admin of the families' requests: reservations with their history, decisions.

State changes go through reservations.staff.services (locks + events); reservations are
never deleted, and their state is never edited by hand. Staff book or cancel a day on a
parent's behalf through reservations.admin.on_behalf (the family at a glance's form).
"""
from django.contrib import admin, messages
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.admin_scope import StructureScopedAdmin
from reservations.models import Reservation, ReservationEvent
from reservations.staff.services import StaffActionError, reservation_decide

from .base import ReadOnlyAdmin
from .on_behalf import on_behalf_view

State = Reservation.State


class ReservationEventInline(admin.TabularInline):
    model = ReservationEvent
    fk_name = "reservation"
    extra = 0
    can_delete = False
    fields = ("at", "kind", "from_state", "to_state", "actor", "run", "note")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class CancelRequestedFilter(admin.SimpleListFilter):
    title = _("annulation demandée")
    parameter_name = "annulation"

    def lookups(self, request, model_admin):
        return (("oui", _("Oui")), ("non", _("Non")))

    def queryset(self, request, queryset):
        if self.value() == "oui":
            return queryset.filter(cancel_requested_at__isnull=False)
        if self.value() == "non":
            return queryset.filter(cancel_requested_at__isnull=True)
        return queryset


@admin.register(Reservation)
class ReservationAdmin(StructureScopedAdmin):
    structure_path = "family__structure"
    list_display = ("day", "activity", "child", "family", "state", "waiting_mark", "cancel_requested_at", "cost",
                    "submitted_at")
    list_filter = ("state", CancelRequestedFilter, ("occurrence__activity__structure", admin.RelatedOnlyFieldListFilter),
                   ("occurrence__activity", admin.RelatedOnlyFieldListFilter),
                   ("occurrence__date", admin.DateFieldListFilter))
    list_select_related = ("occurrence__activity", "child", "family")
    search_fields = ("child__first_name", "child__last_name", "family__payer_name", "family__number",
                     "occurrence__activity__name")
    ordering = ("occurrence__date", "submitted_at", "id")
    actions = ["accept", "refuse"]
    readonly_fields = ("family", "child", "occurrence", "state", "waiting_mark", "cancel_requested_at", "arrival_time",
                       "departure_time", "unit_price", "quantity", "cost", "submitted_at", "confirmation",
                       "consumption_posted_at")
    fields = (*readonly_fields[:-1], "attendance", "consumption_posted_at")
    inlines = [ReservationEventInline]

    def get_urls(self):
        own = [path("pour-la-famille/<int:family_id>/", self.admin_site.admin_view(self.on_behalf),
                    name="reservations_reservation_on_behalf")]
        return own + super().get_urls()

    def on_behalf(self, request, family_id):
        """Book or cancel a day for a child on the parent's behalf (the family at a glance's form)."""
        return on_behalf_view(self, request, family_id)

    def get_readonly_fields(self, request, obj=None):
        """Attendance is fixed once the consumption is posted (a correction goes through billing)."""
        if obj is not None and obj.consumption_posted_at is not None:
            return (*self.readonly_fields, "attendance")
        return self.readonly_fields

    @admin.display(description=_("date"), ordering="occurrence__date")
    def day(self, obj):
        return obj.occurrence.date

    @admin.display(description=_("activité"), ordering="occurrence__activity__name")
    def activity(self, obj):
        return obj.occurrence.activity

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def _decide(self, request, queryset, *, accept: bool):
        done, refused = 0, []
        for reservation in queryset.select_related("child", "occurrence").order_by("occurrence_id", "submitted_at", "id"):
            try:
                reservation_decide(reservation=reservation, accept=accept, user=request.user)
                done += 1
            except StaffActionError as error:
                refused.append(str(error))
        if done:
            text = (ngettext("%(count)d demande acceptée.", "%(count)d demandes acceptées.", done) if accept
                    else ngettext("%(count)d demande refusée.", "%(count)d demandes refusées.", done))
            self.message_user(request, text % {"count": done}, messages.SUCCESS)
        for text in refused:
            self.message_user(request, text, messages.WARNING)

    @admin.action(description=_("Accepter les demandes « En attente réponse »"), permissions=["change"])
    def accept(self, request, queryset):
        self._decide(request, queryset, accept=True)

    @admin.action(description=_("Refuser les demandes « En attente réponse »"), permissions=["change"])
    def refuse(self, request, queryset):
        self._decide(request, queryset, accept=False)


@admin.register(ReservationEvent)
class ReservationEventAdmin(ReadOnlyAdmin):
    structure_path = "reservation__family__structure"
    list_display = ("at", "reservation", "kind", "from_state", "to_state", "actor", "run")
    list_filter = ("kind", "to_state", ("reservation__family__structure", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("reservation__child", "reservation__occurrence__activity", "actor", "run")
    search_fields = ("reservation__child__first_name", "reservation__child__last_name", "reservation__family__payer_name")
    date_hierarchy = "at"
