"""Staff admin of reservations: activities and rules, days and capacities, decisions.

Every class is scoped to the staff member's structures (StructureScopedAdmin). State
changes go through services_staff (locks + events); reservations are never deleted,
and their state is never edited by hand.
"""
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.admin_scope import StructureScopedAdmin

from .availability import with_place_counts
from .models import (
    Activity, Closure, DeadlineRule, Enrolment, Occurrence, Reservation, ReservationEvent, TransmissionRun,
)
from .services_staff import StaffActionError, occurrences_generate, reservation_decide

State = Reservation.State
WEEKDAYS = [(0, _("lundi")), (1, _("mardi")), (2, _("mercredi")), (3, _("jeudi")), (4, _("vendredi")),
            (5, _("samedi")), (6, _("dimanche"))]


@admin.register(DeadlineRule)
class DeadlineRuleAdmin(StructureScopedAdmin):
    list_display = ("name", "kind", "days", "working_days", "at_time", "weekday", "hours", "fixed_deadline", "structure")
    list_filter = (("structure", admin.RelatedOnlyFieldListFilter), "kind")
    search_fields = ("name",)
    fieldsets = (
        (None, {"fields": ("structure", "name", "kind")}),
        (_("Paramètres (selon le type)"), {
            "fields": ("days", "working_days", "at_time", "weekday", "hours", "fixed_deadline"),
            "description": _("N jours avant : nombre de jours + heure (jours ouvrés ou non). "
                             "Avant un jour de la semaine : jour de la semaine + heure. N heures avant : nombre d'heures. "
                             "Avant la période : nombre de jours pleins. Date fixe : date limite."),
        }),
    )


class EnrolmentForm(forms.ModelForm):
    """A child may be enrolled only in an activity of its own family's structure, over a real period."""

    class Meta:
        model = Enrolment
        fields = "__all__"

    def clean(self):
        data = super().clean()
        child = data.get("child")
        activity = data.get("activity")
        if activity is None and self.instance.activity_id:
            activity = self.instance.activity  # in the activity's inline the parent is set on the instance
        if child is not None and activity is not None and child.family.structure_id != activity.structure_id:
            raise forms.ValidationError(_("Cet enfant n'appartient pas à une famille de la structure de l'activité."))
        if data.get("start_date") and data.get("end_date") and data["end_date"] < data["start_date"]:
            raise forms.ValidationError(_("La date de fin est avant la date de début."))
        return data


class EnrolmentInline(admin.TabularInline):
    model = Enrolment
    form = EnrolmentForm
    extra = 0
    fields = ("child", "age_group", "start_date", "end_date")
    autocomplete_fields = ("child",)


class GenerateForm(forms.Form):
    start = forms.DateField(label=_("Du"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("Au"), widget=forms.DateInput(attrs={"type": "date"}))
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Jours de la semaine"), choices=WEEKDAYS, coerce=int, widget=forms.CheckboxSelectMultiple,
        initial=[0, 1, 3, 4],
    )

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise forms.ValidationError(_("La date de fin est avant la date de début."))
        return data


