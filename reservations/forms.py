"""Forms of the parent booking flow. Nothing here carries a price or an availability."""
import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import CartLine

WEEKDAYS = [
    (0, _("Lundi")), (1, _("Mardi")), (2, _("Mercredi")), (3, _("Jeudi")), (4, _("Vendredi")), (5, _("Samedi")), (6, _("Dimanche")),
]


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
    weekdays = forms.TypedMultipleChoiceField(label=_("Jours de la semaine"), choices=WEEKDAYS, coerce=int,
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
        if start and end and (end - start).days > 400:
            raise forms.ValidationError(_("Choisissez une période de moins d'un an."))
        return data


class ConfirmForm(forms.Form):
    token = forms.UUIDField()
    fingerprint = forms.CharField(required=False, max_length=20000)
