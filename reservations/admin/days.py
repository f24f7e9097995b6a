"""Staff admin of the days (occurrences): capacities, the requests in arrival order, the
waiting list, the school holidays a day belongs to.

Places are saved through reservations.staff.capacity: lowering them below what the
requests hold shows the numbers and needs a confirmation (the day's page has the box; the
list's quick edit refuses and sends staff to the day's page).
"""
from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from accounts.admin_scope import StructureScopedAdmin
from reservations.models import Closure, Occurrence, Reservation
from reservations.rules.places import with_place_counts
from reservations.staff.capacity import CapacityBelowHeld, held_on, occurrence_capacity_save, shortfall_message

from .filters import PeriodFilter, WaitingWithPlacesFilter

State = Reservation.State


class OccurrenceForm(forms.ModelForm):
    """A day's form: places below what is held are refused until staff tick the confirmation."""

    confirm_reduction = forms.BooleanField(
        label=_("Confirmer la réduction des places"), required=False,
        help_text=_("À cocher pour enregistrer un nombre de places inférieur aux demandes en cours."))

    class Meta:
        model = Occurrence
        fields = ("activity", "date", "arrival_time", "departure_time", "places", "waiting_places", "is_closed")

    def clean(self):
        data = super().clean()
        activity = data.get("activity") or (self.instance.activity if self.instance.activity_id else None)
        places, waiting_places = data.get("places"), data.get("waiting_places")
        if self.instance.pk and activity is not None and activity.limited_places and None not in (places, waiting_places):
            message = shortfall_message(held=held_on(self.instance.pk), places=places, waiting_places=waiting_places)
            if message and not data.get("confirm_reduction"):
                self.add_error("confirm_reduction", message)
        return data


class OccurrenceListForm(forms.ModelForm):
    """The list's quick edit of places: no confirmation box there, so no reduction below
    what is held (the list's rows carry their counts: reservations.rules.places)."""

    def clean(self):
        data = super().clean()
        instance = self.instance
        if instance.pk and instance.activity.limited_places:
            places, waiting_places = data.get("places", instance.places), data.get("waiting_places", instance.waiting_places)
            if places < getattr(instance, "taken", 0) or waiting_places < getattr(instance, "waiting_taken", 0):
                raise forms.ValidationError(_("Moins de places que de demandes en cours : ouvrez la journée pour voir "
                                              "les chiffres et confirmer la réduction."))
        return data


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
    # Opens on today and the days to come (PeriodFilter); the weekday beside the date; fits 1366 px.
    list_display = ("day", "activity", "places", "waiting_places", "places_taken", "waiting_count", "requests_count",
                    "is_closed")
    list_display_links = ("day",)
    list_editable = ("places", "waiting_places")
    list_filter = (PeriodFilter, WaitingWithPlacesFilter, ("activity__structure", admin.RelatedOnlyFieldListFilter),
                   ("activity", admin.RelatedOnlyFieldListFilter), "is_closed")
    list_select_related = ("activity",)
    date_hierarchy = "date"
    search_fields = ("activity__name",)
    ordering = ("date", "activity__position", "activity__name")
    fields = ("activity", "date", "arrival_time", "departure_time", "places", "waiting_places", "confirm_reduction",
              "holiday_period", "is_closed", "waiting_list")
    readonly_fields = ("holiday_period", "waiting_list")
    inlines = [ReservationInline]
    form = OccurrenceForm

    def get_changelist_form(self, request, **kwargs):
        return super().get_changelist_form(request, form=OccurrenceListForm, **kwargs)

    def save_model(self, request, obj, form, change):
        try:
            occurrence_capacity_save(occurrence=obj, confirmed=bool(form.cleaned_data.get("confirm_reduction")))
        except CapacityBelowHeld as error:   # requests arrived between the form's check and the lock
            self.message_user(request, str(error), messages.ERROR)

    def get_queryset(self, request):
        queryset = with_place_counts(super().get_queryset(request))
        return queryset.annotate(
            awaiting=Count("reservations", filter=Q(reservations__state=State.AWAITING_DECISION)),
        )

    @admin.display(description=_("jour"), ordering="date")
    def day(self, obj):
        return date_format(obj.date, "D d/m/Y")

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

    @admin.display(description=_("période de vacances"))
    def holiday_period(self, obj):
        """The school holidays the day belongs to, from the closures (what "N jours pleins avant
        la période" counts from), whether the day was generated or added by hand."""
        if obj.pk is None:
            return _("Selon les fermetures « Vacances scolaires » de la structure.")
        holidays = Closure.objects.filter(structure_id=obj.activity.structure_id, kind=Closure.Kind.SCHOOL_HOLIDAYS,
                                          start_date__lte=obj.date, end_date__gte=obj.date).order_by("start_date").first()
        if holidays is None:
            return _("Hors vacances scolaires.")
        return _("%(label)s, à partir du %(first)s") % {"label": holidays.label,
                                                          "first": holidays.start_date.strftime("%d/%m/%Y")}

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
            ((r.child, r.family.payer_name, r.family.number, r.get_state_display(),
              timezone.localtime(r.submitted_at).strftime("%d/%m/%Y %H:%M"))
             for r in waiting),
        )
        return format_html("<ol>{}</ol>", rows)