@admin.register(Activity)
class ActivityAdmin(StructureScopedAdmin):
    list_display = ("name", "structure", "wallet", "tariff", "limited_places", "default_places", "default_waiting_places",
                    "needs_staff_decision", "booking_rule", "cancellation_rule", "is_active")
    list_filter = (("structure", admin.RelatedOnlyFieldListFilter), "is_active", "limited_places", "needs_staff_decision", ("wallet", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("structure", "wallet", "tariff", "booking_rule", "cancellation_rule")
    search_fields = ("name",)
    inlines = [EnrolmentInline]
    actions = ["generate_occurrences"]
    fieldsets = (
        (None, {"fields": ("structure", "name", "position", "is_active")}),
        (_("Facturation"), {"fields": ("wallet", "tariff", "charge_unexcused_absence")}),
        (_("Horaires"), {"fields": ("arrival_time", "departure_time", "arrival_typed", "arrival_earliest", "arrival_latest")}),
        (_("Places"), {"fields": ("limited_places", "default_places", "default_waiting_places", "needs_staff_decision")}),
        (_("Délais"), {"fields": ("booking_rule", "cancellation_rule", "opens_days_ahead", "opens_on",
                                  "closed_during_school_holidays")}),
    )

    def get_urls(self):
        custom = [path("generer/", self.admin_site.admin_view(self.generate_view), name="reservations_activity_generate")]
        return custom + super().get_urls()

    @admin.action(description=_("Générer les journées"))
    def generate_occurrences(self, request, queryset):
        ids = ",".join(str(pk) for pk in queryset.values_list("pk", flat=True))
        return redirect(f"{reverse('admin:reservations_activity_generate')}?ids={ids}")

    def generate_view(self, request):
        """Period + weekdays → the missing days of each chosen activity (idempotent)."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        raw_ids = request.POST.get("ids") or request.GET.get("ids") or ""
        ids = [int(part) for part in raw_ids.split(",") if part.strip().isdigit()]
        activities = list(self.get_queryset(request).filter(pk__in=ids))
        if not activities:
            self.message_user(request, _("Choisissez au moins une activité."), messages.WARNING)
            return redirect("admin:reservations_activity_changelist")
        form = GenerateForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            for activity in activities:
                try:
                    created, skipped = occurrences_generate(
                        activity=activity, start=form.cleaned_data["start"], end=form.cleaned_data["end"],
                        weekdays=form.cleaned_data["weekdays"],
                    )
                except StaffActionError as error:
                    self.message_user(request, f"{activity} : {error}", messages.ERROR)
                    continue
                closed = [f"{day:%d/%m/%Y} ({reason})" for day, reason in skipped if reason != _("journée déjà créée")]
                existing = len(skipped) - len(closed)
                text = _("%(activity)s : %(created)s journée(s) créée(s), %(existing)s déjà existante(s).") % {
                    "activity": activity, "created": len(created), "existing": existing}
                if closed:
                    text += " " + _("Jours fermés ignorés : %(days)s.") % {"days": ", ".join(closed)}
                self.message_user(request, text, messages.SUCCESS)
            return redirect("admin:reservations_occurrence_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": _("Générer les journées"),
            "opts": self.model._meta,
            "form": form,
            "activities": activities,
            "ids": ",".join(str(a.pk) for a in activities),
        }
        return TemplateResponse(request, "admin/reservations/generate_occurrences.html", context)


@admin.register(Enrolment)
class EnrolmentAdmin(StructureScopedAdmin):
    structure_path = "activity__structure"
    form = EnrolmentForm
    list_display = ("child", "activity", "age_group", "start_date", "end_date")
    list_filter = (("activity__structure", admin.RelatedOnlyFieldListFilter), ("activity", admin.RelatedOnlyFieldListFilter), "age_group")
    list_select_related = ("child", "activity")
    search_fields = ("child__first_name", "child__last_name", "activity__name", "child__family__payer_name")
    autocomplete_fields = ("child", "activity")


@admin.register(Closure)
class ClosureAdmin(StructureScopedAdmin):
    list_display = ("label", "kind", "start_date", "end_date", "structure")
    list_filter = (("structure", admin.RelatedOnlyFieldListFilter), "kind")
    search_fields = ("label",)
    date_hierarchy = "start_date"


class ReservationInline(admin.TabularInline):
    """The occurrence's requests in submission order (the waiting list's order), read only."""

    model = Reservation
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ("submitted_at", "child", "family", "state", "waiting_mark", "cancel_requested_at", "arrival_time",
              "departure_time", "cost")
    readonly_fields = fields
    ordering = ("submitted_at", "id")
    verbose_name_plural = _("demandes (par ordre d'arrivée)")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("child", "family")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Occurrence)
class OccurrenceAdmin(StructureScopedAdmin):
    structure_path = "activity__structure"
    list_display = ("date", "activity", "places", "waiting_places", "places_taken", "waiting_count", "requests_count",
                    "is_cancelled")
    list_display_links = ("date",)
    list_editable = ("places", "waiting_places")
    list_filter = (("activity__structure", admin.RelatedOnlyFieldListFilter), ("activity", admin.RelatedOnlyFieldListFilter), ("date", admin.DateFieldListFilter), "is_cancelled")
    list_select_related = ("activity",)
    date_hierarchy = "date"
    search_fields = ("activity__name",)
    ordering = ("date", "activity__position", "activity__name")
    fields = ("activity", "date", "arrival_time", "departure_time", "places", "waiting_places", "period_start",
              "is_cancelled", "waiting_list")
    readonly_fields = ("waiting_list",)
    inlines = [ReservationInline]

    def get_queryset(self, request):
        queryset = with_place_counts(super().get_queryset(request))
        return queryset.annotate(
            awaiting=Count("reservations", filter=Q(reservations__state=State.AWAITING_DECISION)),
        )

    @admin.display(description=_("places prises"), ordering="taken")
    def places_taken(self, obj):
        return obj.taken

    @admin.display(description=_("liste d'attente"), ordering="waiting_taken")
    def waiting_count(self, obj):
        return obj.waiting_taken

    @admin.display(description=_("en attente réponse"), ordering="awaiting")
    def requests_count(self, obj):
        if not obj.awaiting:
            return 0
        url = reverse("admin:reservations_reservation_changelist")
        return format_html('<a href="{}?occurrence__id__exact={}&amp;state__exact={}">{}</a>', url, obj.pk,
                           State.AWAITING_DECISION, obj.awaiting)

    @admin.display(description=_("liste d'attente, dans l'ordre"))
    def waiting_list(self, obj):
        if obj.pk is None:
            return "—"
        waiting = obj.reservations.filter(
            Q(state=State.WAITING_LIST) | Q(state=State.NOT_TRANSMITTED, waiting_mark=True)
        ).select_related("child", "family").order_by("submitted_at", "id")
        if not waiting:
            return _("Personne en liste d'attente.")
        rows = format_html_join(
            "", "<li>{} — {} ({}) — {} {}</li>",
            ((r.child, r.family.payer_name, r.family.number, r.get_state_display(), r.submitted_at.strftime("%d/%m/%Y %H:%M"))
             for r in waiting),
        )
        return format_html("<ol>{}</ol>", rows)


class ReservationEventInline(admin.TabularInline):
    model = ReservationEvent
    fk_name = "reservation"
    extra = 0
    can_delete = False
    fields = ("at", "kind", "from_state", "to_state", "actor", "run", "reported_in", "note")
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
    list_filter = ("state", CancelRequestedFilter, ("occurrence__activity__structure", admin.RelatedOnlyFieldListFilter), ("occurrence__activity", admin.RelatedOnlyFieldListFilter),
                   ("occurrence__date", admin.DateFieldListFilter))
    list_select_related = ("occurrence__activity", "child", "family")
    search_fields = ("child__first_name", "child__last_name", "family__payer_name", "family__number", "occurrence__activity__name")
    ordering = ("occurrence__date", "submitted_at", "id")
    actions = ["accept", "refuse"]
    readonly_fields = ("family", "child", "occurrence", "state", "waiting_mark", "cancel_requested_at", "arrival_time",
                       "departure_time", "unit_price", "quantity", "cost", "submitted_at", "confirmation",
                       "consumption_posted_at")
    fields = readonly_fields[:-1] + ("attendance", "consumption_posted_at")
    inlines = [ReservationEventInline]

    def get_readonly_fields(self, request, obj=None):
        """Attendance is fixed once the consumption is posted (a correction goes through billing)."""
        if obj is not None and obj.consumption_posted_at is not None:
            return self.readonly_fields + ("attendance",)
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


class ReadOnlyAdmin(StructureScopedAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TransmissionRun)
class TransmissionRunAdmin(ReadOnlyAdmin):
    list_display = ("structure", "started_at", "finished_at", "status", "started_by")
    list_filter = (("structure", admin.RelatedOnlyFieldListFilter), "status")
    date_hierarchy = "started_at"


@admin.register(ReservationEvent)
class ReservationEventAdmin(ReadOnlyAdmin):
    structure_path = "reservation__family__structure"
    list_display = ("at", "reservation", "kind", "from_state", "to_state", "actor", "run", "reported_in")
    list_filter = ("kind", "to_state", ("reservation__family__structure", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("reservation__child", "reservation__occurrence__activity", "actor", "run", "reported_in")
    search_fields = ("reservation__child__first_name", "reservation__child__last_name", "reservation__family__payer_name")
    date_hierarchy = "at"


# The nightly work (launch the transmission, attendance sheets): reservations/admin_attendance.py
from . import admin_attendance  # noqa: E402,F401
