"""Staff admin of what can be booked: deadline rules, activities and enrolments, closures.

Every class is scoped to the staff member's structures (StructureScopedAdmin). Days are
generated through reservations.staff.services (locks, closures skipped); the days
themselves, their capacities and waiting lists are in reservations.admin.days.
"""
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.admin_scope import StructureScopedAdmin
from portal.dates import weekday_choices
from reservations.models import Activity, Closure, DeadlineCutoff, DeadlineRule, Enrolment, Reservation
from reservations.rules.validation import cutoff_lines_errors
from reservations.staff.services import StaffActionError, occurrences_generate

State = Reservation.State


WEEKDAYS = weekday_choices()


class CutoffForm(forms.ModelForm):
    """One line "vendredi 09:00 pour lundi et mardi": the covered days are ticked by name."""

    covers = forms.TypedMultipleChoiceField(label=_("pour les jours"), choices=WEEKDAYS, coerce=int,
                                            widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = DeadlineCutoff
        fields = ("weekday", "at_time", "covers")


class CutoffFormSet(forms.BaseInlineFormSet):
    """The rule's lines together: only for a weekly rule, at least one, no day covered twice."""

    def clean(self):
        super().clean()
        if any(form.errors for form in self.forms):
            return
        lines = [form.cleaned_data["covers"] for form in self.forms
                 if form.cleaned_data and not form.cleaned_data.get("DELETE")]
        errors = cutoff_lines_errors(kind=self.instance.kind, lines=lines)
        if errors:
            raise forms.ValidationError(errors)


class CutoffInline(admin.TabularInline):
    model = DeadlineCutoff
    form = CutoffForm
    formset = CutoffFormSet
    extra = 1
    verbose_name = _("limite hebdomadaire")
    verbose_name_plural = _("limites hebdomadaires (type « Avant un jour de la semaine » : "
                            "« vendredi 09:00 pour lundi et mardi ; mardi 09:00 pour jeudi et vendredi »)")


@admin.register(DeadlineRule)
class DeadlineRuleAdmin(StructureScopedAdmin):
    list_display = ("name", "kind", "days", "working_days", "at_time", "hours", "fixed_deadline", "cutoff_lines", "structure")
    list_filter = (("structure", admin.RelatedOnlyFieldListFilter), "kind")
    search_fields = ("name",)
    inlines = [CutoffInline]
    fieldsets = (
        (None, {"fields": ("structure", "name", "kind")}),
        (_("Paramètres (selon le type)"), {
            "fields": ("days", "working_days", "at_time", "hours", "fixed_deadline"),
            "description": _("N jours avant : nombre de jours + heure (jours ouvrés ou non). "
                             "N heures avant : nombre d'heures. Avant la période : nombre de jours pleins. "
                             "Date fixe : date limite. Avant un jour de la semaine : les limites ci-dessous "
                             "(chaque jour couvert ferme le dernier jour limite avant le premier jour qu'elle "
                             "couvre dans sa semaine). Les champs qui ne servent pas au type restent vides."),
        }),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("cutoffs")

    @admin.display(description=_("limites hebdomadaires"))
    def cutoff_lines(self, obj):
        return " ; ".join(str(line) for line in obj.cutoffs.all()) or "—"


class EnrolmentForm(forms.ModelForm):
    """A child may be enrolled only in an activity of its own family's structure, over a real period."""

    class Meta:
        model = Enrolment
        fields = ("child", "activity", "start_date", "end_date", "age_group")

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
        label=_("Jours de la semaine"), choices=weekday_choices(), coerce=int, widget=forms.CheckboxSelectMultiple,
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
    list_filter = (("structure", admin.RelatedOnlyFieldListFilter), "is_active", "limited_places", "needs_staff_decision",
                   ("wallet", admin.RelatedOnlyFieldListFilter))
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
                text = _("%(activity)s : %(created)s, %(existing)s.") % {
                    "activity": activity,
                    "created": ngettext("%(n)s journée créée", "%(n)s journées créées", len(created)) % {"n": len(created)},
                    "existing": ngettext("%(n)s déjà existante", "%(n)s déjà existantes", existing) % {"n": existing}}
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
    list_filter = (("activity__structure", admin.RelatedOnlyFieldListFilter), ("activity", admin.RelatedOnlyFieldListFilter),
                   "age_group")
    list_select_related = ("child", "activity")
    search_fields = ("child__first_name", "child__last_name", "activity__name", "child__family__payer_name")
    autocomplete_fields = ("child", "activity")


@admin.register(Closure)
class ClosureAdmin(StructureScopedAdmin):
    list_display = ("label", "kind", "effect", "start_date", "end_date", "structure")
    list_filter = (("structure", admin.RelatedOnlyFieldListFilter), "kind", "effect")
    fields = ("structure", "kind", "label", "start_date", "end_date", "effect")
    search_fields = ("label",)
    date_hierarchy = "start_date"
