"""Admin pages of the nightly work: the transmission runs, launching one by hand, attendance.

The "Transmissions" list (read only) carries a "Lancer la transmission" button for the
staff member's structures, and "Pointer les présences" (activity and day → the accepted
bookings by school/class with Présent / Absent / Absence justifiée, present by default, and
with ?format=pdf the printable list of the children expected).
"""
import datetime

from celery.result import EagerResult
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.admin_scope import allowed_structure_ids
from portal import dates
from portal.models import Structure
from reservations.models import Activity, Reservation, TransmissionRun
from reservations.nightly.figures import figures_text, run_figures
from reservations.nightly.settle import pending_count
from reservations.nightly.tasks import structure_task
from reservations.staff.attendance import AttendanceError, attendance_groups, attendance_pdf, attendance_record
from reservations.staff.selectors import occurrence_of_day, structures_of

from .base import ReadOnlyAdmin

Attendance = Reservation.Attendance


def _structures(request):
    return structures_of(allowed_ids=allowed_structure_ids(request))


class LaunchForm(forms.Form):
    structure = forms.ModelChoiceField(label=_("Structure"), queryset=Structure.objects.none(), empty_label=None)

    def __init__(self, *args, structures, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["structure"].queryset = structures


class SheetForm(forms.Form):
    activity = forms.ModelChoiceField(label=_("Activité"), queryset=Activity.objects.none())
    day = forms.DateField(label=_("Jour"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, structures, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["activity"].queryset = Activity.objects.filter(structure__in=structures).select_related("structure")


@admin.register(TransmissionRun)
class TransmissionRunAdmin(ReadOnlyAdmin):
    change_list_template = "admin/reservations/transmissionrun/change_list.html"
    list_display = ("structure", "started_at", "finished_at", "status_text", "started_by", "summary")
    list_filter = (("structure", admin.RelatedOnlyFieldListFilter), "status")
    list_select_related = ("structure", "started_by", "taken_over_by")
    date_hierarchy = "started_at"
    fields = ("structure", "started_at", "progress_at", "finished_at", "status_text", "started_by", "summary")
    readonly_fields = ("status_text", "summary")

    @admin.display(description=_("état"), ordering="status")
    def status_text(self, run):
        if run.status == TransmissionRun.Status.FAILED and run.taken_over_by is not None:
            return _("Interrompue, reprise par la transmission du %(date)s") % {
                "date": date_format(timezone.localtime(run.taken_over_by.started_at), "SHORT_DATETIME_FORMAT")}
        return run.get_status_display()

    @admin.display(description=_("compteurs"))
    def summary(self, run):
        # A run still going on is counted now, from its rows; the others kept their figures.
        counts = run_figures(run=run) if run.status == TransmissionRun.Status.RUNNING else run.counts or {}
        return figures_text(counts)

    def get_urls(self):
        own = [
            path("lancer/", self.admin_site.admin_view(self.launch_view), name="reservations_transmissionrun_launch"),
            path("presences/", self.admin_site.admin_view(self.attendance_view), name="reservations_attendance"),
        ]
        return own + super().get_urls()

    def launch_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        structures = _structures(request)
        form = LaunchForm(request.POST or None, structures=structures)
        if request.method == "POST" and form.is_valid():
            structure = form.cleaned_data["structure"]
            result = structure_task().delay(structure.pk, request.user.pk)
            if isinstance(result, EagerResult):  # without a broker the task ran here
                outcome = result.get()
                if "skipped" in outcome:
                    self.message_user(request, outcome["skipped"], messages.WARNING)
                else:
                    self.message_user(request, _("Transmission terminée pour %(structure)s.") % {"structure": structure},
                                      messages.SUCCESS)
            else:
                self.message_user(request, _("Transmission lancée pour %(structure)s : elle apparaîtra dans la liste.")
                                  % {"structure": structure}, messages.SUCCESS)
            return redirect("admin:reservations_transmissionrun_changelist")
        today = dates.today()
        rows = [(structure, pending_count(structure=structure, today=today)) for structure in structures]
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "form": form, "rows": rows,
                   "title": _("Lancer la transmission")}
        return TemplateResponse(request, "admin/reservations/transmissionrun/launch.html", context)

    def attendance_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        printed = request.GET.get("format", "") == "pdf"
        if request.GET.get("format", "pdf") != "pdf":
            return HttpResponseBadRequest(_("Format inconnu : seule la liste imprimable (pdf) existe."))
        structures = _structures(request)
        form = SheetForm(request.GET or None, structures=structures)
        occurrence = None
        if form.is_valid():
            occurrence = occurrence_of_day(activity=form.cleaned_data["activity"], day=form.cleaned_data["day"])
            if occurrence is None:
                form.add_error(None, _("Cette activité n'a pas lieu ce jour-là."))
        if occurrence is not None and request.method == "POST":
            if not request.user.has_perm("reservations.change_reservation"):
                raise PermissionDenied
            try:
                changed = attendance_record(occurrence=occurrence, marks=_posted_marks(request.POST))
            except AttendanceError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                recorded = ngettext("Présences enregistrées (%(n)s modification).",
                                    "Présences enregistrées (%(n)s modifications).", changed)
                self.message_user(request, recorded % {"n": changed},
                                  messages.SUCCESS)
                return redirect(request.get_full_path())
        groups = attendance_groups(occurrence=occurrence) if occurrence is not None else []
        if printed and occurrence is not None:
            response = HttpResponse(attendance_pdf(occurrence=occurrence, groups=groups), content_type="application/pdf")
            response["Content-Disposition"] = f'inline; filename="presences-{occurrence.date:%Y-%m-%d}.pdf"'
            return response
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "form": form,
                   "occurrence": occurrence, "groups": groups,
                   # The three marks' labels translated once, not once per child.
                   "labels": {value: str(label) for value, label in Attendance.choices},
                   "total": sum(len(group.rows) for group in groups),
                   "absent_total": sum(group.absent_count for group in groups),
                   "title": _("Pointer les présences"), "yesterday": dates.today() - datetime.timedelta(days=1)}
        return TemplateResponse(request, "admin/reservations/transmissionrun/attendance.html", context,
                                status=400 if form.is_bound and not form.is_valid() else 200)


def _posted_marks(post) -> dict[int, str]:
    """{reservation id: mark} from the sheet's radio buttons named attendance-<id>."""
    marks = {}
    for key, value in post.items():
        if key.startswith("attendance-") and key.removeprefix("attendance-").isdecimal():
            marks[int(key.removeprefix("attendance-"))] = value
    return marks
