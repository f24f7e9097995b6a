"""Forms of the parent booking flow and of the follow-up page.

Nothing here carries a price or an availability: the server computes them.
"""
from __future__ import annotations

import datetime

from django import forms
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

from portal.dates import MAX_PERIOD_DAYS, add_months, month_end, weekday_choices
from reservations.models import CartLine

from .followup import Filters, Kind


def parse_month(value: str | None, *, default: datetime.date) -> datetime.date:
    """ "2026-12" → 1 December 2026; ValueError on anything else."""
    if not value:
        return default.replace(day=1)
    year, month = str(value).split("-")
    return datetime.date(int(year), int(month), 1)


def parse_day(value: str) -> datetime.date:
    return datetime.date.fromisoformat(str(value))


class ToggleForm(forms.Form):
    """One click on a day: which child, which occurrence, and the typed arrival time if asked."""

    child = forms.IntegerField(min_value=1)
    occurrence = forms.IntegerField(min_value=1)
    arrival_time = forms.CharField(required=False, max_length=5, label=_("Heure d'arrivée"))
    view = forms.ChoiceField(required=False, choices=[("", ""), ("cell", "cell"), ("slot", "slot")])
    next = forms.CharField(required=False, max_length=500)


class WeekPatternForm(forms.Form):
    activity = forms.TypedChoiceField(label=_("Activité"), coerce=int)
    weekdays = forms.TypedMultipleChoiceField(label=_("Jours de la semaine"), choices=weekday_choices(capitalised=True),
                                              coerce=int,
                                              widget=forms.CheckboxSelectMultiple)
    start = forms.DateField(label=_("Du"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("Au"), widget=forms.DateInput(attrs={"type": "date"}))
    action = forms.ChoiceField(label=_("Je veux"), choices=[(CartLine.Action.BOOK, _("réserver ces jours")),
                                                            (CartLine.Action.CANCEL, _("annuler ces jours"))],
                               widget=forms.RadioSelect, initial=CartLine.Action.BOOK)

    def __init__(self, *args, activities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["activity"].choices = [(activity.id, activity.name) for activity in activities]

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            raise forms.ValidationError(_("La date de fin est avant la date de début."))
        if start and end and (end - start).days > MAX_PERIOD_DAYS:
            raise forms.ValidationError(_("Choisissez une période de moins d'un an."))
        return data


class ConfirmForm(forms.Form):
    """"Valider réellement": the token and fingerprint the summary issued (both checked by
    reservations.booking.summary.summary_shown)."""

    token = forms.CharField(max_length=500)
    fingerprint = forms.CharField(max_length=20000)


# --- follow-up page -----------------------------------------------------------------------

# The follow-up reads (and prints) up to two years of requests at once.
FOLLOWUP_MAX_DAYS = 731


DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
DATE_ERRORS = {"invalid": gettext_lazy("Saisissez une date valide, par exemple 31/01/2027.")}


class FollowupForm(forms.Form):
    du = forms.DateField(label=gettext_lazy("Période du"), required=False, input_formats=DATE_FORMATS,
                         error_messages=DATE_ERRORS, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    au = forms.DateField(label=gettext_lazy("au"), required=False, input_formats=DATE_FORMATS,
                         error_messages=DATE_ERRORS, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    type = forms.ChoiceField(label=gettext_lazy("Type de réservations"), choices=Kind.CHOICES, required=False,
                             error_messages={"invalid_choice": gettext_lazy("Type de réservations inconnu.")})

    def clean(self):
        data = super().clean()
        start, end = data.get("du"), data.get("au")
        if start and end:
            if end < start:
                raise forms.ValidationError(_("La date « au » doit être après la date « du »."))
            if (end - start).days > FOLLOWUP_MAX_DAYS:
                raise forms.ValidationError(_("Choisissez une période de deux ans au plus."))
        return data


def default_period(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """From the first day of the current month to the end of the month after next."""
    return today.replace(day=1), month_end(add_months(today, 2))


def parse_filters(data, *, today: datetime.date) -> tuple[FollowupForm, Filters, bool]:
    """(form, filters to apply, valid). Invalid input falls back to the defaults."""
    start, end = default_period(today)
    if not any(key in data for key in ("du", "au", "type")):
        form = FollowupForm(initial={"du": start, "au": end, "type": Kind.ALL})
        return form, Filters(start, end, Kind.ALL), True
    form = FollowupForm(data)
    if not form.is_valid():
        return form, Filters(start, end, Kind.ALL), False
    chosen_start = form.cleaned_data["du"] or start
    chosen_end = form.cleaned_data["au"] or max(end, chosen_start)
    if chosen_end < chosen_start:
        form.add_error(None, _("La date « au » doit être après la date « du »."))
        return form, Filters(start, end, Kind.ALL), False
    return form, Filters(chosen_start, chosen_end, form.cleaned_data["type"] or Kind.ALL), True
